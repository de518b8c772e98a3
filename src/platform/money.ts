/**
 * Money: integer minor units plus an ISO 4217 currency code, everywhere. This is the one place
 * that knows how many minor units a currency has (a yen has none, a rouble 100 kopecks, a Kuwaiti
 * dinar 1000 fils), so nothing else may divide or multiply an amount by 100. The web app imports
 * this same file (web/src/format.ts), so the server and the screen cannot disagree.
 *
 * The digits come from ISO 4217's own table, kept here, not from `Intl`: the number an amount is
 * stored as must not change with the ICU data of a Node or browser release, and CLDR's display
 * digits differ from ISO 4217 for several currencies (ICU formats IQD with 0 decimals, ISO 4217
 * gives it 3; HUF, IDR, COP, IRR: 0 against 2). test/platform/money.test.ts lists where they differ.
 *
 * No imports, no Node or DOM APIs: the module is plain ECMAScript for both builds.
 */

/** The largest amount the API accepts, in minor units (below 2^53, so sums of many stay exact). */
export const MAX_MINOR = 900_000_000_000_000;

/**
 * ISO 4217 list one: active codes with their minor units (plus a few withdrawn since 2023 that
 * old data may still carry). Codes without minor units (gold, SDR, test and "no currency" codes)
 * are not money a deal is counted in and are absent. Every other code has 2.
 */
const NOT_TWO: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};
const TWO =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF ' +
  'CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HRK ' +
  'HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR ' +
  'MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP ' +
  'SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ' +
  'ZAR ZMW ZWG ZWL';
const DIGITS: ReadonlyMap<string, number> = new Map([...TWO.split(' ').map((c): [string, number] => [c, 2]), ...Object.entries(NOT_TWO)]);

/** Every currency code a workspace may count money in, sorted. */
export const CURRENCY_CODES: readonly string[] = [...DIGITS.keys()].sort();

/** Whether `code` is an ISO 4217 code of a currency with minor units (RUB, JPY, KWD — not XAU or ABC). */
export function isCurrencyCode(code: string): boolean {
  return DIGITS.has(code);
}

/**
 * Decimals of the currency's minor unit: JPY 0, RUB 2, KWD 3, CLF 4. A code not in the table
 * (a workspace created before codes were checked) keeps 2, the rule its amounts were stored by.
 */
export function minorDigits(currency: string): number {
  return DIGITS.get(currency) ?? 2;
}

/** Minor units in one major unit: 1, 100, 1000, 10000. */
export function minorFactor(currency: string): number {
  return 10 ** minorDigits(currency);
}

/** Minor units → major units as a JSON number (what reports answer): 150000 RUB → 1500, 1500000 JPY → 1500000. */
export function toMajor(minor: number, currency: string): number {
  return minor / minorFactor(currency);
}

/**
 * Major units → minor units, rounded to the minor unit. Exact for any amount a report gives for an
 * exact sum (below 2^52 minor units the product's error is far under half a unit); an estimate
 * (an average, a weighted sum) is rounded to the nearest minor unit.
 */
export function toMinor(major: number, currency: string): number {
  const m = Math.round(major * minorFactor(currency));
  return m === 0 ? 0 : m;
}

