import { decimalToMinor, formatEstimate, formatMajor, formatMinor, minorDigits, toMajor } from '../../src/platform/money';
import i18n from './i18n';

/*
 * Money follows the server's one rule, src/platform/money.ts (imported, not copied): minor units
 * per currency from ISO 4217 — JPY none, RUB two, KWD three — never a hundred for all.
 */
export { minorDigits, minorToDecimal, toMajor } from '../../src/platform/money';

const tag = () => (i18n.language === 'ru' ? 'ru-RU' : 'en-US');
const DASH = '—';

/**
 * An exact amount in minor units → "1 234 567 ₽", "1 500 000 ¥", "1 234,567 KWD" (ru) or
 * "RUB 1,234,567", "¥1,500,000", "KWD 1,234.567" (en): the currency's decimals only when present.
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
 * What a person typed into an amount field (`1500000`, `1234,567`) → minor units, exactly; more
 * decimals than the currency has is refused with a message, never rounded away.
 */
export function parseMoneyInput(raw: string, currency: string): number {
  const p = decimalToMinor(raw, currency);
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
  throw new Error(i18n.t(key, { value: raw, currency, digits }));
}

/** The step of an amount input: 1 for JPY, 0.01 for RUB, 0.001 for KWD. */
export function moneyStep(currency: string): string {
  const digits = minorDigits(currency);
  return digits === 0 ? '1' : `0.${'1'.padStart(digits, '0')}`;
}

export function num(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return new Intl.NumberFormat(tag(), { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(v);
}

/** A fraction → "12,5 %" / "12.5%". */
export function pct(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return new Intl.NumberFormat(tag(), { style: 'percent', maximumFractionDigits: digits }).format(v);
}

export function dateTime(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return DASH;
  return new Intl.DateTimeFormat(tag(), { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(iso));
}

export function date(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return DASH;
  return new Intl.DateTimeFormat(tag(), { day: 'numeric', month: 'short', year: 'numeric', timeZone }).format(new Date(iso));
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
