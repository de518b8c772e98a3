import i18n from './i18n';

const tag = () => (i18n.language === 'ru' ? 'ru-RU' : 'en-US');
const DASH = '—';

/** Minor units → "1 234 567 ₽" (ru) or "RUB 1,234,567" (en); kopecks shown only when present. */
export function money(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined || !Number.isFinite(minor)) return DASH;
  return majorMoney(minor / 100, currency);
}

/** Major units (as reports give them) → locale money, whole units. */
export function majorMoney(major: number | null | undefined, currency: string): string {
  if (major === null || major === undefined || !Number.isFinite(major)) return DASH;
  return new Intl.NumberFormat(tag(), { style: 'currency', currency, maximumFractionDigits: 0, minimumFractionDigits: 0 }).format(major);
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
