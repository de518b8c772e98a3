import { IANAZone } from 'luxon';
import sql from 'sql-template-tag';
import type { Queryable } from './db/types.ts';

/**
 * Whose clock a person's "today" and a report's days are on: the person's own `time_zone`
 * preference when they set one (Settings), else the workspace's zone. The one rule for the
 * server (report periods, day buckets) and, through GET /me/preferences, for the web app.
 */
export function isTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

/** The zone a caller's days are counted in. */
export async function callerTimeZone(tx: Queryable, workspaceId: number, userId: number | null): Promise<string> {
  const [r] = await tx.query<{ zone: string }>(sql`
    select coalesce((select u.preferences->>'time_zone' from users u where u.workspace_id = w.workspace_id and u.id = ${userId}::int8),
                    w.timezone) as zone
      from workspaces w where w.workspace_id = ${workspaceId}`);
  // A zone the runtime no longer knows (an ICU update) falls back to the workspace's.
  if (r && isTimeZone(r.zone)) return r.zone;
  const [w] = await tx.query<{ timezone: string }>(sql`select timezone from workspaces where workspace_id = ${workspaceId}`);
  return w.timezone;
}
