/**
 * Days and times in a time zone — never the browser's: a Moscow team's "today" is Moscow's even
 * on a laptop in Novosibirsk or on a UTC virtual desktop. Pure (Intl only): the pages take the zone
 * from use-time-zone.ts.
 */

const two = (n: number) => String(n).padStart(2, '0');

const formats = new Map<string, Intl.DateTimeFormat>();
/** The wall clock in a zone at an instant (no imports, so the server's tests can load this file too). */
function nowIn(zone: string, at: number): { y: number; m: number; d: number; h: number; min: number } {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(at)).map((x) => [x.type, Number(x.value)]));
  return { y: p.year, m: p.month, d: p.day, h: p.hour, min: p.minute };
}

/** The calendar day (YYYY-MM-DD) an instant falls on in a zone. */
export function dayIn(at: number | string | Date, zone: string): string {
  const t = typeof at === 'number' ? at : new Date(at).getTime();
  const p = nowIn(zone, t);
  return `${p.y}-${two(p.m)}-${two(p.d)}`;
}

/** Minutes east of UTC of a zone at an instant. */
export function offsetMinutes(zone: string | undefined, at: number): number {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(at)).map((x) => [x.type, Number(x.value)]));
  return Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - Math.floor(at / 60_000) * 60_000) / 60_000);
}

/** The browser's own zone. */
export const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Does the browser's clock read differently from the zone's at that instant? Then times carry the zone. */
export function differsFromBrowser(zone: string, at: number): boolean {
  return offsetMinutes(undefined, at) !== offsetMinutes(zone, at);
}

/**
 * A zone's short name as people say it: «МСК» for Moscow and, in Russian, «МСК+4» for a Russian
 * zone four hours east of it (Novosibirsk) — how Russian timetables write it; else `UTC+7`.
 */
export function zoneLabel(zone: string, lang: string, at = Date.now()): string {
  const off = offsetMinutes(zone, at);
  if (zone === 'Europe/Moscow') return lang === 'ru' ? 'МСК' : 'Moscow time';
  const ruZone =
    /^(Europe\/(Kaliningrad|Samara|Ulyanovsk|Saratov|Volgograd|Astrakhan|Kirov)|Asia\/(Yekaterinburg|Omsk|Novosibirsk|Barnaul|Tomsk|Novokuznetsk|Krasnoyarsk|Irkutsk|Chita|Yakutsk|Khandyga|Vladivostok|Ust-Nera|Sakhalin|Magadan|Srednekolymsk|Kamchatka|Anadyr))$/;
  if (lang === 'ru' && ruZone.test(zone)) {
    const d = (off - offsetMinutes('Europe/Moscow', at)) / 60;
    return `МСК${d >= 0 ? '+' : '−'}${Math.abs(d)}`;
  }
  if (off === 0) return 'UTC';
  const h = Math.trunc(Math.abs(off) / 60);
  const m = Math.abs(off) % 60;
  return `UTC${off > 0 ? '+' : '−'}${h}${m ? `:${two(m)}` : ''}`;
}

/** 10:00 in the zone. */
export function clockIn(at: string | number, zone: string): string {
  const p = nowIn(zone, new Date(at).getTime());
  return `${two(p.h)}:${two(p.min)}`;
}

/** дд.мм.гггг (ru) or mm/dd/yyyy (en) of the day an instant falls on in the zone. */
export function dayText(at: string | number, zone: string, lang: string): string {
  const p = nowIn(zone, new Date(at).getTime());
  return lang === 'ru' ? `${two(p.d)}.${two(p.m)}.${p.y}` : `${two(p.m)}/${two(p.d)}/${p.y}`;
}

/** A YYYY-MM-DD day as the language writes it: 01.05.2026 / 05/01/2026. */
export function isoDayText(iso: string, lang: string): string {
  const [y, m, d] = iso.split('-');
  return lang === 'ru' ? `${d}.${m}.${y}` : `${m}/${d}/${y}`;
}

/**
 * A due time as a person reads it: «10:00» when it is today in the zone, else «дд.мм.гггг, 10:00»;
 * with the zone's label («10:00 МСК») when the browser's clock reads differently at that instant.
 */
export function dueText(at: string, zone: string, lang: string, now = Date.now()): string {
  const t = new Date(at).getTime();
  const time = clockIn(t, zone);
  const day = dayIn(t, zone) === dayIn(now, zone) ? time : `${dayText(t, zone, lang)}, ${time}`;
  return differsFromBrowser(zone, t) ? `${day} ${zoneLabel(zone, lang, t)}` : day;
}

export type Bucket = 'overdue' | 'today' | 'upcoming' | 'later';

/**
 * Which list a task is in, by the day in the zone: past its due time — overdue; due later today
 * (the zone's today) — today; due within the next seven days of the zone's calendar, or without
 * a date — upcoming; later than that — later.
 */
export function bucketOf(dueAt: string | null | undefined, zone: string, now = Date.now()): Bucket {
  if (!dueAt) return 'upcoming';
  const t = new Date(dueAt).getTime();
  if (t < now) return 'overdue';
  const today = dayIn(now, zone);
  const day = dayIn(t, zone);
  if (day === today) return 'today';
  const week = dayIn(now + 7 * 86_400_000, zone);
  return day <= week ? 'upcoming' : 'later';
}
