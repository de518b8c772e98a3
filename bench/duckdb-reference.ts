import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { FunnelKpis } from '../src/analytics/funnel-types.ts';

/**
 * The hardware's reference: DuckDB computing every figure of the funnel report
 * (all 92 keys of kpi.md per group) from the same CSV files, in two fair ways.
 *
 * - **raw**: from the stage entries themselves on each request. At load, text deal
 *   ids become integers, stage names become positions (a stage table: open stages in
 *   pipeline order, then won, then lost — kpi.md's order for entries at the same
 *   instant) and timestamps integer microseconds; a request then derives the visits of
 *   the entries before as-of in ONE window pass (one partition and order, so one sort:
 *   the previous visit to the same stage in the period and the later stages are frames
 *   of that same window, not a second sort) and aggregates them.
 * - **visits**: from a visits table built once at load, like Voronka's `stage_visits`
 *   (exit, next kind, duration, previous visit to the same stage, first entry into a
 *   later stage, stages visited so far, the deal's creation and attributes), stored in
 *   entry order so period conditions skip row groups; a request is range conditions
 *   on it, as in src/analytics/funnel-report.ts.
 *
 * Both compute the aggregates in DuckDB; the ratios and shrunk probabilities are put
 * together in JavaScript, as Voronka's report does. Figures are compared key by key
 * (`compareFigures`) with Voronka's output.
 */

export interface DuckVariant {
  from: Date;
  to: Date;
  asOf: Date;
  segment?: string;
  byOwner?: boolean;
}

export type DuckKind = 'raw' | 'visits';
export const DUCK_KINDS: DuckKind[] = ['raw', 'visits'];

/** The report as DuckDB computes it: the total and, with `byOwner`, one entry per owner name. */
export interface DuckFigures {
  total: FunnelKpis;
  groups?: Map<string, FunnelKpis>;
}

interface Stage {
  pos: number;
  name: string;
  kind: 0 | 1 | 2; // open, won, lost
}

const DAY_S = 86_400;
const us = (d: Date) => `${d.getTime() * 1000}::BIGINT`;
const num = (x: unknown): number | null => (x === null || x === undefined ? null : Number(x));
const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/** Per-request predicates over one source relation; the aggregate queries are shared. */
interface Source {
  table: string;
  /** A common table expression the statement starts with (the raw kind's window pass). */
  prelude?: string;
  created: string;
  closing: string;
  cohortWon: string;
  openAt: string;
  periodVisit: string;
  /** The deal's first visit to the stage in the period; absent: found by aggregating the period's visits per deal. */
  first?: string;
  advanced: string;
  lostNext: string;
  finished: string;
  duration: string;
  closedAt: string;
  mask: string;
  present: string;
}

interface Partial_ {
  created: number;
  won: number;
  lost: number;
  wonMinor: number;
  cycleMean: number | null;
  cycleMedian: number | null;
  cycleP90: number | null;
  cohortWon: number;
  conv: Map<number, { entered: number; advanced: number; lost: number; n: number; median: number | null; p90: number | null }>;
  open: Map<number, { n: number; minor: number; stuck: number }>;
}

const emptyPartial = (): Partial_ => ({
  created: 0,
  won: 0,
  lost: 0,
  wonMinor: 0,
  cycleMean: null,
  cycleMedian: null,
  cycleP90: null,
  cohortWon: 0,
  conv: new Map(),
  open: new Map(),
});

export class DuckReference {
  private readonly open: Stage[];

  private constructor(
    private readonly inst: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly stages: Stage[],
    private readonly owners: Map<number, string>,
    private readonly segments: Map<string, number>,
  ) {
    this.open = stages.filter((s) => s.kind === 0);
  }