/** Minor units → the exact decimal, dot separated, no trailing zeros: 123450 RUB → "1234.5", 1234567 KWD → "1234.567". */
export function minorToDecimal(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const m = Math.round(minor);
  const abs = String(Math.abs(m)).padStart(digits + 1, '0');
  const whole = abs.slice(0, abs.length - digits);
  const frac = abs.slice(abs.length - digits).replace(/0+$/, '');
  return `${m < 0 ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

export type DecimalParse = { ok: true; minor: number } | { ok: false; problem: 'not_a_number' | 'too_many_decimals' | 'too_large' };

/**
 * A plain non-negative decimal (`1500`, `1234.567`, `12,5`; no grouping, no sign) → minor units,
 * by integer arithmetic, exact up to 2^53 − 1. More decimals than the currency has is refused,
 * never rounded: `1500.5` is no amount of yen.
 */
export function decimalToMinor(text: string, currency: string): DecimalParse {
  const m = /^(\d+)(?:[.,](\d*))?$/.exec(text.trim());
  if (!m) return { ok: false, problem: 'not_a_number' };
  const digits = minorDigits(currency);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > digits) return { ok: false, problem: 'too_many_decimals' };
  const minor = BigInt(m[1]) * BigInt(10 ** digits) + BigInt(frac.padEnd(digits, '0') || '0');
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, problem: 'too_large' };
  return { ok: true, minor: Number(minor) };
}

/**
 * An amount as a person types it in their language → minor units, exactly (`decimalToMinor` on
 * what is left once the grouping is taken out). Thousands may be grouped by spaces (plain,
 * no-break or narrow no-break, as Intl writes them) or by commas, never by dots (`1.234.567` is
 * refused: it may be a date or a typo); groups are of three digits (`12 34` is a typo, not 1234).
 * The decimal separator:
 * - a dot: decimals, with commas before it grouping (`1,234,567.89`), in either language;
 * - commas alone, repeated: grouping (`1,234,567`);
 * - a single comma: decimals in Russian (`12,5`, `1 234 567,89`); in English too, unless exactly
 *   three digits follow it (`1,234` is a thousand and some).
 * The currency's decimals are not exceeded, as there; a sign or any other character is refused.
 */
export function parseAmount(text: string, currency: string, locale: string): DecimalParse {
  const bad = { ok: false, problem: 'not_a_number' } as const;
  const s = text.trim().replace(/[\u00a0\u202f\u2009\u2007]/g, ' ');
  if (!/^\d[\d ,.]*$/.test(s)) return bad;
  const ru = locale.toLowerCase().startsWith('ru');
  const commas = s.split(',').length - 1;
  const dots = s.split('.').length - 1;
  let decimal: ',' | '.' | null = null;
  let group: ',' | null = null;
  if (dots > 1 || (dots === 1 && s.lastIndexOf(',') > s.indexOf('.'))) return bad;
  if (dots === 1) {
    decimal = '.';
    group = ',';
  } else if (commas > 1) group = ',';
  else if (commas === 1) {
    const after = s.slice(s.indexOf(',') + 1);
    decimal = ru || !/^\d{3}$/.test(after) || s.includes(' ') ? ',' : null;
    if (decimal === null) group = ',';
  }
  let whole = s;
  let frac: string | null = null;
  if (decimal) {
    const at = s.lastIndexOf(decimal);
    whole = s.slice(0, at);
    frac = s.slice(at + 1);
    if (!/^\d*$/.test(frac)) return bad;
  }
  const seps = new Set(whole.match(/[ ,.]/g) ?? []);
  if (seps.size > 1 || (seps.size === 1 && !seps.has(' ') && !seps.has(group ?? ' '))) return bad;
  if (seps.size === 1) {
    const parts = whole.split([...seps][0]);
    if (!/^\d{1,3}$/.test(parts[0]) || parts.slice(1).some((p) => !/^\d{3}$/.test(p))) return bad;
    whole = parts.join('');
  }
  if (!/^\d+$/.test(whole)) return bad;
  return decimalToMinor(frac === null ? whole : `${whole}.${frac}`, currency);
}

const formats = new Map<string, Intl.NumberFormat>();
function currencyFormat(locale: string, currency: string, fractionDigits: number): Intl.NumberFormat {
  const key = `${locale}|${currency}|${fractionDigits}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: fractionDigits,
      maximumFractionDigits: fractionDigits,
    });
    formats.set(key, f);
  }
  return f;
}

/**
 * An exact amount (a deal, a sum of deals) for a person: whole major units, and the currency's
 * decimals only when the amount has a fraction — "1 500 000 ¥", "1 234 567 ₽", "1 234,50 ₽",
 * "1 234,567 KWD" in Russian.
 */
export function formatMinor(minor: number, currency: string, locale: string): string {
  const m = Math.round(minor);
  const factor = minorFactor(currency);
  return currencyFormat(locale, currency, m % factor === 0 ? 0 : minorDigits(currency)).format(m / factor);
}

/** An exact amount a report gives in major units, formatted as `formatMinor`. */
export function formatMajor(major: number, currency: string, locale: string): string {
  return formatMinor(toMinor(major, currency), currency, locale);
}

/** An estimate in major units (an average, a weighted pipeline, money per day): whole major units whatever the currency. */
export function formatEstimate(major: number, currency: string, locale: string): string {
  return currencyFormat(locale, currency, 0).format(major);
}
