import sql, { type Sql } from 'sql-template-tag';
import { z } from 'zod';
import type { Queryable } from '../platform/db/types.ts';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { toMajor } from '../platform/money.ts';
import type { FilterKey, FunnelQuery } from './funnel-query.ts';
import { stuckThresholds } from './funnel-report.ts';
import { metricSets, type VisitSet, where } from './funnel-visits.ts';

import { DRILL_METRICS, type DrillMetric } from './report-keys.ts';

export { DRILL_METRICS, type DrillMetric };

export const drillItem = z.object({
  deal_id: z.number().int(),
  title: z.string(),
  amount: z.number().describe('Major units'),
  stage: z.string().describe('The stage of the visit behind the figure (the current stage for open deals)'),
  entered_at: z.string().describe('When that visit began'),
  days_in_stage: z.number().nullable().describe('Days from that entry to its exit, or to as-of while it runs'),
  owner: z.string().nullable(),
  segment: z.string().nullable(),
  channel: z.string().nullable(),
  region: z.string().nullable(),
  created_at: z.string(),
  cycle_days: z
    .number()
    .nullable()
    .describe('For a closing visit (deals_won, deals_lost, deals_closed): days from creation to that closing; else null'),
});
export type DrillItem = z.infer<typeof drillItem>;

/** What the listed set adds up to, so the screen can show that it is the figure's own. */
export const drillSummary = z.object({
  amount: z.number().describe('Sum of the amounts of every listed row (all pages), major units'),
  won: z.number().int().nullable().describe('Of the listed closing visits, those in a won stage (closing metrics only)'),
  cycle_days: z
    .object({ mean: z.number().nullable(), median: z.number().nullable() })
    .nullable()
    .describe('Of the won closing visits listed: the cycle (closed − created), as the report computes cycle_days (closing metrics only)'),
  median_days: z
    .number()
    .nullable()
    .describe("Median days of the listed visits that ended by as-of (stage_finished: the stage table's median)"),
});
export type DrillSummary = z.infer<typeof drillSummary>;

const CLOSING: readonly DrillMetric[] = ['deals_won', 'deals_lost', 'deals_closed'];

/**
 * The deals behind one figure of the funnel report — the same visit sets the
 * report counts (metricSets), listed with what a head of sales needs to act.
 */
