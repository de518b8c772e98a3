import sql, { empty, join, raw, type Sql } from 'sql-template-tag';
import type { Queryable } from '../platform/db/types.ts';
import { countersAt } from './asof-source.ts';
import { type Breakdown, FILTERS, type FunnelQuery, type FunnelStage, monthsOf } from './funnel-query.ts';
import type { FunnelGroup, FunnelKpis, FunnelReport, FunnelReportMeta } from './funnel-schema.ts';
import { type Grouping, groupExpr, metricSets, where } from './funnel-visits.ts';
import { type Explain, StatementLog } from './metrics/explain.ts';
import { type FunnelPrepared, funnelMetrics } from './metrics/funnel-metrics.ts';
import type { SourceRow } from './metrics/registry.ts';
import { ratio } from './stats.ts';

/**
 * The funnel engine: every core KPI of kpi.md as range scans over `stage_visits`.
 *
 * Intuition. A deal's status at `asOf` is the kind of the visit that is running at
 * `asOf` — the one entered before it and not yet exited (`exited_at` null or ≥ asOf);
 * its closing is that visit's entry. So "won in the period", "open at as-of", "the
 * current stage" need no window over the history, only a range condition on each
 * visit. Visits also carry, precomputed when the history changes: whether the
 * previous visit to the same stage was before the period (first visit in the
 * period), when the deal first entered a later stage after this visit (advanced by
 * as-of iff that time < as-of), the kind of the next entry (lost by as-of), and the
 * set of stage positions visited so far — for a deal closed at as-of, the set on its
 * closing visit is exactly the stages it visited before as-of, which is what the
 * stage win probabilities count.
 *
 * The report first computes what its statements need (stuck thresholds) and what the
 * groups share (stage win probabilities), then runs the metrics' statements
 * (metrics/funnel-metrics.ts) ungrouped for the total and again grouped by the
 * dimension (or by calendar month of the timestamp each KPI is defined on), and
 * assembles each group.
 */

/**
 * p90 of finished visits per open stage over the whole workspace history before
 * as-of (unfiltered), exactly as percentile_cont(0.9) — without sorting millions
 * of durations: the number of finished visits n comes from funnel_counters (minus
 * those finished at or after as-of), and the two values around rank 0.9·(n−1) are
 * read by walking the duration index from the top (about a tenth of n entries).
 */
