import { raw, type Sql } from 'sql-template-tag';
import { countersAtSql, latestCheckpoint, openAtSql } from '../history/checkpoints.ts';
import type { Queryable } from '../platform/db/types.ts';

/**
 * Where a report reads what does not depend on its period. Live, that is funnel_counters and the
 * visits open now; as of a past instant, the latest monthly checkpoint before it plus what happened
 * since (src/history/checkpoints.ts) — a month of activity at most, instead of the whole history on
 * one side of as-of. Without a checkpoint (`q.checkpoint` null, or as-of before the history's first
 * month) the report reads stage_visits as it always did; the tests compare both ways.
 */

/** What of a funnel query these need (a structural type, so that funnel-query.ts may import this file). */
interface AsOfQuery {
  workspaceId: number;
  pipeline: { id: number };
  asOf: Date;
  checkpoint?: Date | null;
}

/** The checkpoint a past as-of report starts from: the latest at or before as-of; null when live. */
export async function asOfCheckpoint(tx: Queryable, ws: number, pipelineId: number, asOf: Date, live: boolean): Promise<Date | null> {
  return live ? null : latestCheckpoint(tx, ws, pipelineId, asOf);
}

/** funnel_counters as they stood at as-of (columns of funnel_counters), or null without a checkpoint. */
export function countersAt(q: AsOfQuery): Sql | null {
  return q.checkpoint ? countersAtSql(q.workspaceId, q.pipeline.id, q.checkpoint, q.asOf) : null;
}

/** The visits to read for "open at as-of": a superset, with stage_visits' columns, to apply its conditions to. */
export function openVisitsAt(q: AsOfQuery): Sql {
  return q.checkpoint ? openAtSql(q.workspaceId, q.pipeline.id, q.checkpoint, q.asOf) : raw('stage_visits');
}
