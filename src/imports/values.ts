import { DateTime } from 'luxon';
import type { Msg } from '../platform/errors.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; en: string; ru: string };

/**
 * An amount in major units → integer minor units, exactly (no floating point).
 * Accepts `1234.56`, `1 234,56` (spaces or no-break spaces as thousands, comma
 * as decimal, as Russian Excel writes), `1,234.56`. At most two decimals: a
 * third would be either a thousands separator or a fraction of a kopeck, and
 * guessing would corrupt money.
 */
export function parseAmountMinor(raw: string): Parsed<number> {
  let s = raw
    .trim()
    .replace(/[\s\u00a0\u202f]/g, '')
    .replace(/(₽|руб\.?|rub|usd|\$|€|eur)$/i, '');
  if (s === '') return { ok: false, en: 'amount is empty', ru: 'сумма не указана' };
  if (s.startsWith('-')) return { ok: false, en: 'amount is negative', ru: 'сумма отрицательная' };
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  const decimalAt = Math.max(lastDot, lastComma);
  let intPart = s;
  let frac = '';
  if (decimalAt >= 0) {
    const sep = s[decimalAt];
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
  if (frac.length > 2) {
    return { ok: false, en: `"${raw}" has more than two decimals`, ru: `в «${raw}» больше двух знаков после запятой` };
  }
  const minor = Number(s) * 100 + Number(frac.padEnd(2, '0') || '0');
  if (!Number.isSafeInteger(minor) || minor > 900_000_000_000_000)
    return { ok: false, en: `"${raw}" is too large`, ru: `«${raw}» — слишком большая сумма` };
  return { ok: true, value: minor };
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