export async function stuckThresholds(tx: Queryable, q: FunnelQuery): Promise<Map<number, number>> {
  const open = q.stages.filter((s) => s.kind === 'open');
  const past = countersAt(q);
  const totals = await tx.query<{ stage_id: number; n: number }>(sql`
    select stage_id, sum(finished)::int8 as n from ${past ?? raw('funnel_counters')} c
     where workspace_id = ${q.workspaceId} and pipeline_id = ${q.pipeline.id} group by stage_id`);
  const n = new Map(totals.map((r) => [r.stage_id, r.n]));
  if (!q.live && !past) {
    const later = await tx.query<{ stage_id: number; n: number }>(sql`
      select stage_id, count(*)::int8 as n from stage_visits
       where workspace_id = ${q.workspaceId} and pipeline_id = ${q.pipeline.id} and exited_at >= ${q.asOf}
       group by stage_id`);
    for (const r of later) n.set(r.stage_id, (n.get(r.stage_id) ?? 0) - r.n);
  }
  const out = new Map<number, number>();
  for (const s of open) {
    const count = n.get(s.id) ?? 0;
    if (count < 5) continue;
    const pos = 0.9 * (count - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    // Descending, the value of ascending rank r sits at index count−1−r.
    const rows = await tx.query<{ d: number }>(sql`
      select duration_s as d from stage_visits
       where workspace_id = ${q.workspaceId} and pipeline_id = ${q.pipeline.id} and stage_id = ${s.id}
         and exited_at is not null ${q.live ? empty : sql`and exited_at < ${q.asOf}`}
       order by duration_s desc
       offset ${count - 1 - hi} limit ${hi - lo + 1}`);
    const vHi = rows[0].d;
    const vLo = rows[rows.length - 1].d;
    out.set(s.id, vLo + (vHi - vLo) * (pos - lo));
  }
  return out;
}

interface ProbCounts {
  won: number;
  closed: number;
  perStage: Map<number, { won: number; closed: number }>;
}

/**
 * Won and closed counts per open stage over deals closed at as-of, from the stage
 * set on each deal's closing visit. Grouped by segment when `bySegment`.
 */
async function probabilityCounts(
  tx: Queryable,
  q: FunnelQuery,
  scope: 'workspace' | 'segment-filter' | 'by-segment',
): Promise<Map<string | null, ProbCounts>> {
  const past = countersAt(q);
  if (q.live || past) return liveProbabilityCounts(tx, q, scope, past ?? raw('funnel_counters'));
  const open = q.stages.filter((s) => s.kind === 'open');
  const m = metricSets(q);
  const cols = open.flatMap((s, i) => [
    sql`count(*) filter (where ${m.visited(s.position)}) as ${raw(`c${i}`)}`,
    sql`count(*) filter (where v.stage_kind = 'won' and ${m.visited(s.position)}) as ${raw(`w${i}`)}`,
  ]);
  const g = scope === 'by-segment' ? raw('v.segment_id::text') : raw(`'total'`);
  const rows = await tx.query<Record<string, number | string | null>>(sql`
    select ${g} as g, count(*)::int8 as closed, count(*) filter (where v.stage_kind = 'won')::int8 as won${
      cols.length
        ? sql`,
           ${join(cols, ',\n           ')}`
        : empty
    }
      from ${m.closedAt.from}
     where ${where(q, m.closedAt.where, scope === 'segment-filter' ? ['segment'] : [])}
     group by 1`);
  const out = new Map<string | null, ProbCounts>();
  for (const r of rows) {
    const perStage = new Map<number, { won: number; closed: number }>();
    for (const [i, s] of open.entries()) perStage.set(s.id, { won: Number(r[`w${i}`]), closed: Number(r[`c${i}`]) });
    out.set(r.g as string | null, { won: Number(r.won), closed: Number(r.closed), perStage });
  }
  return out;
}

/** The same counts from funnel_counters (live) or as they stood at as-of (`counters`): a few rows per stage and segment. */
async function liveProbabilityCounts(
  tx: Queryable,
  q: FunnelQuery,
  scope: 'workspace' | 'segment-filter' | 'by-segment',
  counters: Sql,
): Promise<Map<string | null, ProbCounts>> {
  const seg = q.filters.segment;
  const segCond = scope === 'segment-filter' && seg ? sql`and segment_key = ${seg.value === null ? 0 : seg.value}` : empty;
  const rows = await tx.query<{ g: string | null; stage_id: number; won: number; closed: number; current_closed: number }>(sql`
    select ${scope === 'by-segment' ? raw(`nullif(segment_key, 0)::text`) : raw(`'total'`)} as g, stage_id,
           sum(won)::int8 as won, sum(closed)::int8 as closed, sum(current_closed)::int8 as current_closed
      from ${counters} c where workspace_id = ${q.workspaceId} and pipeline_id = ${q.pipeline.id} ${segCond}
     group by 1, 2`);
  const kind = new Map(q.stages.map((s) => [s.id, s.kind]));
  const out = new Map<string | null, ProbCounts>();
  for (const r of rows) {
    let c = out.get(r.g);
    if (!c) {
      c = { won: 0, closed: 0, perStage: new Map() };
      out.set(r.g, c);
    }
    const k = kind.get(r.stage_id);
    if (k === 'open') c.perStage.set(r.stage_id, { won: r.won, closed: r.closed });
    else {
      // Deals closed now, counted on the won or lost stage they closed in.
      c.closed += r.current_closed;
      if (k === 'won') c.won += r.current_closed;
    }
  }
  return out;
}

type StageProb = FunnelKpis['stage_win_probability'];

function shrink(open: FunnelStage[], counts: ProbCounts | undefined, prior: (stageId: number) => number | null): StageProb {
  return open.map((s) => {
    const c = counts?.perStage.get(s.id) ?? { won: 0, closed: 0 };
    const w = prior(s.id);
    return {
      stage: s.name,
      won: c.won,
      closed: c.closed,
      raw: ratio(c.won, c.closed),
      p: w === null ? null : (c.won + 5 * w) / (c.closed + 5),
    };
  });
}

/** Labels for the ids a dimension groups by. */
async function groupLabels(tx: Queryable, q: FunnelQuery, by: Exclude<Breakdown, 'month'>): Promise<Map<string, string>> {
  const table = by === 'owner' ? 'users' : by === 'segment' ? 'segments' : by === 'channel' ? 'channels' : null;
  if (!table) return new Map();
  const rows = await tx.query<{ id: number; name: string }>(sql`select id, name from ${raw(table)} where workspace_id = ${q.workspaceId}`);
  return new Map(rows.map((r) => [String(r.id), r.name]));
}

export function reportMeta(q: FunnelQuery): FunnelReportMeta {
  const filters = Object.fromEntries(
    FILTERS.map((k) => [k, q.filters[k] ? (q.filters[k]?.label ?? 'none') : null]),
  ) as FunnelReportMeta['filters'];
  return {
    report: 'funnel',
    workspace: q.workspace,
    pipeline: q.pipeline,
    period: { from: q.from.toISOString(), to: q.to.toISOString() },
    as_of: q.asOf.toISOString(),
    as_of_capped: q.asOf.getTime() !== q.asOfRequested.getTime(),
    time_zone: q.timeZone,
    currency: q.currency,
    filters,
    by: q.by,
  };
}

export interface FunnelReportOptions {
  /** Return the statements run, with their timings, under `explain`. */
  explain?: boolean;
}

/** Runs the metrics' statements for a grouping and files their rows by group. */
async function figures(
  on: (name: string) => Queryable,
  q: FunnelQuery,
  g: Grouping,
  prepared: FunnelPrepared,
  keys: (string | null)[] = [],
) {
  const results = [];
  for (const st of funnelMetrics.statements(q, g, prepared)) {
    results.push({ source: st.source, rows: await on(st.source.name).query<SourceRow>(st.sql) });
  }
  return funnelMetrics.collect(q, g, results, keys);
}

/**
 * Funnel counts alone, for the reports built on them (the accounts report's `deals_won`): only the
 * statements of those metrics run, for the total and, with `q.by` (owner or month), per group
 * (keys as in the funnel report: the owner's id, the month `YYYY-MM`).
 */
export async function funnelCounts<K extends 'deals_won' | 'deals_created' | 'deals_lost'>(
  tx: Queryable,
  q: FunnelQuery,
  keys: K[],
): Promise<{ total: Record<K, number>; groups: Map<string | null, Record<K, number>> }> {
  const reg = funnelMetrics.pick(...keys);
  const prepared: FunnelPrepared = { thresholds: new Map() };
  const run = async (g: Grouping) => {
    const results = [];
    for (const st of reg.statements(q, g, prepared)) results.push({ source: st.source, rows: await tx.query<SourceRow>(st.sql) });
    const figures = reg.collect(q, g, results);
    return new Map([...figures].map(([k, f]) => [k, reg.assemble(q, { probs: [] }, f) as Record<K, number>]));
  };
  const total = (await run(null)).get('total') ?? (reg.assemble(q, { probs: [] }, undefined) as Record<K, number>);
  if (!q.by) return { total, groups: new Map() };
  return { total, groups: await run(q.by === 'month' ? { by: 'month' } : { by: q.by }) };
}

/** Computes the funnel report for a resolved query: one object, or groups plus their total. */
export async function funnelReport(
  tx: Queryable,
  q: FunnelQuery,
  opts: FunnelReportOptions = {},
): Promise<FunnelReport & { explain?: Explain }> {
  const log = opts.explain ? new StatementLog(tx.engine) : null;
  const on = (name: string) => log?.on(tx, name) ?? tx;
  const done = (r: FunnelReport) => (log ? { ...r, explain: log.result() } : r);
  // Percentiles sort in memory; the default 4 MB would spill a million visits to disk.
  // JIT compilation costs more than it saves on these short, index-driven queries.
  // On PGlite memory once grown is never returned, so it sorts in smaller steps.
  await tx.exec(tx.engine === 'pglite' ? `set local work_mem = '32MB'` : `set local work_mem = '256MB'; set local jit = off`);
  const open = q.stages.filter((s) => s.kind === 'open');
  const prepared: FunnelPrepared = { thresholds: await stuckThresholds(on('stuck_thresholds'), q) };

  const workspaceCounts = (await probabilityCounts(on('stage_win_probability'), q, 'workspace')).get('total');
  const w = workspaceCounts ? ratio(workspaceCounts.won, workspaceCounts.closed) : null;
  const workspaceProbs = shrink(open, workspaceCounts, () => w);
  const pAll = new Map(open.map((s, i) => [s.id, workspaceProbs[i].p]));
  const segmentProbs = async (): Promise<Map<string | null, StageProb>> => {
    const counts = await probabilityCounts(on('stage_win_probability'), q, 'by-segment');
    return new Map([...counts].map(([k, c]) => [k, shrink(open, c, (id) => pAll.get(id) ?? null)]));
  };

  let totalProbs = workspaceProbs;
  if (q.filters.segment) {
    const c = (await probabilityCounts(on('stage_win_probability'), q, 'segment-filter')).get('total');
    totalProbs = shrink(open, c, (id) => pAll.get(id) ?? null);
  }
  const total = funnelMetrics.assemble(q, { probs: totalProbs }, (await figures(on, q, null, prepared)).get('total'));
  if (!q.by) return done({ ...reportMeta(q), ...total });

  const g: Grouping = q.by === 'month' ? { by: 'month' } : { by: q.by };
  // The groups: every value held by a deal that exists at as-of, even if it has nothing in the period.
  const present =
    g.by === 'month'
      ? []
      : await on('groups').query<{ g: string | null }>(sql`
      select distinct ${groupExpr(g, q, 'v.entered_at')} as g from stage_visits v where ${where(q, [sql`v.visit_no = 1`, sql`v.entered_at < ${q.asOf}`])}`);
  const partials = await figures(
    on,
    q,
    g,
    prepared,
    present.map((r) => r.g),
  );
  const bySegment = q.by === 'segment' ? await segmentProbs() : null;
  const groups: FunnelGroup[] = [];
  if (q.by === 'month') {
    for (const m of monthsOf(q)) groups.push({ key: m.key, ...funnelMetrics.assemble(q, { probs: totalProbs }, partials.get(m.key)) });
  } else {
    const labels = await groupLabels(on('group_labels'), q, q.by);
    const keys = [...partials.keys()].sort((a, b) => {
      if (a === null) return 1;
      if (b === null) return -1;
      const la = labels.get(a) ?? a;
      const lb = labels.get(b) ?? b;
      return la.localeCompare(lb, 'ru');
    });
    for (const k of keys) {
      const probs = bySegment ? (bySegment.get(k) ?? shrink(open, undefined, (id) => pAll.get(id) ?? null)) : totalProbs;
      const idLike = q.by === 'owner' || q.by === 'segment' || q.by === 'channel';
      groups.push({
        key: k === null ? null : (labels.get(k) ?? k),
        ...(idLike ? { key_id: k === null ? null : Number(k) } : {}),
        ...funnelMetrics.assemble(q, { probs }, partials.get(k)),
      });
    }
  }
  return done({ ...reportMeta(q), groups, total });
}

/** Stage win probabilities and stuck thresholds as of now, for the board. */
export async function liveStageFigures(
  tx: Queryable,
  q: FunnelQuery,
): Promise<{ p: Map<number, number | null>; thresholds: Map<number, number> }> {
  const open = q.stages.filter((s) => s.kind === 'open');
  const counts = (await probabilityCounts(tx, q, 'workspace')).get('total');
  const w = counts ? ratio(counts.won, counts.closed) : null;
  const probs = shrink(open, counts, () => w);
  return { p: new Map(open.map((s, i) => [s.id, probs[i].p])), thresholds: await stuckThresholds(tx, q) };
}