  /**
   * Loads the bundle: the raw tables (integer ids, stage positions) and then the visits
   * table derived from them; returns the seconds of each step separately.
   */
  static async load(dir: string): Promise<{ ref: DuckReference; loadSeconds: { raw: number; visits: number } }> {
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    const pipeline = JSON.parse(readFileSync(join(dir, 'pipeline.json'), 'utf8')) as { stages: { name: string; kind: string }[] };
    const ordered = ['open', 'won', 'lost'].flatMap((k) => pipeline.stages.filter((s) => s.kind === k));
    const stages: Stage[] = ordered.map((s, i) => ({ pos: i + 1, name: s.name, kind: s.kind === 'open' ? 0 : s.kind === 'won' ? 1 : 2 }));
    const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

    const t0 = performance.now();
    await conn.run(`set TimeZone = 'UTC'`);
    await conn.run(
      `create table stages as select * from (values ${stages.map((s) => `(${s.pos}::UTINYINT, ${lit(s.name)}, ${s.kind}::UTINYINT)`).join(',')}) t(pos, name, kind)`,
    );
    await conn.run(`create temp table deals_csv as select * from read_csv('${dir}/deals.csv', header = true, all_varchar = true)`);
    await conn.run(`create table owners as select (row_number() over (order by owner))::USMALLINT as owner, owner as name
                      from (select distinct owner from deals_csv where owner is not null)`);
    await conn.run(`create table segments as select (row_number() over (order by segment))::UTINYINT as seg, segment as name
                      from (select distinct segment from deals_csv where segment is not null)`);
    await conn.run(`create table deals as
      select (row_number() over ())::INTEGER as deal, c.deal_id as key, o.owner, s.seg,
             (cast(c.amount as decimal(18, 2)) * 100)::BIGINT as amount
        from deals_csv c left join owners o on o.name = c.owner left join segments s on s.name = c.segment`);
    await conn.run(`drop table deals_csv`);
    // The entries in the file's order, as a log is stored; only their columns are mapped.
    await conn.run(`create table events as
      select d.deal, s.pos, epoch_us(cast(e.entered_at as timestamptz)) as t
        from read_csv('${dir}/stage_events.csv', header = true, all_varchar = true) e
        join deals d on d.key = e.deal_id join stages s on s.name = e.stage`);
    const rawSeconds = (performance.now() - t0) / 1000;

    const t1 = performance.now();
    // One window pass: the previous visit to the same stage and the first later entry
    // into a later (non-lost, higher) stage are one frame aggregate per open stage.
    const bit = (p: string) => `(1::INTEGER << ${p})`;
    const prevSame = stages.map((s) => `when ${s.pos} then max(case when e.pos = ${s.pos} then e.t end) over wb`).join(' ');
    const advanced = stages
      .filter((s) => s.kind === 0)
      .map((s) => `when ${s.pos} then min(case when s.kind <> 2 and e.pos > ${s.pos} then e.t end) over wa`)
      .join(' ');
    await conn.run(`create table visits as
      select e.deal, (row_number() over w)::INTEGER as visit_no, e.pos, s.kind, e.t,
             lead(e.t) over w as exit_t, lead(s.kind) over w as next_kind,
             ((lead(e.t) over w - e.t) / 1e6)::DOUBLE as dur_s,
             case e.pos ${prevSame} end as prev_same_t,
             case e.pos ${advanced} end as adv_t,
             bit_or(${bit('e.pos')}) over (w rows between unbounded preceding and current row) as cum_mask,
             first_value(e.t) over w as created_t,
             d.owner, d.seg, d.amount
        from events e join stages s using (pos) join deals d using (deal)
      window w as (partition by e.deal order by e.t, e.pos),
             wb as (w rows between unbounded preceding and 1 preceding),
             wa as (w rows between 1 following and unbounded following)
       order by e.t`);
    const visitsSeconds = (performance.now() - t1) / 1000;

    const owners = new Map(
      (await conn.runAndReadAll(`select owner, name from owners`)).getRowObjectsJS().map((r) => [Number(r.owner), String(r.name)]),
    );
    const segments = new Map(
      (await conn.runAndReadAll(`select seg, name from segments`)).getRowObjectsJS().map((r) => [String(r.name), Number(r.seg)]),
    );
    return { ref: new DuckReference(inst, conn, stages, owners, segments), loadSeconds: { raw: rawSeconds, visits: visitsSeconds } };
  }

