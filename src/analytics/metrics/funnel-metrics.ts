import sql, { join, raw } from 'sql-template-tag';
import { z } from 'zod';
import { toMajor } from '../../platform/money.ts';
import { openVisitsAt } from '../asof-source.ts';
import { type FunnelQuery, monthsOf } from '../funnel-query.ts';
import { type Grouping, groupExpr, groupPeriodStart, metricSets, where } from '../funnel-visits.ts';
import { ratio } from '../stats.ts';
import { MetricRegistry, type Source, text } from './registry.ts';

/**
 * The funnel report's metrics (kpi.md, "Core funnel KPIs"), in the order of the report. Adding a
 * KPI is one `.add` here: its schema (and so the API type and the OpenAPI document), its SQL,
 * its assembly and its CLI output. The five sources are range scans over `stage_visits`
 * (funnel-visits.ts says which visits each one reads).
 */

/** What the report computes before its statements: each open stage's stuck threshold (seconds), where it has one. */
export interface FunnelPrepared {
  thresholds: Map<number, number>;
}

const stageProbability = z.object({
  stage: z.string(),
  won: z.number().int(),
  closed: z.number().int(),
  raw: z.number().nullable(),
  p: z.number().nullable(),
});
export type StageProbability = z.infer<typeof stageProbability>;

/** What one group's figures use beyond its rows: the stage win probabilities that apply to it. */
export interface FunnelGroupContext {
  probs: StageProbability[];
}

type FunnelSource = Source<FunnelQuery, Grouping, FunnelPrepared>;

const DAY_S = 86_400;

/** Deals created in the period, by the group (or month) of their first entry. */
const created: FunnelSource = {
  name: 'created',
  statement: (q, g, _r, columns) => {
    const s = metricSets(q).created;
    return sql`
    select ${groupExpr(g, q, 'v.entered_at')} as g, ${join(columns, ', ')}
      from ${s.from} where ${where(q, s.where)} group by 1`;
  },
};

/** The closing visits of the deals won or lost at as-of and closed in the period, by the month of closing. */
const closing: FunnelSource = {
  name: 'closing',
  statement: (q, g, _r, columns) => {
    const s = metricSets(q).closing;
    return sql`
    select ${groupExpr(g, q, 'v.entered_at')} as g,
           ${join(columns, ',\n           ')}
      from ${s.from}
     where ${where(q, s.where)}
     group by 1`;
  },
};

/** Deals created in the period and won at as-of, by the month of creation. */
const cohort: FunnelSource = {
  name: 'cohort',
  statement: (q, g, _r, columns) => {
    const s = metricSets(q).cohortWon;
    return sql`
    select ${groupExpr(g, q, 'v.created_at')} as g, ${join(columns, ', ')}
      from ${s.from} where ${where(q, s.where)} group by 1`;
  },
};

/**
 * The visits that began in the period, per open stage: one index range per stage (stage first,
 * then entry time), so rows arrive grouped, no big sort. Columns may read, per visit, `first`
 * (the deal's first visit to the stage in the group's period), `advanced`, `lost_next`,
 * `finished` and `duration_s`.
 */
const stages: FunnelSource = {
  name: 'stages',
  part: 'stage_id',
  statement: (q, g, _r, columns) => {
    const m = metricSets(q);
    const openIds = q.stages.filter((s) => s.kind === 'open').map((s) => s.id);
    return sql`
    select x.*
      from unnest(${openIds}::int8[]) as st(id),
      lateral (
        select g, st.id as stage_id,
               ${join(columns, ',\n               ')}
          from (select ${groupExpr(g, q, 'v.entered_at')} as g, v.duration_s,
                       ${m.firstInPeriod(groupPeriodStart(g, q, 'v.entered_at'))} as first,
                       ${m.advanced} as advanced, ${m.lostNext} as lost_next, ${m.finished} as finished
                  from ${m.periodVisits.from} where ${where(q, [...m.periodVisits.where, sql`v.stage_id = st.id`])}) y
         group by g
      ) x`;
  },
};

