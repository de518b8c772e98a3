/**
 * Dates and times as a person types them in the form's language — дд.мм.гггг in Russian,
 * mm/dd/yyyy in English, yyyy-mm-dd in both — and their instant in the workspace's time zone
 * (a task due on 05.03.2027 at 18:00 is 18:00 in Moscow for a Moscow workspace, whatever the
 * browser's zone). Pure: Intl only, no DOM.
 */
export interface Day {
  y: number;
  m: number;
  d: number;
}
export interface Clock {
  h: number;
  min: number;
}
export type Lang = 'ru' | 'en';

function valid(y: number, m: number, d: number): Day | null {
  if (m < 1 || m > 12 || d < 1 || y < 1900 || y > 2999) return null;
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCMonth() === m - 1 && t.getUTCDate() === d ? { y, m, d } : null;
}

const fullYear = (s: string) => (s.length === 2 ? 2000 + Number(s) : Number(s));

/** 05.03.2027, 5.3.27, 5/3/2027 (ru); 03/05/2027, 3/5/27 (en); 2027-03-05 (both) → the day, or null. */
export function parseDay(text: string, lang: Lang): Day | null {
  const s = text.trim();
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (iso) return valid(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const m = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})$/.exec(s);
  if (!m) return null;
  return lang === 'ru' ? valid(fullYear(m[3]), Number(m[2]), Number(m[1])) : valid(fullYear(m[3]), Number(m[1]), Number(m[2]));
}

const two = (n: number) => String(n).padStart(2, '0');

/** The day as the language writes it: 05.03.2027 / 03/05/2027. */
export function formatDay(p: Day, lang: Lang): string {
  return lang === 'ru' ? `${two(p.d)}.${two(p.m)}.${p.y}` : `${two(p.m)}/${two(p.d)}/${p.y}`;
}

/** yyyy-mm-dd, what a native date input holds. */
export const isoDay = (p: Day) => `${p.y}-${two(p.m)}-${two(p.d)}`;

/** 9, 9:30, 09.30, 18:00 → the time of day, or null. */
export function parseClock(text: string): Clock | null {
  const m = /^(\d{1,2})(?:[:.](\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2] ?? 0);
  return h < 24 && min < 60 ? { h, min } : null;
}

export const formatClock = (c: Clock) => `${two(c.h)}:${two(c.min)}`;

const partsFormats = new Map<string, Intl.DateTimeFormat>();
function wallClock(at: number, timeZone: string) {
  let f = partsFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partsFormats.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(at)).map((x) => [x.type, Number(x.value)]));
  return { y: p.year, m: p.month, d: p.day, h: p.hour, min: p.minute, s: p.second };
}

/** The day and time it is at `at` in the zone. */
export function nowIn(timeZone: string, at = Date.now()): Day & Clock {
  const w = wallClock(at, timeZone);
  return { y: w.y, m: w.m, d: w.d, h: w.h, min: w.min };
}

/** The day `n` days after `p` (calendar days). */
export function addDays(p: Day, n: number): Day {
  const t = new Date(Date.UTC(p.y, p.m - 1, p.d + n));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/**
 * The instant (ISO 8601, UTC) of a wall-clock time in a zone: the zone's offset is read at a first
 * guess and read again at the result, which settles it on either side of a daylight-saving change
 * (a time inside the spring gap, which the zone never shows, lands an hour off).
 */
export function zonedInstant(day: Day, clock: Clock, timeZone: string): string {
  const wall = Date.UTC(day.y, day.m - 1, day.d, clock.h, clock.min);
  const offsetAt = (at: number) => {
    const w = wallClock(at, timeZone);
    return Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s) - at;
  };
  const first = wall - offsetAt(wall);
  const second = wall - offsetAt(first);
  return new Date(second).toISOString();
}

/** A datetime-local value (`YYYY-MM-DDTHH:mm`, the wall clock) as the instant it names in `zone`, not in the browser's zone. */
export function localInputInstant(value: string, zone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!m) return null;
  return zonedInstant({ y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) }, { h: Number(m[4]), min: Number(m[5]) }, zone);
}