  /** The number of rows of the raw entries and of the visits (equal: one visit per entry). */
  async sizes(): Promise<{ events: number; visits: number }> {
    const r = (
      await this.conn.runAndReadAll(`select (select count(*) from events) as e, (select count(*) from visits) as v`)
    ).getRowObjectsJS()[0];
    return { events: Number(r.e), visits: Number(r.v) };
  }

  /** Frees the in-memory database. */
  close(): void {
    this.conn.closeSync();
    this.inst.closeSync();
  }

  private async rows(q: string): Promise<Record<string, unknown>[]> {
    return (await this.conn.runAndReadAll(q)).getRowObjectsJS();
  }

  /** The funnel report for one variant from one source; returns it and the seconds spent. */
  async figures(kind: DuckKind, v: DuckVariant): Promise<{ figures: DuckFigures; seconds: number }> {
    const t0 = performance.now();
    const A = us(v.asOf);
    const F = us(v.from);
    const E = us(new Date(Math.min(v.to.getTime(), v.asOf.getTime())));
    const inP = (col: string) => `(${col} >= ${F} and ${col} < ${E})`;
    let src: Source;
    if (kind === 'raw') {
      // Every visible entry with what its visit needs, in one window pass, materialized once
      // for the aggregates of the same statement.
      src = {
        table: 'rv',
        prelude: `rv as materialized (
        select e.deal, e.pos, s.kind, e.t, d.owner, d.seg, d.amount,
               row_number() over w = 1 as is_first,
               lead(e.t) over w as next_t, lead(s.kind) over w as next_kind,
               first_value(e.t) over w as created_t,
               max(case when s.kind <> 2 then e.pos end) over (w rows between 1 following and unbounded following) as later_max,
               bit_or(1::INTEGER << e.pos) over (w rows between unbounded preceding and current row) as mask
          from events e join stages s using (pos) join deals d using (deal)
         where e.t < ${A}
        window w as (partition by e.deal order by e.t, e.pos))`,
        created: `is_first and ${inP('t')}`,
        closing: `kind <> 0 and next_t is null and ${inP('t')}`,
        cohortWon: `kind = 1 and next_t is null and ${inP('created_t')}`,
        openAt: `kind = 0 and next_t is null`,
        periodVisit: `kind = 0 and ${inP('t')}`,
        advanced: `coalesce(later_max > pos, false)`,
        lostNext: `coalesce(next_kind = 2, false)`,
        finished: `next_t is not null`,
        duration: `((next_t - t) / 1e6)::DOUBLE`,
        closedAt: `kind <> 0 and next_t is null`,
        mask: 'mask',
        present: 'is_first',
      };
    } else {
      const running = `t < ${A} and (exit_t is null or exit_t >= ${A})`;
      src = {
        table: 'visits',
        created: `visit_no = 1 and ${inP('t')}`,
        closing: `kind <> 0 and ${inP('t')} and (exit_t is null or exit_t >= ${A})`,
        cohortWon: `kind = 1 and ${running} and ${inP('created_t')}`,
        openAt: `kind = 0 and ${running}`,
        periodVisit: `kind = 0 and ${inP('t')}`,
        first: `(prev_same_t is null or prev_same_t < ${F})`,
        advanced: `coalesce(adv_t < ${A}, false)`,
        lostNext: `coalesce(next_kind = 2 and exit_t < ${A}, false)`,
        finished: `exit_t < ${A}`,
        duration: 'dur_s',
        closedAt: `kind <> 0 and ${running}`,
        mask: 'cum_mask',
        present: `visit_no = 1 and t < ${A}`,
      };
    }
    const figures = await this.aggregate(src, v);
    return { figures, seconds: (performance.now() - t0) / 1000 };
  }

