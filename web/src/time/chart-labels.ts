/**
 * Chart labels in the interface's language: a percentage as Russian writes it (66,8 %), a month as
 * «янв 2026» rather than the API's `2026-01`. Pure: Intl only.
 */

const RU_MONTHS = ['янв', 'фев', 'мар', 'апр', 'май', 'июн', 'июл', 'авг', 'сен', 'окт', 'ноя', 'дек'];
const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const tag = (lang: string) => (lang === 'ru' ? 'ru-RU' : 'en-US');

/** A number already in percent (66.8) → «66,8 %» / "66.8%"; null → empty. */
export function percentLabel(v: unknown, lang: string, digits = 1): string {
  const n = typeof v === 'number' ? v : Array.isArray(v) ? Number(v[v.length - 1]) : Number(v);
  if (v === null || v === undefined || !Number.isFinite(n)) return '';
  return new Intl.NumberFormat(tag(lang), { style: 'percent', maximumFractionDigits: digits }).format(n / 100);
}

/** `2026-01` → «янв 2026» / "Jan 2026"; anything else unchanged. */
export function monthLabel(key: string, lang: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(key);
  if (!m) return key;
  const names = lang === 'ru' ? RU_MONTHS : EN_MONTHS;
  return `${names[Number(m[2]) - 1]} ${m[1]}`;
}

/** A count or a number of days as the language writes it: «1 234», «12,5». */
export function numberLabel(v: unknown, lang: string, digits = 1): string {
  const n = Number(Array.isArray(v) ? v[v.length - 1] : v);
  if (v === null || v === undefined || !Number.isFinite(n)) return '';
  return new Intl.NumberFormat(tag(lang), { maximumFractionDigits: digits }).format(n);
}