/**
 * The visit each deal open at as-of is in, per stage, with the stage's stuck threshold as
 * `t.thr`. Open at as-of does not depend on the period: by month, every month shows the same.
 * For a past as-of with a monthly checkpoint, read from its open list plus the month since
 * (analytics/asof-source.ts): a superset with the visits' columns, to which the same conditions apply.
 */
const openAt: FunnelSource = {
  name: 'open',
  part: 'stage_id',
  statement: (q, g, r, columns) => {
    const s = metricSets(q).openAt;
    const ids = [...r.thresholds.keys()];
    const thr = ids.map((id) => r.thresholds.get(id) as number);
    return sql`
    select ${groupExpr(g?.by === 'month' ? null : g, q, 'v.entered_at')} as g, v.stage_id,
           ${join(columns, ',\n           ')}
      from ${q.checkpoint ? sql`${openVisitsAt(q)} v` : s.from}
      left join unnest(${ids}::int8[], ${thr}::float8[]) as t(stage_id, thr) on t.stage_id = v.stage_id
     where ${where(q, s.where)}
     group by 1, 2`;
  },
  spread: (q, g, rows) => (g?.by === 'month' ? monthsOf(q).flatMap((m) => rows.map((r) => ({ ...r, g: m.key }))) : rows),
};

const nn = z.number().nullable();
/** A count or sum from a row, 0 where the group has none. */
const n = (v: unknown) => (v ?? 0) as number;
const openStages = (q: FunnelQuery) => q.stages.filter((s) => s.kind === 'open');
const openAmount = sql`coalesce(sum(v.amount_minor), 0)::int8`;