  private async aggregate(src: Source, v: DuckVariant): Promise<DuckFigures> {
    const A = us(v.asOf);
    const segId = v.segment === undefined ? undefined : (this.segments.get(v.segment) ?? -1);
    const filter = segId === undefined ? 'true' : `seg = ${segId}`;
    // Grouping sets: the total, and per owner when asked; `gt` tells which row is which.
    const gsets = v.byOwner ? 'grouping sets ((), (owner))' : '()';
    const gsetsPos = v.byOwner ? 'grouping sets ((pos), (owner, pos))' : '(pos)';
    const gcols = v.byOwner ? `grouping(owner) = 1 as gt, owner` : `true as gt, null as owner`;
    const cyc = `((t - created_t) / 1e6)::DOUBLE / ${DAY_S}`;
    const T = src.table;

    const probCols = this.open
      .map(
        (s) => `count(*) filter (where (${src.mask} & ${1 << s.pos}) <> 0) as c${s.pos},
                count(*) filter (where kind = 1 and (${src.mask} & ${1 << s.pos}) <> 0) as w${s.pos}`,
      )
      .join(', ');
    const ctes: Record<string, string> = {
      head: `
      select ${gcols},
             count(*) filter (where ${src.created}) as created,
             count(*) filter (where ${src.closing} and kind = 1) as won,
             count(*) filter (where ${src.closing} and kind = 2) as lost,
             coalesce(sum(amount) filter (where ${src.closing} and kind = 1), 0) as won_minor,
             avg(${cyc}) filter (where ${src.closing} and kind = 1) as cmean,
             quantile_cont(${cyc}, [0.5, 0.9]) filter (where ${src.closing} and kind = 1) as cq,
             count(*) filter (where ${src.cohortWon}) as cohort_won
        from ${T} where ${filter} group by ${gsets}`,
      ...(src.first
        ? {
            conv: `
      select ${gcols}, pos,
             count(*) filter (where ${src.first}) as entered,
             count(*) filter (where ${src.first} and ${src.advanced}) as advanced,
             count(*) filter (where ${src.first} and ${src.lostNext}) as lost,
             count(*) filter (where ${src.finished}) as n,
             quantile_cont(${src.duration} / ${DAY_S}, [0.5, 0.9]) filter (where ${src.finished}) as dq
        from ${T} where ${src.periodVisit} and ${filter} group by ${gsetsPos}`,
          }
        : {
            // Per deal and stage, the first visit in the period (a hash aggregate, not a sort) …
            conv: `
      select ${gcols}, pos, count(*) as entered, count(*) filter (where adv) as advanced, count(*) filter (where lost) as lost
        from (select owner, pos, arg_min(${src.advanced}, t) as adv, arg_min(${src.lostNext}, t) as lost
                from ${T} where ${src.periodVisit} and ${filter} group by deal, owner, pos)
       group by ${gsetsPos}`,
            // … and the durations of all the period's visits.
            durations: `
      select ${gcols}, pos, count(*) filter (where ${src.finished}) as n,
             quantile_cont(${src.duration} / ${DAY_S}, [0.5, 0.9]) filter (where ${src.finished}) as dq
        from ${T} where ${src.periodVisit} and ${filter} group by ${gsetsPos}`,
          }),
      // The stuck threshold is workspace-wide: p90 of the finished visits of each open stage before as-of.
      thr: `
      select pos, quantile_cont(${src.duration}, 0.9) as p90 from ${T}
       where kind = 0 and ${src.finished} group by pos having count(*) >= 5`,
      open: `
      select ${gcols}, pos, count(*) as n, coalesce(sum(amount), 0) as minor,
             count(*) filter (where ((${A} - t) / 1e6)::DOUBLE > thr.p90) as stuck
        from ${T} left join thr using (pos) where ${src.openAt} and ${filter} group by ${gsetsPos}`,
      // Won and closed per open stage over deals closed at as-of, whole history, per segment.
      probs: `
      select seg, count(*) as closed, count(*) filter (where kind = 1) as won, ${probCols}
        from ${T} where ${src.closedAt} group by seg`,
      ...(v.byOwner ? { present: `select distinct owner from ${T} where ${src.present}` } : {}),
    };
    // One statement: every aggregate as a list of rows.
    const names = Object.keys(ctes).filter((k) => k !== 'thr');
    const [res] = await this.rows(`
      with ${[...(src.prelude ? [src.prelude] : []), ...Object.entries(ctes).map(([k, q]) => `${k} as (${q})`)].join(',\n')}
      select ${names.map((k) => `(select list(x) from ${k} x) as ${k}`).join(', ')}`);
    const list = (k: string) => (res[k] ?? []) as Record<string, unknown>[];
    const [head, open, probs, present] = [list('head'), list('open'), list('probs'), list('present')];
    const conv = [...list('conv'), ...list('durations')];

    const parts = new Map<string, Partial_>();
    const at = (r: Record<string, unknown>) => {
      const k = r.gt ? '\u0000total' : r.owner === null ? '\u0000none' : (this.owners.get(Number(r.owner)) ?? String(r.owner));
      let p = parts.get(k);
      if (!p) {
        p = emptyPartial();
        parts.set(k, p);
      }
      return p;
    };
    for (const r of present) at({ gt: false, owner: r.owner });
    at({ gt: true });
    for (const r of head) {
      const cq = r.cq as (number | null)[] | null;
      Object.assign(at(r), {
        created: Number(r.created),
        won: Number(r.won),
        lost: Number(r.lost),
        wonMinor: Number(r.won_minor),
        cycleMean: num(r.cmean),
        cycleMedian: num(cq?.[0]),
        cycleP90: num(cq?.[1]),
        cohortWon: Number(r.cohort_won),
      });
    }
    for (const r of conv) {
      const m = at(r).conv;
      const c = m.get(Number(r.pos)) ?? { entered: 0, advanced: 0, lost: 0, n: 0, median: null, p90: null };
      if ('entered' in r) Object.assign(c, { entered: Number(r.entered), advanced: Number(r.advanced), lost: Number(r.lost) });
      if ('dq' in r) {
        const dq = r.dq as (number | null)[] | null;
        Object.assign(c, { n: Number(r.n), median: num(dq?.[0]), p90: num(dq?.[1]) });
      }
      m.set(Number(r.pos), c);
    }
    for (const r of open) at(r).open.set(Number(r.pos), { n: Number(r.n), minor: Number(r.minor), stuck: Number(r.stuck) });

    // Probabilities: workspace-wide counts, shrunk toward the global share won; under a
    // segment filter the segment's counts, shrunk toward the workspace-wide p of the stage.
    type Counts = { won: number; closed: number; per: Map<number, { won: number; closed: number }> };
    const sum = (rows: Record<string, unknown>[]): Counts => {
      const c: Counts = { won: 0, closed: 0, per: new Map(this.open.map((s) => [s.pos, { won: 0, closed: 0 }])) };
      for (const r of rows) {
        c.won += Number(r.won);
        c.closed += Number(r.closed);
        for (const s of this.open) {
          const x = c.per.get(s.pos) as { won: number; closed: number };
          x.won += Number(r[`w${s.pos}`]);
          x.closed += Number(r[`c${s.pos}`]);
        }
      }
      return c;
    };
    const shrink = (c: Counts, prior: (pos: number) => number | null): FunnelKpis['stage_win_probability'] =>
      this.open.map((s) => {
        const x = c.per.get(s.pos) as { won: number; closed: number };
        const w = prior(s.pos);
        return {
          stage: s.name,
          won: x.won,
          closed: x.closed,
          raw: ratio(x.won, x.closed),
          p: w === null ? null : (x.won + 5 * w) / (x.closed + 5),
        };
      });
    const ws = sum(probs);
    const wAll = ratio(ws.won, ws.closed);
    let stageProbs = shrink(ws, () => wAll);
    if (segId !== undefined) {
      const pAll = new Map(this.open.map((s, i) => [s.pos, stageProbs[i].p]));
      stageProbs = shrink(sum(probs.filter((r) => Number(r.seg) === segId)), (pos) => pAll.get(pos) ?? null);
    }

    const kpis = new Map([...parts].map(([k, p]) => [k, this.assemble(p, stageProbs)]));
    const total = kpis.get('\u0000total') as FunnelKpis;
    if (!v.byOwner) return { total };
    kpis.delete('\u0000total');
    return { total, groups: kpis };
  }

