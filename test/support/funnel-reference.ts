import { DateTime } from 'luxon';
import type { Breakdown, FilterKey, FunnelKpis, FunnelStage } from '../../src/analytics/funnel-types.ts';
import { mean, percentileCont, ratio } from '../../src/analytics/stats.ts';

/**
 * A straightforward in-memory implementation of kpi.md's funnel KPIs, written
 * from the definitions and nothing else: for each deal, sort its visible entries,
 * walk them. Slow, obvious, and the yardstick the SQL engine is compared against.
 */

export interface RefDeal {
  id: number;
  amount_minor: number;
  segment_id: number | null;
  owner_id: number | null;
  channel_id: number | null;
  region: string | null;
  team: string | null;
}
export interface RefEvent {
  id: number;
  deal_id: number;
  stage_id: number;
  entered_at: Date;
}
export interface RefData {
  stages: FunnelStage[];
  deals: RefDeal[];
  events: RefEvent[];
}
export interface RefQuery {
  from: Date;
  to: Date;
  asOf: Date;
  timeZone: string;
  filters: Partial<Record<FilterKey, number | string | null>>;
  by: Breakdown | null;
}

interface Entry {
  stage: FunnelStage;
  at: number;
  id: number;
}

const DAY_MS = 86_400_000;
const kindRank = { open: 0, won: 1, lost: 2 } as const;

function historyOf(data: RefData, asOf: number): Map<number, Entry[]> {
  const stageById = new Map(data.stages.map((s) => [s.id, s]));
  const byDeal = new Map<number, Entry[]>();
  for (const e of data.events) {
    const at = e.entered_at.getTime();
    if (at >= asOf) continue; // only entries strictly before as-of are visible
    const list = byDeal.get(e.deal_id) ?? [];
    list.push({ stage: stageById.get(e.stage_id) as FunnelStage, at, id: e.id });
    byDeal.set(e.deal_id, list);
  }
  // Same instant: open stages in pipeline order, then won, then lost (positions already follow that).
  for (const list of byDeal.values()) {
    list.sort(
      (a, b) => a.at - b.at || kindRank[a.stage.kind] - kindRank[b.stage.kind] || a.stage.position - b.stage.position || a.id - b.id,
    );
  }
  return byDeal;
}

function matches(d: RefDeal, filters: RefQuery['filters']): boolean {
  for (const [k, v] of Object.entries(filters) as [FilterKey, number | string | null][]) {
    const actual =
      k === 'segment' ? d.segment_id : k === 'owner' ? d.owner_id : k === 'channel' ? d.channel_id : k === 'region' ? d.region : d.team;
    if (actual !== v) return false;
  }
  return true;
}

const isLater = (s: FunnelStage, than: FunnelStage) => s.kind === 'won' || (s.kind === 'open' && s.position > than.position);

function probabilities(data: RefData, hist: Map<number, Entry[]>, dealSet: RefDeal[], prior: (stage: FunnelStage) => number | null) {
  const open = data.stages.filter((s) => s.kind === 'open');
  return open.map((s) => {
    let won = 0;
    let closed = 0;
    for (const d of dealSet) {
      const h = hist.get(d.id);
      if (!h || h.length === 0) continue;
      const last = h[h.length - 1].stage.kind;
      if (last === 'open') continue;
      if (!h.some((e) => e.stage.id === s.id)) continue;
      closed++;
      if (last === 'won') won++;
    }
    const w = prior(s);
    return { stage: s.name, won, closed, raw: ratio(won, closed), p: w === null ? null : (won + 5 * w) / (closed + 5) };
  });
}

function workspaceW(hist: Map<number, Entry[]>, deals: RefDeal[]): number | null {
  let won = 0;
  let closed = 0;
  for (const d of deals) {
    const h = hist.get(d.id);
    if (!h?.length) continue;
    const k = h[h.length - 1].stage.kind;
    if (k === 'open') continue;
    closed++;
    if (k === 'won') won++;
  }
  return ratio(won, closed);
}

