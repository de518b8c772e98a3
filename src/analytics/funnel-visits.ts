import sql, { join, raw, type Sql } from 'sql-template-tag';
import { type Breakdown, dimensionSql, FILTERS, type FilterKey, type FunnelQuery } from './funnel-query.ts';

/**
 * The sets of `stage_visits` the funnel counts, as SQL: the report's statements
 * (metrics/funnel-metrics.ts) and the drill-down lists (funnel-deals.ts) both read these,
 * so a figure and the deals behind it can never disagree.
 */

/** How a statement groups its rows: by a deal dimension, by calendar month of a timestamp, or not at all. */
export type Grouping = { by: Exclude<Breakdown, 'month'> } | { by: 'month' } | null;

/** A row's group: `'total'` ungrouped, the dimension's value, or the month (workspace zone) of `tsCol`. */
export function groupExpr(g: Grouping, q: FunnelQuery, tsCol: string): Sql {
  if (!g) return raw(`'total'`);
  if (g.by === 'month') return sql`to_char(${raw(tsCol)} at time zone ${q.timeZone}, 'YYYY-MM')`;
  return dimensionSql(g.by, 'v');
}

/** The start of the period a row's group covers: `from`, or the later of `from` and its month's start. */
export function groupPeriodStart(g: Grouping, q: FunnelQuery, tsCol: string): Sql {
  if (g?.by === 'month') return sql`greatest(${q.from}::timestamptz, date_trunc('month', ${raw(tsCol)}, ${q.timeZone}))`;
  return sql`${q.from}::timestamptz`;
}

function filterSql(q: FunnelQuery, keys: readonly FilterKey[]): Sql[] {
  const out: Sql[] = [];
  // A scoped caller's report counts only their (team's) deals; probabilities and
  // thresholds, which pass no owner key, stay workspace-wide as kpi.md says.
  if (q.ownerScope && keys.includes('owner')) out.push(sql`v.owner_id = any(${q.ownerScope}::int8[])`);
  for (const key of keys) {
    const f = q.filters[key];
    if (!f) continue;
    switch (key) {
      case 'segment':
      case 'owner':
      case 'channel': {
        const col = raw(`v.${key}_id`);
        out.push(f.value === null ? sql`${col} is null` : sql`${col} = ${f.value}`);
        break;
      }
      case 'region':
        out.push(f.value === null ? sql`v.region is null` : sql`v.region = ${f.value}`);
        break;
      case 'team':
        out.push(
          f.value === null
            ? sql`(v.owner_id is null or v.owner_id in (select id from users where workspace_id = ${q.workspaceId} and team is null))`
            : sql`v.owner_id in (select id from users where workspace_id = ${q.workspaceId} and team = ${f.value})`,
        );
        break;
    }
  }
  return out;
}

/** The workspace, the pipeline, the request's filters (`filters`: which of them apply) and `extra`. */
export function where(q: FunnelQuery, extra: Sql[], filters: readonly FilterKey[] = FILTERS): Sql {
  return join([sql`v.workspace_id = ${q.workspaceId}`, sql`v.pipeline_id = ${q.pipeline.id}`, ...filterSql(q, filters), ...extra], ' and ');
}

/** A set of visits: the relation they are read from (alias `v`) and the conditions that pick them. */
export interface VisitSet {
  from: Sql;
  where: Sql[];
}

const VISITS = raw('stage_visits v');
const set = (from: Sql, where: Sql[]): VisitSet => ({ from, where });

/**
 * The as-of source: the visits running at `q.asOf` (entered before it, not exited before it) —
 * what every "at as-of" figure reads: a deal's status, its closing, its current stage. Kept
 * alone so that a faster way to find them for a past as-of (monthly checkpoints, an interval
 * index: docs/operations.md) replaces this function and nothing else. `running` picks them
 * among all visits of `from`; `notExited` among visits already known to have entered before
 * as-of. Live, nothing entered at or after as-of, so both are "not exited", which the partial
 * indexes answer directly.
 */
export function asOfVisits(q: FunnelQuery): { from: Sql; running: Sql; notExited: Sql } {
  if (q.live) return { from: VISITS, running: sql`v.exited_at is null`, notExited: sql`v.exited_at is null` };
  return {
    from: VISITS,
    running: sql`v.entered_at < ${q.asOf} and (v.exited_at is null or v.exited_at >= ${q.asOf})`,
    notExited: sql`(v.exited_at is null or v.exited_at >= ${q.asOf})`,
  };
}

/** Each metric's set of visits, defined once, and the conditions that split them. */
export function metricSets(q: FunnelQuery) {
  const end = new Date(Math.min(q.to.getTime(), q.asOf.getTime()));
  const inPeriod = (col: string) => sql`${raw(col)} >= ${q.from} and ${raw(col)} < ${end}`;
  const asOf = asOfVisits(q);
  return {
    inPeriod,
    /** A deal's first entry, in the period: deals_created. */
    created: set(VISITS, [sql`v.visit_no = 1`, inPeriod('v.entered_at')]),
    /** The closing visit of a deal won or lost at as-of, closed in the period: deals_won / deals_lost. */
    closing: set(asOf.from, [sql`v.stage_kind <> 'open'`, inPeriod('v.entered_at'), asOf.notExited]),
    /** Deals created in the period and won at as-of: the numerator of cohort_win_rate. */
    cohortWon: set(asOf.from, [sql`v.stage_kind = 'won'`, asOf.running, inPeriod('v.created_at')]),
    /** The visit each open deal is in at as-of: open_deals, weighted_pipeline, stuck_deals. */
    openAt: set(asOf.from, [sql`v.stage_kind = 'open'`, asOf.running]),
    /** Visits that began in the period (of the open stage asked for): stage_conversion and stage_duration_days. */
    periodVisits: set(VISITS, [inPeriod('v.entered_at')]),
    /** The closing visit of every deal closed at as-of, whole history: stage_win_probability. */
    closedAt: set(asOf.from, [sql`v.stage_kind <> 'open'`, asOf.running]),
    /** Of the period visits: the deal's first visit to that stage in the period. */
    firstInPeriod: (periodStart: Sql) => sql`(v.prev_same_stage_at is null or v.prev_same_stage_at < ${periodStart})`,
    advanced: sql`v.advanced_at < ${q.asOf}`,
    lostNext: sql`v.next_kind = 'lost' and v.exited_at < ${q.asOf}`,
    finished: q.live ? sql`v.exited_at is not null` : sql`v.exited_at < ${q.asOf}`,
    /** Of the open-at visits: longer than the stage's threshold (seconds). */
    stuck: (threshold: Sql) => sql`extract(epoch from ${q.asOf}::timestamptz - v.entered_at)::float8 > ${threshold}`,
    /** Visited a stage (by its position bit) before as-of, on the closing visit. */
    visited: (position: number) => sql`(v.cum_mask & ${2 ** position}::int8) <> 0`,
  };
}
