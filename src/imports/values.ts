import { DateTime } from 'luxon';
import type { Msg } from '../platform/errors.ts';
import { decimalToMinor, MAX_MINOR, minorDigits } from '../platform/money.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; en: string; ru: string };

const DECIMALS_EN = ['no', 'one', 'two', 'three', 'four'];
const DECIMALS_RU = ['', 'одного знака', 'двух знаков', 'трёх знаков', 'четырёх знаков'];
const DECIMALS_RU_HAS = ['', 'один', 'два', 'три', 'четыре'];

/** "More decimals than the currency has", in words; for two-decimal currencies the words they always had. */
function tooManyDecimals(raw: string, currency: string, digits: number): { ok: false; en: string; ru: string } {
  if (digits === 0)
    return {
      ok: false,
      en: `"${raw}" has decimals, and ${currency} has no minor unit`,
      ru: `в «${raw}» есть дробная часть, а у ${currency} нет дробных единиц`,
    };
  const en = `"${raw}" has more than ${DECIMALS_EN[digits]} decimals`;
  const ru = `в «${raw}» больше ${DECIMALS_RU[digits]} после запятой`;
  return digits === 2
    ? { ok: false, en, ru }
    : { ok: false, en: `${en}, as many as ${currency} has`, ru: `${ru}, а у ${currency} их ${DECIMALS_RU_HAS[digits]}` };
}

/**
 * An amount in major units of `currency` → integer minor units, exactly (integer arithmetic,
 * src/platform/money.ts). Accepts `1234.56`, `1 234,56` (spaces or no-break spaces as thousands,
 * comma as decimal, as Russian Excel writes), `1,234.56`, and a trailing currency sign or code.
 * At most the currency's decimals (JPY none, RUB two, KWD three): one more would be either a
 * thousands separator or a fraction of the minor unit, and guessing would corrupt money. For a
 * currency with three decimals a lone comma before three digits (`12,345`) is either, so it is refused.
 */
export function parseAmountMinor(raw: string, currency = 'RUB'): Parsed<number> {
  let s = raw
    .trim()
    .replace(/[\s\u00a0\u202f]/g, '')
    .replace(/(₽|руб\.?|rub|usd|\$|€|eur)$/i, '');
  if (s.toLowerCase().endsWith(currency.toLowerCase())) s = s.slice(0, -currency.length);
  if (s === '') return { ok: false, en: 'amount is empty', ru: 'сумма не указана' };
  if (s.startsWith('-')) return { ok: false, en: 'amount is negative', ru: 'сумма отрицательная' };
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  const decimalAt = Math.max(lastDot, lastComma);
  let intPart = s;
  let frac = '';
  const sep = decimalAt >= 0 ? s[decimalAt] : '';
  if (decimalAt >= 0) {
    const other = sep === '.' ? ',' : '.';
    intPart = s.slice(0, decimalAt);
    frac = s.slice(decimalAt + 1);
    // The other separator may only group thousands in the integer part.
    if (intPart.includes(sep)) return { ok: false, en: `"${raw}" is not an amount`, ru: `«${raw}» — не сумма` };
    if (intPart.includes(other)) {
      if (!/^\d{1,3}([.,]\d{3})*$/.test(intPart)) return { ok: false, en: `"${raw}" is not an amount`, ru: `«${raw}» — не сумма` };
      intPart = intPart.replace(/[.,]/g, '');
    }
  }
  s = intPart;
  if (!/^\d+$/.test(s) || !/^\d*$/.test(frac)) return { ok: false, en: `"${raw}" is not an amount`, ru: `«${raw}» — не сумма` };
  const digits = minorDigits(currency);
  if (frac.length > digits) return tooManyDecimals(raw, currency, digits);
  if (digits >= 3 && frac.length === 3 && sep === ',' && /^\d{1,3}$/.test(s)) {
    return {
      ok: false,
      en: `"${raw}" is ambiguous in ${currency}: write ${s}.${frac} for the decimal or ${s}${frac} for the whole amount`,
      ru: `«${raw}» неоднозначно для ${currency}: напишите ${s}.${frac}, если это дробь, или ${s}${frac}, если это целое`,
    };
  }
  const p = decimalToMinor(frac ? `${s}.${frac}` : s, currency);
  if (!p.ok || p.minor > MAX_MINOR) return { ok: false, en: `"${raw}" is too large`, ru: `«${raw}» — слишком большая сумма` };
  return { ok: true, value: p.minor };
}

const LOCAL_FORMATS = [
  'dd.MM.yyyy HH:mm:ss',
  'dd.MM.yyyy HH:mm',
  'dd.MM.yyyy',
  'yyyy-MM-dd HH:mm:ss',
  'yyyy-MM-dd HH:mm',
  'M/d/yyyy H:mm',
  'M/d/yyyy',
];

/**
 * A timestamp → an instant. ISO 8601 with an offset is taken as is; without
 * one (including `YYYY-MM-DD` and Russian `DD.MM.YYYY HH:mm`) it is local time in
 * the workspace time zone.
 */
export function parseInstant(raw: string, zone: string): Parsed<Date> {
  const s = raw.trim();
  if (s === '') return { ok: false, en: 'date is empty', ru: 'дата не указана' };
  let dt = DateTime.fromISO(s, { zone, setZone: true });
  if (!dt.isValid) {
    for (const f of LOCAL_FORMATS) {
      dt = DateTime.fromFormat(s, f, { zone });
      if (dt.isValid) break;
    }
  }
  if (!dt.isValid) {
    return {
      ok: false,
      en: `"${raw}" is not a date (expected ISO 8601 such as 2024-03-01T10:00:00+03:00, or 01.03.2024 10:00)`,
      ru: `«${raw}» — не дата (ожидалось ISO 8601, например 2024-03-01T10:00:00+03:00, или 01.03.2024 10:00)`,
    };
  }
  if (dt.year < 1990 || dt.year > 2200) return { ok: false, en: `"${raw}" is outside 1990–2200`, ru: `«${raw}» вне диапазона 1990–2200` };
  return { ok: true, value: dt.toJSDate() };
}

const PLURAL = { en: new Intl.PluralRules('en'), ru: new Intl.PluralRules('ru') };

/**
 * A count with its noun in the right plural form: 1 строка, 2 строки, 5 строк /
 * 1 row, 2 rows. CLDR's categories through Intl.PluralRules, as the web app's
 * i18next keys (`_one`, `_few`, `_many`); a fraction (`other` in Russian) takes
 * the form of "few", as there.
 */
export function countOf(n: number, en: [one: string, other: string], ru: [one: string, few: string, many: string]): Msg {
  const r = PLURAL.ru.select(n);
  return {
    en: `${n} ${PLURAL.en.select(n) === 'one' ? en[0] : en[1]}`,
    ru: `${n} ${r === 'one' ? ru[0] : r === 'many' ? ru[2] : ru[1]}`,
  };
}