/** The report for one set of deals and one period, exactly per kpi.md. */
function compute(
  data: RefData,
  hist: Map<number, Entry[]>,
  deals: RefDeal[],
  from: number,
  to: number,
  asOf: number,
  probs: FunnelKpis['stage_win_probability'],
  thresholds: Map<number, number>,
): FunnelKpis {
  const open = data.stages.filter((s) => s.kind === 'open');
  const inPeriod = (t: number) => t >= from && t < to && t < asOf;
  let created = 0;
  let won = 0;
  let lost = 0;
  let wonMinor = 0;
  let cohortWon = 0;
  const cycles: number[] = [];
  let openDeals = 0;
  let openMinor = 0;
  let stuck = 0;
  let weighted: number | null = 0;
  const conv = new Map(open.map((s) => [s.id, { entered: 0, advanced: 0, lost: 0, durations: [] as number[] }]));
  for (const d of deals) {
    const h = hist.get(d.id);
    if (!h || h.length === 0) continue;
    const createdAt = h[0].at;
    const last = h[h.length - 1];
    const status = last.stage.kind;
    if (inPeriod(createdAt)) {
      created++;
      if (status === 'won') cohortWon++;
    }
    if (status !== 'open' && inPeriod(last.at)) {
      if (status === 'won') {
        won++;
        wonMinor += d.amount_minor;
        cycles.push((last.at - createdAt) / DAY_MS);
      } else lost++;
    }
    if (status === 'open') {
      openDeals++;
      openMinor += d.amount_minor;
      const p = probs.find((x) => x.stage === last.stage.name)?.p ?? null;
      weighted = weighted === null || p === null ? null : weighted + d.amount_minor * p;
      const thr = thresholds.get(last.stage.id);
      if (thr !== undefined && (asOf - last.at) / 1000 > thr) stuck++;
    }
    const counted = new Set<number>();
    for (let i = 0; i < h.length; i++) {
      const e = h[i];
      if (e.stage.kind !== 'open' || !inPeriod(e.at)) continue;
      const c = conv.get(e.stage.id);
      if (!c) continue;
      const next = h[i + 1];
      if (next) c.durations.push((next.at - e.at) / DAY_MS);
      if (counted.has(e.stage.id)) continue;
      counted.add(e.stage.id);
      c.entered++;
      if (h.slice(i + 1).some((x) => isLater(x.stage, e.stage))) c.advanced++;
      if (next && next.stage.kind === 'lost') c.lost++;
    }
  }
  const winRate = ratio(won, won + lost);
  const wonAmount = wonMinor / 100;
  const avgWon = ratio(wonAmount, won);
  cycles.sort((a, b) => a - b);
  const cycleMean = mean(cycles);
  return {
    deals_created: created,
    deals_won: won,
    deals_lost: lost,
    won_amount: wonAmount,
    win_rate: winRate,
    cohort_win_rate: ratio(cohortWon, created),
    avg_won_amount: avgWon,
    cycle_days: { mean: cycleMean, median: percentileCont(cycles, 0.5), p90: percentileCont(cycles, 0.9) },
    stage_conversion: open.map((s) => {
      const c = conv.get(s.id) as { entered: number; advanced: number; lost: number };
      return { stage: s.name, entered: c.entered, advanced: c.advanced, lost: c.lost, rate: ratio(c.advanced, c.entered) };
    }),
    stage_duration_days: open.map((s) => {
      const ds = (conv.get(s.id) as { durations: number[] }).durations.sort((a, b) => a - b);
      return { stage: s.name, n: ds.length, median: percentileCont(ds, 0.5), p90: percentileCont(ds, 0.9) };
    }),
    open_deals: openDeals,
    open_amount: openMinor / 100,
    stage_win_probability: probs,
    weighted_pipeline: weighted === null ? null : weighted / 100,
    velocity_per_day:
      winRate === null || avgWon === null || cycleMean === null || cycleMean === 0 ? null : (openDeals * winRate * avgWon) / cycleMean,
    stuck_deals: stuck,
  };
}

export interface RefReport {
  total: FunnelKpis;
  groups?: { key: string | number | null; kpis: FunnelKpis }[];
}

export function referenceFunnel(data: RefData, q: RefQuery): RefReport {
  const asOf = q.asOf.getTime();
  const hist = historyOf(data, asOf);
  // Stuck threshold: p90 of finished visits per stage, whole workspace history before as-of.
  const finished = new Map<number, number[]>();
  for (const h of hist.values()) {
    for (let i = 0; i + 1 < h.length; i++) {
      if (h[i].stage.kind !== 'open') continue;
      const list = finished.get(h[i].stage.id) ?? [];
      list.push((h[i + 1].at - h[i].at) / 1000);
      finished.set(h[i].stage.id, list);
    }
  }
  const thresholds = new Map<number, number>();
  for (const [id, ds] of finished)
    if (ds.length >= 5)
      thresholds.set(
        id,
        percentileCont(
          ds.sort((a, b) => a - b),
          0.9,
        ) as number,
      );

  const w = workspaceW(hist, data.deals);
  const pAllList = probabilities(data, hist, data.deals, () => w);
  const pAll = (s: FunnelStage) => pAllList.find((x) => x.stage === s.name)?.p ?? null;
  const segmentProbs = (segment: number | null) =>
    probabilities(
      data,
      hist,
      data.deals.filter((d) => d.segment_id === segment),
      pAll,
    );
  const probsFor = (filters: RefQuery['filters']) => ('segment' in filters ? segmentProbs(filters.segment as number | null) : pAllList);

  const selected = data.deals.filter((d) => matches(d, q.filters));
  const total = compute(data, hist, selected, q.from.getTime(), q.to.getTime(), asOf, probsFor(q.filters), thresholds);
  if (!q.by) return { total };
  if (q.by === 'month') {
    const groups: RefReport['groups'] = [];
    let m = DateTime.fromJSDate(q.from, { zone: q.timeZone }).startOf('month');
    while (m.toMillis() < q.to.getTime()) {
      const next = m.plus({ months: 1 });
      const from = Math.max(m.toMillis(), q.from.getTime());
      const to = Math.min(next.toMillis(), q.to.getTime());
      groups.push({ key: m.toFormat('yyyy-MM'), kpis: compute(data, hist, selected, from, to, asOf, probsFor(q.filters), thresholds) });
      m = next;
    }
    return { total, groups };
  }
  const dim = q.by;
  const keyOf = (d: RefDeal) =>
    dim === 'segment'
      ? d.segment_id
      : dim === 'owner'
        ? d.owner_id
        : dim === 'channel'
          ? d.channel_id
          : dim === 'region'
            ? d.region
            : d.team;
  // Groups are the values held by deals that exist at as-of (a deal created later did not exist then).
  const keys = [...new Set(selected.filter((d) => (hist.get(d.id)?.length ?? 0) > 0).map(keyOf))];
  const groups = keys.map((k) => {
    const filters = { ...q.filters, [dim]: k };
    return {
      key: k,
      kpis: compute(
        data,
        hist,
        selected.filter((d) => keyOf(d) === k),
        q.from.getTime(),
        q.to.getTime(),
        asOf,
        probsFor(filters),
        thresholds,
      ),
    };
  });
  return { total, groups };
}