  private assemble(p: Partial_, probs: FunnelKpis['stage_win_probability']): FunnelKpis {
    let openDeals = 0;
    let openMinor = 0;
    let stuck = 0;
    let weighted: number | null = 0;
    for (const [i, s] of this.open.entries()) {
      const o = p.open.get(s.pos);
      if (!o) continue;
      openDeals += o.n;
      openMinor += o.minor;
      stuck += o.stuck;
      const prob = probs[i].p;
      weighted = weighted === null || prob === null ? null : weighted + o.minor * prob;
    }
    const wonAmount = p.wonMinor / 100;
    const winRate = ratio(p.won, p.won + p.lost);
    const avgWon = ratio(wonAmount, p.won);
    return {
      deals_created: p.created,
      deals_won: p.won,
      deals_lost: p.lost,
      won_amount: wonAmount,
      win_rate: winRate,
      cohort_win_rate: ratio(p.cohortWon, p.created),
      avg_won_amount: avgWon,
      cycle_days: { mean: p.cycleMean, median: p.cycleMedian, p90: p.cycleP90 },
      stage_conversion: this.open.map((s) => {
        const c = p.conv.get(s.pos);
        return {
          stage: s.name,
          entered: c?.entered ?? 0,
          advanced: c?.advanced ?? 0,
          lost: c?.lost ?? 0,
          rate: ratio(c?.advanced ?? 0, c?.entered ?? 0),
        };
      }),
      stage_duration_days: this.open.map((s) => {
        const c = p.conv.get(s.pos);
        return { stage: s.name, n: c?.n ?? 0, median: c?.median ?? null, p90: c?.p90 ?? null };
      }),
      open_deals: openDeals,
      open_amount: openMinor / 100,
      stage_win_probability: probs,
      weighted_pipeline: weighted === null ? null : weighted / 100,
      velocity_per_day:
        winRate === null || avgWon === null || p.cycleMean === null || p.cycleMean === 0
          ? null
          : (openDeals * winRate * avgWon) / p.cycleMean,
      stuck_deals: stuck,
    };
  }
}

