import sql, { empty, join, raw, type Sql } from 'sql-template-tag';
import type { Queryable } from '../platform/db/types.ts';
import { toMajor } from '../platform/money.ts';
import { countersAt, openVisitsAt } from './asof-source.ts';
import { dimensionSql, monthsOf } from './funnel-query.ts';
import type {
  Breakdown,
  FilterKey,
  FunnelGroup,
  FunnelKpis,
  FunnelQuery,
  FunnelReport,
  FunnelReportMeta,
  FunnelStage,
} from './funnel-types.ts';
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
 * A breakdown runs the same queries grouped by the dimension (or by calendar month
 * of the timestamp each KPI is defined on) and the total runs them ungrouped.
 */

type Grouping = { by: Exclude<Breakdown, 'month'> } | { by: 'month' } | null;

function groupExpr(g: Grouping, q: FunnelQuery, tsCol: string): Sql {
  if (!g) return raw(`'total'`);
  if (g.by === 'month') return sql`to_char(${raw(tsCol)} at time zone ${q.timeZone}, 'YYYY-MM')`;
  return dimensionSql(g.by, 'v');
}

/** The start of the period a row's group covers: `from`, or the later of `from` and its month's start. */
function groupPeriodStart(g: Grouping, q: FunnelQuery, tsCol: string): Sql {
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

const ALL_FILTERS: FilterKey[] = ['segment', 'owner', 'channel', 'region', 'team'];

export function where(q: FunnelQuery, extra: Sql[], filters: readonly FilterKey[] = ALL_FILTERS): Sql {
  return join([sql`v.workspace_id = ${q.workspaceId}`, sql`v.pipeline_id = ${q.pipeline.id}`, ...filterSql(q, filters), ...extra], ' and ');
}

const DAY_S = 86_400;
/** Running at as-of: entered before it and not exited before it. */
const runningAtAny = (asOf: Date) => sql`v.entered_at < ${asOf} and (v.exited_at is null or v.exited_at >= ${asOf})`;

/**
 * Each metric's set of visits, defined once: the aggregate queries below and the
 * drill-down lists (funnel-deals.ts) both read these.
 */
export function metricSets(q: FunnelQuery) {
  const end = new Date(Math.min(q.to.getTime(), q.asOf.getTime()));
  // Live: nothing entered at or after as-of, so "running at as-of" is simply "not exited",
  // which the partial indexes answer directly.
  const runningAt = (asOf: Date) => (q.live ? sql`v.exited_at is null` : runningAtAny(asOf));
  const inPeriod = (col: string) => sql`${raw(col)} >= ${q.from} and ${raw(col)} < ${end}`;
  return {
    inPeriod,
    /** A deal's first entry, in the period: deals_created. */
    created: [sql`v.visit_no = 1`, inPeriod('v.entered_at')],
    /** The closing visit of a deal won or lost at as-of, closed in the period: deals_won / deals_lost. */
    closing: [
      sql`v.stage_kind <> 'open'`,
      inPeriod('v.entered_at'),
      q.live ? sql`v.exited_at is null` : sql`(v.exited_at is null or v.exited_at >= ${q.asOf})`,
    ],
    /** Deals created in the period and won at as-of: the numerator of cohort_win_rate. */
    cohortWon: [sql`v.stage_kind = 'won'`, runningAt(q.asOf), inPeriod('v.created_at')],
    /** The visit each open deal is in at as-of: open_deals, weighted_pipeline, stuck_deals. */
    openAt: [sql`v.stage_kind = 'open'`, runningAt(q.asOf)],
    /** Visits that began in the period (of the open stage asked for): stage_conversion and stage_duration_days. */
    periodVisits: [inPeriod('v.entered_at')],
    /** The closing visit of every deal closed at as-of, whole history: stage_win_probability. */
    closedAt: [sql`v.stage_kind <> 'open'`, runningAt(q.asOf)],
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
  const cols = open.map(
    (s, i) => sql`count(*) filter (where ${m.visited(s.position)}) as ${raw(`c${i}`)},
                  count(*) filter (where v.stage_kind = 'won' and ${m.visited(s.position)}) as ${raw(`w${i}`)}`,
  );
  const g = scope === 'by-segment' ? raw('v.segment_id::text') : raw(`'total'`);
  const rows = await tx.query<Record<string, number | string | null>>(sql`
    select ${g} as g, count(*)::int8 as closed, count(*) filter (where v.stage_kind = 'won')::int8 as won
           ${cols.length ? sql`, ${join(cols)}` : empty}
      from stage_visits v
     where ${where(q, m.closedAt, scope === 'segment-filter' ? ['segment'] : [])}
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

interface Partial_ {
  deals_created: number;
  won: number;
  lost: number;
  won_amount_minor: number;
  cycle_mean: number | null;
  cycle_median: number | null;
  cycle_p90: number | null;
  cohort_won: number;
  conversion: Map<number, { entered: number; advanced: number; lost: number; n: number; median: number | null; p90: number | null }>;
  open: Map<number, { n: number; amount_minor: number; stuck: number }>;
}

const emptyPartial = (): Partial_ => ({
  deals_created: 0,
  won: 0,
  lost: 0,
  won_amount_minor: 0,
  cycle_mean: null,
  cycle_median: null,
  cycle_p90: null,
  cohort_won: 0,
  conversion: new Map(),
  open: new Map(),
});

/** Runs the period and as-of queries, grouped or not, into partial results per group key. */
async function periodFigures(
  tx: Queryable,
  q: FunnelQuery,
  g: Grouping,
  thresholds: Map<number, number>,
): Promise<Map<string | null, Partial_>> {
  const out = new Map<string | null, Partial_>();
  const at = (k: string | null) => {
    let p = out.get(k);
    if (!p) {
      p = emptyPartial();
      out.set(k, p);
    }
    return p;
  };
  const m = metricSets(q);

  // The groups: every value held by a deal that exists at as-of, even if it has nothing in the period.
  if (g && g.by !== 'month') {
    const present = await tx.query<{ g: string | null }>(sql`
      select distinct ${groupExpr(g, q, 'v.entered_at')} as g from stage_visits v where ${where(q, [sql`v.visit_no = 1`, sql`v.entered_at < ${q.asOf}`])}`);
    for (const r of present) at(r.g);
  }

  const created = await tx.query<{ g: string | null; n: number }>(sql`
    select ${groupExpr(g, q, 'v.entered_at')} as g, count(*)::int8 as n
      from stage_visits v where ${where(q, m.created)} group by 1`);
  for (const r of created) at(r.g).deals_created = r.n;

  const closings = await tx.query<{
    g: string | null;
    won: number;
    lost: number;
    amount: number;
    cmean: number | null;
    cq: number[] | null;
  }>(sql`
    select ${groupExpr(g, q, 'v.entered_at')} as g,
           count(*) filter (where v.stage_kind = 'won')::int8 as won,
           count(*) filter (where v.stage_kind = 'lost')::int8 as lost,
           coalesce(sum(v.amount_minor) filter (where v.stage_kind = 'won'), 0)::int8 as amount,
           avg(extract(epoch from v.entered_at - v.created_at)::float8 / ${DAY_S}) filter (where v.stage_kind = 'won') as cmean,
           percentile_cont(array[0.5, 0.9]) within group (order by extract(epoch from v.entered_at - v.created_at)::float8 / ${DAY_S})
             filter (where v.stage_kind = 'won') as cq
      from stage_visits v
     where ${where(q, m.closing)}
     group by 1`);
  for (const r of closings) {
    Object.assign(at(r.g), {
      won: r.won,
      lost: r.lost,
      won_amount_minor: r.amount,
      cycle_mean: r.cmean,
      cycle_median: r.cq?.[0] ?? null,
      cycle_p90: r.cq?.[1] ?? null,
    });
  }

  const cohort = await tx.query<{ g: string | null; n: number }>(sql`
    select ${groupExpr(g, q, 'v.created_at')} as g, count(*)::int8 as n
      from stage_visits v where ${where(q, m.cohortWon)} group by 1`);
  for (const r of cohort) at(r.g).cohort_won = r.n;

  // One index range per stage (stage first, then entry time): rows arrive grouped, no big sort.
  const openIds = q.stages.filter((s) => s.kind === 'open').map((s) => s.id);
  const conv = await tx.query<{
    g: string | null;
    stage_id: number;
    entered: number;
    advanced: number;
    lost: number;
    n: number;
    dq: number[] | null;
  }>(sql`
    select x.*
      from unnest(${openIds}::int8[]) as st(id),
      lateral (
        select g, st.id as stage_id,
               count(*) filter (where first)::int8 as entered,
               count(*) filter (where first and advanced)::int8 as advanced,
               count(*) filter (where first and lost_next)::int8 as lost,
               count(*) filter (where finished)::int8 as n,
               percentile_cont(array[0.5, 0.9]) within group (order by duration_s / ${DAY_S}) filter (where finished) as dq
          from (select ${groupExpr(g, q, 'v.entered_at')} as g, v.duration_s,
                       ${m.firstInPeriod(groupPeriodStart(g, q, 'v.entered_at'))} as first,
                       ${m.advanced} as advanced, ${m.lostNext} as lost_next, ${m.finished} as finished
                  from stage_visits v where ${where(q, [...m.periodVisits, sql`v.stage_id = st.id`])}) y
         group by g
      ) x`);
  for (const r of conv) {
    at(r.g).conversion.set(r.stage_id, {
      entered: r.entered,
      advanced: r.advanced,
      lost: r.lost,
      n: r.n,
      median: r.dq?.[0] ?? null,
      p90: r.dq?.[1] ?? null,
    });
  }

  // Open at as-of does not depend on the period: by month, every month shows the same.
  const openGroup: Grouping = g?.by === 'month' ? null : g;
  const ids = [...thresholds.keys()];
  const thr = ids.map((id) => thresholds.get(id) as number);
  const open = await tx.query<{ g: string | null; stage_id: number; n: number; amount: number; stuck: number }>(sql`
    select ${groupExpr(openGroup, q, 'v.entered_at')} as g, v.stage_id, count(*)::int8 as n, coalesce(sum(v.amount_minor), 0)::int8 as amount,
           count(*) filter (where ${m.stuck(raw('t.thr'))})::int8 as stuck
      from ${openVisitsAt(q)} v
      left join unnest(${ids}::int8[], ${thr}::float8[]) as t(stage_id, thr) on t.stage_id = v.stage_id
     where ${where(q, m.openAt)}
     group by 1, 2`);
  if (g?.by === 'month') {
    for (const m of monthsOf(q)) for (const r of open) at(m.key).open.set(r.stage_id, { n: r.n, amount_minor: r.amount, stuck: r.stuck });
  } else {
    for (const r of open) at(r.g).open.set(r.stage_id, { n: r.n, amount_minor: r.amount, stuck: r.stuck });
  }
  return out;
}

function assemble(q: FunnelQuery, p: Partial_, probs: StageProb): FunnelKpis {
  const open = q.stages.filter((s) => s.kind === 'open');
  // Money leaves in major units of the workspace currency (kpi.md): by its minor units, never by 100.
  const wonAmount = toMajor(p.won_amount_minor, q.currency);
  let openDeals = 0;
  let openAmountMinor = 0;
  let stuck = 0;
  let weighted: number | null = 0;
  for (const s of open) {
    const o = p.open.get(s.id);
    if (!o) continue;
    openDeals += o.n;
    openAmountMinor += o.amount_minor;
    stuck += o.stuck;
    const prob = probs.find((x) => x.stage === s.name)?.p ?? null;
    weighted = weighted === null || prob === null ? null : weighted + o.amount_minor * prob;
  }
  const winRate = ratio(p.won, p.won + p.lost);
  const avgWon = ratio(wonAmount, p.won);
  const cycleMean = p.cycle_mean;
  return {
    deals_created: p.deals_created,
    deals_won: p.won,
    deals_lost: p.lost,
    won_amount: wonAmount,
    win_rate: winRate,
    cohort_win_rate: ratio(p.cohort_won, p.deals_created),
    avg_won_amount: avgWon,
    cycle_days: { mean: cycleMean, median: p.cycle_median, p90: p.cycle_p90 },
    stage_conversion: open.map((s) => {
      const c = p.conversion.get(s.id);
      return {
        stage: s.name,
        entered: c?.entered ?? 0,
        advanced: c?.advanced ?? 0,
        lost: c?.lost ?? 0,
        rate: ratio(c?.advanced ?? 0, c?.entered ?? 0),
      };
    }),
    stage_duration_days: open.map((s) => {
      const c = p.conversion.get(s.id);
      return { stage: s.name, n: c?.n ?? 0, median: c?.median ?? null, p90: c?.p90 ?? null };
    }),
    open_deals: openDeals,
    open_amount: toMajor(openAmountMinor, q.currency),
    stage_win_probability: probs,
    weighted_pipeline: weighted === null ? null : toMajor(weighted, q.currency),
    velocity_per_day:
      winRate === null || avgWon === null || cycleMean === null || cycleMean === 0 ? null : (openDeals * winRate * avgWon) / cycleMean,
    stuck_deals: stuck,
  };
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
    (['segment', 'owner', 'channel', 'region', 'team'] as FilterKey[]).map((k) => [
      k,
      q.filters[k] ? (q.filters[k]?.label ?? 'none') : null,
    ]),
  ) as Record<FilterKey, string | null>;
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

/** Computes the funnel report for a resolved query: one object, or groups plus their total. */
export async function funnelReport(tx: Queryable, q: FunnelQuery): Promise<FunnelReport> {
  // Percentiles sort in memory; the default 4 MB would spill a million visits to disk.
  // JIT compilation costs more than it saves on these short, index-driven queries.
  // On PGlite memory once grown is never returned, so it sorts in smaller steps.
  await tx.exec(tx.engine === 'pglite' ? `set local work_mem = '32MB'` : `set local work_mem = '256MB'; set local jit = off`);
  const open = q.stages.filter((s) => s.kind === 'open');
  const thresholds = await stuckThresholds(tx, q);

  const workspaceCounts = (await probabilityCounts(tx, q, 'workspace')).get('total');
  const w = workspaceCounts ? ratio(workspaceCounts.won, workspaceCounts.closed) : null;
  const workspaceProbs = shrink(open, workspaceCounts, () => w);
  const pAll = new Map(open.map((s, i) => [s.id, workspaceProbs[i].p]));
  const segmentProbs = async (): Promise<Map<string | null, StageProb>> => {
    const counts = await probabilityCounts(tx, q, 'by-segment');
    return new Map([...counts].map(([k, c]) => [k, shrink(open, c, (id) => pAll.get(id) ?? null)]));
  };

  let totalProbs = workspaceProbs;
  if (q.filters.segment) {
    const c = (await probabilityCounts(tx, q, 'segment-filter')).get('total');
    totalProbs = shrink(open, c, (id) => pAll.get(id) ?? null);
  }
  const total = assemble(q, (await periodFigures(tx, q, null, thresholds)).get('total') ?? emptyPartial(), totalProbs);
  if (!q.by) return { ...reportMeta(q), ...total } as FunnelReport;

  const g: Grouping = q.by === 'month' ? { by: 'month' } : { by: q.by };
  const partials = await periodFigures(tx, q, g, thresholds);
  const bySegment = q.by === 'segment' ? await segmentProbs() : null;
  const groups: FunnelGroup[] = [];
  if (q.by === 'month') {
    for (const m of monthsOf(q)) groups.push({ key: m.key, ...assemble(q, partials.get(m.key) ?? emptyPartial(), totalProbs) });
  } else {
    const labels = await groupLabels(tx, q, q.by);
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
        ...assemble(q, partials.get(k) ?? emptyPartial(), probs),
      });
    }
  }
  return { ...reportMeta(q), groups, total } as FunnelReport;
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
