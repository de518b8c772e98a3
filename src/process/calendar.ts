import { DateTime } from 'luxon';
import sql from 'sql-template-tag';
import type { Queryable } from '../platform/db/types.ts';

/**
 * The workspace's business calendar: Monday to Friday are working days unless a
 * date overrides it — a holiday on a weekday, or a working Saturday moved there
 * (the Russian production calendar moves several a year).
 */
export type DayKind = 'holiday' | 'workday';
export type Calendar = Map<string, DayKind>;

export async function loadCalendar(tx: Queryable, ws: number): Promise<Calendar> {
  const rows = await tx.query<{ day: string; kind: DayKind }>(
    sql`select to_char(day, 'YYYY-MM-DD') as day, kind from calendar_days where workspace_id = ${ws}`,
  );
  return new Map(rows.map((r) => [r.day, r.kind]));
}

export function isWorkingDay(d: DateTime, cal: Calendar): boolean {
  const o = cal.get(d.toISODate() ?? '');
  if (o) return o === 'workday';
  return d.weekday <= 5;
}

/**
 * A due instant `days` after `start`: calendar days, or working days counted one
 * by one (each non-working day skipped), keeping the local time of day in the
 * workspace zone. Zero days is the start itself.
 */
export function addDays(start: Date, days: number, kind: 'calendar' | 'business', zone: string, cal: Calendar): Date {
  let d = DateTime.fromJSDate(start, { zone });
  if (kind === 'calendar') return d.plus({ days }).toJSDate();
  let left = days;
  while (left > 0) {
    d = d.plus({ days: 1 });
    if (isWorkingDay(d, cal)) left--;
  }
  return d.toJSDate();
}
