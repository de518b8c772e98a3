import { formatEstimate, formatMajor, formatMinor, minorDigits, minorToDecimal, parseAmount, toMajor } from '../../src/platform/money';
import i18n from './i18n';

/*
 * Money follows the server's one rule, src/platform/money.ts (imported, not copied): minor units
 * per currency from ISO 4217 — JPY none, RUB two, KWD three — never a hundred for all.
 */
export { minorDigits, minorToDecimal, toMajor } from '../../src/platform/money';

const tag = () => (i18n.language === 'ru' ? 'ru-RU' : 'en-US');
const DASH = '—';

/**
 * An exact amount in minor units → "1 234 567,89 ₽", "1 234 568 ₽" (a whole amount), "1 500 000 ¥", "1 234,567 KWD"
 * (ru) or "RUB 1,234,567.89", "¥1,500,000", "KWD 1,234.567" (en): kopecks are shown whenever the
 * amount has them (a CRM user who typed them expects to see them), a whole amount without ",00".
 */
export function money(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined || !Number.isFinite(minor)) return DASH;
  return formatMinor(minor, currency, tag());
}

/** An exact amount in major units, as reports give sums (won, open, a drill-down's deal): as `money`. */
export function majorMoney(major: number | null | undefined, currency: string): string {
  if (major === null || major === undefined || !Number.isFinite(major)) return DASH;
  return formatMajor(major, currency, tag());
}

/** An estimate in major units (an average, a weighted pipeline, money per day): whole units. */
export function estimateMoney(major: number | null | undefined, currency: string): string {
  if (major === null || major === undefined || !Number.isFinite(major)) return DASH;
  return formatEstimate(major, currency, tag());
}

/** An estimate in minor units (the board's weighted sums). */
export function estimateMinorMoney(minor: number | null | undefined, currency: string): string {
  return estimateMoney(minor === null || minor === undefined ? minor : toMajor(minor, currency), currency);
}

/**
 * What a person typed into an amount field → minor units, exactly, in the language of the app:
 * `1 234 567,89`, `1 234 567.89`, `1,234,567.89`, `1234567`, no-break spaces from a paste
 * (`parseAmount`). More decimals than the currency has is refused with a message, never rounded away.
 */
export function parseMoneyInput(raw: string, currency: string): number {
  const p = parseAmount(raw, currency, i18n.language);
  if (p.ok) return p.minor;
  const digits = minorDigits(currency);
  const key =
    p.problem === 'too_large'
      ? 'errors.amountLarge'
      : p.problem === 'not_a_number'
        ? 'errors.notAmount'
        : digits === 0
          ? 'errors.amountWhole'
          : 'errors.amountDecimals';
  throw new Error(i18n.t(key, { value: raw, currency, digits, count: digits }));
}

/**
 * An amount as an edit field shows it before a change, in the app's language, without the
 * currency: "1 234 567,89" / "1,234,567.89"; `parseMoneyInput` reads it back.
 */
export function moneyInputValue(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined || !Number.isFinite(minor)) return '';
  const digits = minorToDecimal(minor, currency).split('.')[1]?.length ?? 0;
  return new Intl.NumberFormat(tag(), {
    minimumFractionDigits: digits ? minorDigits(currency) : 0,
    maximumFractionDigits: minorDigits(currency),
  })
    .format(toMajor(minor, currency))
    .replace(/[\u00a0\u202f]/g, ' ');
}

export function num(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return new Intl.NumberFormat(tag(), { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(v);
}

/** A fraction → "66,8 %" (ru, a no-break space before the sign) / "66.8%" (en). */
export function pct(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return new Intl.NumberFormat(tag(), { style: 'percent', maximumFractionDigits: digits }).format(v);
}

/** A number already in percent (a chart's 66.8) → "66,8 %" / "66.8%". */
export function percentPoints(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? DASH : pct(v / 100, digits);
}

/** A date as дд.мм.гггг in Russian ("08.01.2027"), "Jan 8, 2027" in English, in the time zone. */
export function dateTime(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return DASH;
  const options: Intl.DateTimeFormatOptions =
    i18n.language === 'ru'
      ? { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone }
      : { dateStyle: 'medium', timeStyle: 'short', timeZone };
  return new Intl.DateTimeFormat(tag(), options).format(new Date(iso));
}

/** A day: "08.01.2027" (ru) / "Jan 8, 2027" (en), in the time zone. */
export function date(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return DASH;
  const options: Intl.DateTimeFormatOptions =
    i18n.language === 'ru'
      ? { day: '2-digit', month: '2-digit', year: 'numeric', timeZone }
      : { day: 'numeric', month: 'short', year: 'numeric', timeZone };
  return new Intl.DateTimeFormat(tag(), options).format(new Date(iso));
}

/** A report's month key ("2026-01") → "янв 2026" / "Jan 2026"; anything else is returned as it is. */
export function monthLabel(key: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(key);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return key;
  const month = new Intl.DateTimeFormat(tag(), { month: 'short', timeZone: 'UTC' })
    .format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 15)))
    .replace(/\.$/, '');
  return `${month} ${m[1]}`;
}

/** Whole days, e.g. "12 дней" / "12 days". */
export function days(n: number): string {
  return i18n.t('format.days', { count: Math.max(0, Math.floor(n)) });
}

export function ageDays(iso: string, now = Date.now()): string {
  return days((now - new Date(iso).getTime()) / 86_400_000);
}

/** Today in a time zone as YYYY-MM-DD, shifted by whole days. */
export function isoDay(timeZone: string, shift = 0): string {
  const d = new Date(Date.now() + shift * 86_400_000);
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  return parts;
}