export const funnelMetrics = MetricRegistry.create<FunnelQuery, Grouping, FunnelPrepared, FunnelGroupContext>({
  parts: { label: text('Stage', 'Этап'), key: 'stage' },
})
  .add('deals_created', {
    schema: z.number().int(),
    sql: { source: created, columns: () => ({ n: sql`count(*)::int8` }) },
    assemble: ({ row }) => n(row?.n),
    print: {
      summary: { line: 'deals', label: text('Deals created', 'Создано сделок'), cell: (v, _, f) => f.num(v) },
      column: { label: text('created', 'создано'), cell: (v, _, f) => f.count(v) },
    },
  })
  .add('deals_won', {
    schema: z.number().int(),
    sql: { source: closing, columns: () => ({ won: sql`count(*) filter (where v.stage_kind = 'won')::int8` }) },
    assemble: ({ row }) => n(row?.won),
    // In the summary with deals_lost: "won / lost".
    print: { column: { label: text('won', 'выиграно'), cell: (v, _, f) => f.count(v) } },
  })
  .add('deals_lost', {
    schema: z.number().int(),
    sql: { source: closing, columns: () => ({ lost: sql`count(*) filter (where v.stage_kind = 'lost')::int8` }) },
    assemble: ({ row }) => n(row?.lost),
    print: {
      summary: {
        line: 'deals',
        label: text('Won / lost', 'Выиграно / проиграно'),
        cell: (v, k, f) => `${f.count(k.deals_won)} / ${f.count(v)}`,
      },
      column: { label: text('lost', 'проиграно'), cell: (v, _, f) => f.count(v) },
    },
  })
  .add('won_amount', {
    schema: z.number().describe('Major units'),
    sql: { source: closing, columns: () => ({ amount: sql`coalesce(sum(v.amount_minor) filter (where v.stage_kind = 'won'), 0)::int8` }) },
    // Money leaves in major units of the workspace currency (kpi.md): by its minor units, never by 100.
    assemble: ({ q, row }) => toMajor(n(row?.amount), q.currency),
    print: {
      summary: { line: 'amounts', label: text('Won amount', 'Сумма выигранных'), cell: (v, _, f) => f.money(v) },
      column: { label: text('won amount', 'сумма выигранных'), cell: (v, _, f) => f.money(v) },
    },
  })
  .add('win_rate', {
    schema: nn.describe('deals_won / (deals_won + deals_lost)'),
    assemble: ({ kpis }) => ratio(kpis.deals_won, kpis.deals_won + kpis.deals_lost),
    print: {
      summary: { line: 'rates', label: text('Win rate', 'Доля выигранных'), cell: (v, _, f) => f.pct(v) },
      column: { label: text('win rate', 'доля выигранных'), cell: (v, _, f) => f.pct(v) },
    },
  })
  .add('cohort_win_rate', {
    schema: nn,
    sql: { source: cohort, columns: () => ({ n: sql`count(*)::int8` }) },
    assemble: ({ row, kpis }) => ratio(n(row?.n), kpis.deals_created),
    print: { summary: { line: 'rates', label: text('Cohort win rate', 'Доля выигранных из созданных'), cell: (v, _, f) => f.pct(v) } },
  })
  .add('avg_won_amount', {
    schema: nn,
    assemble: ({ kpis }) => ratio(kpis.won_amount, kpis.deals_won),
    print: { summary: { line: 'amounts', label: text('Average won deal', 'Средний чек'), cell: (v, _, f) => f.estimate(v) } },
  })
  .add('cycle_days', {
    schema: z.object({ mean: nn, median: nn, p90: nn }),
    sql: {
      source: closing,
      columns: () => ({
        cmean: sql`avg(extract(epoch from v.entered_at - v.created_at)::float8 / ${DAY_S}) filter (where v.stage_kind = 'won')`,
        cq: sql`percentile_cont(array[0.5, 0.9]) within group (order by extract(epoch from v.entered_at - v.created_at)::float8 / ${DAY_S})
             filter (where v.stage_kind = 'won')`,
      }),
    },
    assemble: ({ row }) => {
      const cq = row?.cq as number[] | null | undefined;
      return { mean: (row?.cmean ?? null) as number | null, median: cq?.[0] ?? null, p90: cq?.[1] ?? null };
    },
    print: {
      summary: {
        line: 'cycle',
        label: text('Cycle, days (mean / median / p90)', 'Цикл сделки, дней (среднее / медиана / 90-й перцентиль)'),
        cell: (v, _, f) => `${f.num(v.mean)} / ${f.num(v.median)} / ${f.num(v.p90)}`,
      },
      column: { label: text('cycle med. d', 'цикл, медиана, дн'), cell: (v, _, f) => f.num(v.median) },
    },
  })
  .add('stage_conversion', {
    schema: z.array(
      z.object({ stage: z.string(), entered: z.number().int(), advanced: z.number().int(), lost: z.number().int(), rate: nn }),
    ),
    sql: {
      source: stages,
      columns: () => ({
        entered: sql`count(*) filter (where first)::int8`,
        advanced: sql`count(*) filter (where first and advanced)::int8`,
        lost: sql`count(*) filter (where first and lost_next)::int8`,
      }),
    },
    assemble: ({ q, parts }) =>
      openStages(q).map((s) => {
        const c = parts.get(s.id);
        return {
          stage: s.name,
          entered: n(c?.entered),
          advanced: n(c?.advanced),
          lost: n(c?.lost),
          rate: ratio(n(c?.advanced), n(c?.entered)),
        };
      }),
    print: {
      parts: [
        { label: text('entered', 'вошли'), cell: (c, f) => f.count(c.entered) },
        { label: text('advanced', 'перешли дальше'), cell: (c, f) => f.count(c.advanced) },
        { label: text('lost', 'выбыли'), cell: (c, f) => f.count(c.lost) },
        { label: text('conversion', 'конверсия'), cell: (c, f) => f.pct(c.rate) },
      ],
    },
  })
  .add('stage_duration_days', {
    schema: z.array(z.object({ stage: z.string(), n: z.number().int(), median: nn, p90: nn })),
    sql: {
      source: stages,
      columns: () => ({
        n: sql`count(*) filter (where finished)::int8`,
        dq: sql`percentile_cont(array[0.5, 0.9]) within group (order by duration_s / ${DAY_S}) filter (where finished)`,
      }),
    },
    assemble: ({ q, parts }) =>
      openStages(q).map((s) => {
        const c = parts.get(s.id);
        const dq = c?.dq as number[] | null | undefined;
        return { stage: s.name, n: n(c?.n), median: dq?.[0] ?? null, p90: dq?.[1] ?? null };
      }),
    print: {
      parts: [
        { label: text('visits', 'заходов на этап'), cell: (d, f) => f.count(d.n) },
        { label: text('median d', 'медиана, дн'), cell: (d, f) => f.num(d.median) },
        { label: text('p90 d', '90-й перцентиль, дн'), cell: (d, f) => f.num(d.p90) },
      ],
    },
  })
  .add('open_deals', {
    schema: z.number().int(),
    sql: { source: openAt, columns: () => ({ n: sql`count(*)::int8` }) },
    assemble: ({ q, parts }) => openStages(q).reduce((sum, s) => sum + n(parts.get(s.id)?.n), 0),
    print: {
      summary: { line: 'open', label: text('Open deals', 'Сделок в работе'), cell: (v, _, f) => f.num(v) },
      column: { label: text('open', 'в работе'), cell: (v, _, f) => f.count(v) },
    },
  })
  .add('open_amount', {
    schema: z.number(),
    sql: { source: openAt, columns: () => ({ amount: openAmount }) },
    assemble: ({ q, parts }) =>
      toMajor(
        openStages(q).reduce((sum, s) => sum + n(parts.get(s.id)?.amount), 0),
        q.currency,
      ),
    print: { summary: { line: 'open', label: text('Open amount', 'Сумма сделок в работе'), cell: (v, _, f) => f.money(v) } },
  })
  .add('stage_win_probability', {
    // Counted over the whole history before the statements (funnel-report.ts): the group's context.
    schema: z.array(stageProbability),
    assemble: ({ c }) => c.probs,
    print: { parts: [{ label: text('P(win)', 'вероятность выигрыша'), cell: (p, f) => f.pct(p.p) }] },
  })
  .add('weighted_pipeline', {
    schema: nn,
    sql: { source: openAt, columns: () => ({ amount: openAmount }) },
    assemble: ({ q, parts, kpis }) => {
      let weighted: number | null = 0;
      for (const s of openStages(q)) {
        const o = parts.get(s.id);
        if (!o) continue;
        const prob = kpis.stage_win_probability.find((x) => x.stage === s.name)?.p ?? null;
        weighted = weighted === null || prob === null ? null : weighted + n(o.amount) * prob;
      }
      return weighted === null ? null : toMajor(weighted, q.currency);
    },
    print: {
      summary: { line: 'weighted', label: text('Weighted pipeline', 'Взвешенная воронка'), cell: (v, _, f) => f.estimate(v) },
      column: { label: text('weighted', 'взвешенная'), cell: (v, _, f) => f.estimate(v) },
    },
  })
  .add('velocity_per_day', {
    schema: nn,
    assemble: ({ kpis: k }) =>
      k.win_rate === null || k.avg_won_amount === null || k.cycle_days.mean === null || k.cycle_days.mean === 0
        ? null
        : (k.open_deals * k.win_rate * k.avg_won_amount) / k.cycle_days.mean,
    print: {
      summary: { line: 'weighted', label: text('Velocity per day', 'Скорость воронки (выручка в день)'), cell: (v, _, f) => f.estimate(v) },
    },
  })
  .add('stuck_deals', {
    schema: z.number().int(),
    sql: { source: openAt, columns: (q) => ({ stuck: sql`count(*) filter (where ${metricSets(q).stuck(raw('t.thr'))})::int8` }) },
    assemble: ({ q, parts }) => openStages(q).reduce((sum, s) => sum + n(parts.get(s.id)?.stuck), 0),
    print: {
      summary: { line: 'stuck', label: text('Stuck deals', 'Подвисших сделок'), cell: (v, _, f) => f.num(v) },
      column: { label: text('stuck', 'подвисли'), cell: (v, _, f) => f.count(v) },
    },
  });