/** Every numeric leaf of a report object, by its path (`stage_conversion[Демо].entered`). */
function leaves(x: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
  if (Array.isArray(x)) {
    for (const [i, e] of x.entries()) leaves(e, `${path}[${(e as { stage?: string })?.stage ?? i}]`, out);
  } else if (x !== null && typeof x === 'object') {
    for (const [k, e] of Object.entries(x)) if (k !== 'stage') leaves(e, path ? `${path}.${k}` : k, out);
  } else out.set(path, x);
  return out;
}

const same = (a: unknown, b: unknown) =>
  a === b || (typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)));

/**
 * Compares Voronka's report (`{...kpis}` or `{groups, total}`) with DuckDB's, every figure
 * within 1e-9 relative (kpi.md); returns the number of figures compared and the ones
 * that differ, as `path: voronka vs duckdb`.
 */
export function compareFigures(report: unknown, duck: DuckFigures): { compared: number; differ: string[] } {
  const r = report as { total?: FunnelKpis; groups?: (FunnelKpis & { key: string | null })[] };
  const pairs: [string, unknown, FunnelKpis | undefined][] = [['total', r.total ?? report, duck.total]];
  if (duck.groups) {
    const mine = new Map((r.groups ?? []).map((g) => [g.key ?? '\u0000none', g]));
    for (const k of new Set([...mine.keys(), ...duck.groups.keys()])) pairs.push([`group ${k}`, mine.get(k), duck.groups.get(k)]);
  }
  let compared = 0;
  const differ: string[] = [];
  for (const [name, a, b] of pairs) {
    if (a === undefined || b === undefined) {
      differ.push(`${name}: only in ${a === undefined ? 'DuckDB' : 'Voronka'}`);
      continue;
    }
    const la = leaves(b, '', new Map());
    const lv = leaves(a, '', new Map());
    for (const [path, dv] of la) {
      compared++;
      const vv = lv.get(path);
      if (!same(vv, dv)) differ.push(`${name} ${path}: ${vv} vs ${dv}`);
    }
  }
  return { compared, differ };
}