export async function funnelDeals(
  tx: Queryable,
  q: FunnelQuery,
  metric: DrillMetric,
  stageName: string | undefined,
  page: { limit: number; offset: number },
): Promise<{
  metric: DrillMetric;
  stage: string | null;
  total: number;
  summary: DrillSummary;
  items: DrillItem[];
  next_offset: number | null;
}> {
  const m = metricSets(q);
  const needsStage = metric.startsWith('stage_') && metric !== 'stages_entered';
  let stage = null as null | { id: number; name: string; position: number };
  if (needsStage) {
    const s = q.stages.find(
      (x) => x.kind === 'open' && (x.name.toLowerCase() === stageName?.trim().toLowerCase() || String(x.id) === stageName?.trim()),
    );
    if (!s) {
      throw validationError([
        fieldIssue(
          'stage',
          `${metric} needs "stage": one of ${q.stages
            .filter((x) => x.kind === 'open')
            .map((x) => x.name)
            .join(', ')}`,
          `для ${metric} нужен «stage»: один из ${q.stages
            .filter((x) => x.kind === 'open')
            .map((x) => x.name)
            .join(', ')}`,
          'required',
        ),
      ]);
    }
    stage = s;
  }
  let set: VisitSet;
  let filters: FilterKey[] | undefined;
  const narrow = (s: VisitSet, ...extra: Sql[]): VisitSet => ({ from: s.from, where: [...s.where, ...extra] });
  switch (metric) {
    case 'deals_created':
      set = m.created;
      break;
    case 'deals_won':
      set = narrow(m.closing, sql`v.stage_kind = 'won'`);
      break;
    case 'deals_lost':
      set = narrow(m.closing, sql`v.stage_kind = 'lost'`);
      break;
    case 'deals_closed':
      set = m.closing;
      break;
    case 'cohort_won':
      set = m.cohortWon;
      break;
    case 'open_deals':
      set = m.openAt;
      break;
    case 'stuck_deals': {
      const thresholds = await stuckThresholds(tx, q);
      const ids = [...thresholds.keys()];
      set = narrow(
        m.openAt,
        sql`v.stage_id = any(${ids}::int8[])`,
        m.stuck(
          sql`(select t.thr from unnest(${ids}::int8[], ${ids.map((i) => thresholds.get(i) as number)}::float8[]) t(id, thr) where t.id = v.stage_id)`,
        ),
      );
      break;
    }
    case 'stage_entered':
    case 'stage_advanced':
    case 'stage_lost':
      set = narrow(
        m.periodVisits,
        sql`v.stage_id = ${stage?.id}`,
        m.firstInPeriod(sql`${q.from}::timestamptz`),
        ...(metric === 'stage_advanced' ? [m.advanced] : metric === 'stage_lost' ? [m.lostNext] : []),
      );
      break;
    case 'stages_entered': {
      // Every open stage's `entered` of stage_conversion, added up: a deal once per stage.
      const open = q.stages.filter((x) => x.kind === 'open').map((x) => x.id);
      set = narrow(m.periodVisits, sql`v.stage_id = any(${open}::int8[])`, m.firstInPeriod(sql`${q.from}::timestamptz`));
      break;
    }
    case 'stage_finished':
      // stage_duration_days.n: visits (not deals) that began in the period and ended by as-of.
      set = narrow(m.periodVisits, sql`v.stage_id = ${stage?.id}`, m.finished);
      break;
    case 'stage_won':
    case 'stage_closed':
      set = narrow(m.closedAt, m.visited(stage?.position ?? 0), ...(metric === 'stage_won' ? [sql`v.stage_kind = 'won'`] : []));
      // Probabilities count the whole workspace unless a segment is chosen (kpi.md).
      filters = ['segment'];
      break;
  }
  // The deals behind a figure are only ever those the caller may see.
  const w = where(q, [...set.where, ...(q.ownerScope ? [sql`v.owner_id = any(${q.ownerScope}::int8[])`] : [])], filters);
  const closing = CLOSING.includes(metric);
  const [agg] = await tx.query<{
    n: number;
    amount: number;
    won: number;
    cmean: number | null;
    cmedian: number | null;
    dmedian: number | null;
  }>(sql`
    select count(*)::int8 as n, coalesce(sum(v.amount_minor), 0)::int8 as amount,
           count(*) filter (where v.stage_kind = 'won')::int8 as won,
           avg(extract(epoch from v.entered_at - v.created_at)::float8 / 86400) filter (where v.stage_kind = 'won') as cmean,
           percentile_cont(0.5) within group (order by extract(epoch from v.entered_at - v.created_at)::float8 / 86400)
             filter (where v.stage_kind = 'won') as cmedian,
           percentile_cont(0.5) within group (order by v.duration_s / 86400) filter (where ${m.finished}) as dmedian
      from ${set.from} where ${w}`);
  const n = agg.n;
  const summary: DrillSummary = {
    amount: toMajor(agg.amount, q.currency),
    won: closing ? agg.won : null,
    cycle_days: closing ? { mean: agg.cmean ?? null, median: agg.cmedian ?? null } : null,
    median_days: metric === 'stage_finished' ? (agg.dmedian ?? null) : null,
  };
  const rows = await tx.query<Record<string, unknown>>(sql`
    select v.deal_id, d.title, v.amount_minor, s.name as stage, s.kind as stage_kind, v.entered_at, v.exited_at, v.created_at,
           u.name as owner, sg.name as segment, ch.name as channel, v.region
      from ${set.from}
      join deals d on d.workspace_id = v.workspace_id and d.id = v.deal_id
      join stages s on s.workspace_id = v.workspace_id and s.id = v.stage_id
      left join users u on u.workspace_id = v.workspace_id and u.id = v.owner_id
      left join segments sg on sg.workspace_id = v.workspace_id and sg.id = v.segment_id
      left join channels ch on ch.workspace_id = v.workspace_id and ch.id = v.channel_id
     where ${w}
     order by v.amount_minor desc, v.deal_id, v.entered_at
     limit ${page.limit} offset ${page.offset}`);
  const items = rows.map((r) => {
    const entered = r.entered_at as Date;
    const exited = r.exited_at as Date | null;
    const until = exited && exited.getTime() < q.asOf.getTime() ? exited : q.asOf;
    return {
      deal_id: r.deal_id as number,
      title: r.title as string,
      amount: toMajor(r.amount_minor as number, q.currency),
      stage: r.stage as string,
      entered_at: entered.toISOString(),
      days_in_stage: (until.getTime() - entered.getTime()) / 86_400_000,
      owner: (r.owner as string | null) ?? null,
      segment: (r.segment as string | null) ?? null,
      channel: (r.channel as string | null) ?? null,
      region: (r.region as string | null) ?? null,
      created_at: (r.created_at as Date).toISOString(),
      cycle_days: closing ? (entered.getTime() - (r.created_at as Date).getTime()) / 86_400_000 : null,
    };
  });
  return {
    metric,
    stage: stage?.name ?? null,
    total: n,
    summary,
    items,
    next_offset: page.offset + items.length < n ? page.offset + items.length : null,
  };
}
