import sql, { join, raw } from 'sql-template-tag';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { funnelKpisSchema } from '../../src/analytics/funnel-schema.ts';
import { funnelMetrics } from '../../src/analytics/metrics/funnel-metrics.ts';
import { type Formatters, MetricRegistry, type Source, text } from '../../src/analytics/metrics/registry.ts';

/** A report of the smallest kind: one source, its rows grouped by `g`. */
type Q = { table: string };
const items: Source<Q, 'none' | 'by_owner', null> = {
  name: 'items',
  statement: (q, g, _r, columns) =>
    sql`select ${raw(g === 'none' ? `'total'` : 'owner')} as g, ${join(columns, ', ')} from ${raw(q.table)} group by 1`,
};
const f: Formatters = {
  count: (v) => `#${v}`,
  num: (v) => `n${v}`,
  pct: (v) => `${v === null ? '—' : v * 100}%`,
  money: (v) => `$${v}`,
  estimate: (v) => `~${v}`,
};

const base = MetricRegistry.create<Q, 'none' | 'by_owner', null, { bonus: number }>()
  .add('items', {
    schema: z.number().int(),
    sql: { source: items, columns: () => ({ n: sql`count(*)::int8` }) },
    assemble: ({ row }) => (row?.n ?? 0) as number,
    print: {
      summary: { line: 'a', label: text('Items', 'Позиций'), cell: (v, _, f) => f.num(v) },
      column: { label: text('items', 'позиций'), cell: (v, _, f) => f.count(v) },
    },
  })
  .add('amount', {
    schema: z.number(),
    sql: { source: items, columns: () => ({ amount: sql`sum(amount)`, n: sql`count(*)::int8` }) },
    assemble: ({ row, c }) => ((row?.amount ?? 0) as number) + c.bonus,
    print: { summary: { line: 'a', label: text('Amount', 'Сумма'), cell: (v, _, f) => f.money(v) } },
  });

describe('the metrics registry', () => {
  it('adding a metric is one declaration: the schema, the statement, the assembly and the printed cells follow', () => {
    const r = base.add('average', {
      schema: z.number().nullable(),
      assemble: ({ kpis }) => (kpis.items === 0 ? null : kpis.amount / kpis.items),
      print: {
        summary: { line: 'b', label: text('Average', 'Среднее'), cell: (v, _, f) => f.estimate(v) },
        column: { label: text('avg', 'ср.'), cell: (v, _, f) => f.estimate(v) },
      },
    });
    expect(Object.keys(r.schema.shape)).toEqual(['items', 'amount', 'average']);
    expect(r.schema.parse({ items: 2, amount: 5, average: null })).toEqual({ items: 2, amount: 5, average: null });
    expect(() => r.schema.parse({ items: 2, amount: 5 })).toThrow();

    // One statement for the source, the shared column `n` once, columns in metric order.
    const [st, ...rest] = r.statements({ table: 'deals' }, 'by_owner', null);
    expect(rest).toEqual([]);
    expect(st.source).toBe(items);
    expect(st.sql.text).toBe('select owner as g, count(*)::int8 as n, sum(amount) as amount from deals group by 1');

    const groups = r.collect({ table: 'deals' }, 'by_owner', [{ source: items, rows: [{ g: 'Иван', n: 4, amount: 10 }] }], ['Мария']);
    expect([...groups.keys()]).toEqual(['Мария', 'Иван']);
    const ivan = r.assemble({ table: 'deals' }, { bonus: 2 }, groups.get('Иван'));
    expect(ivan).toEqual({ items: 4, amount: 12, average: 3 });
    expect(JSON.stringify(ivan)).toBe('{"items":4,"amount":12,"average":3}');
    // A group without rows gets each metric's empty value.
    expect(r.assemble({ table: 'deals' }, { bonus: 0 }, groups.get('Мария'))).toEqual({ items: 0, amount: 0, average: null });

    const cells = r.cells(ivan, f);
    expect(cells.summary).toEqual([
      [
        { label: text('Items', 'Позиций'), cell: 'n4' },
        { label: text('Amount', 'Сумма'), cell: '$12' },
      ],
      [{ label: text('Average', 'Среднее'), cell: '~3' }],
    ]);
    expect(cells.columns.map((c) => [c.label.en, c.cell])).toEqual([
      ['items', '#4'],
      ['avg', '~3'],
    ]);
  });

  it('refuses a key twice, and one column name with two meanings', () => {
    expect(() => base.add('items', { schema: z.number(), assemble: () => 0, print: {} })).toThrow(/items/);
    expect(() => base.add('Bad-Key', { schema: z.number(), assemble: () => 0, print: {} })).toThrow(/Bad-Key/);
    const clash = base.add('clash', {
      schema: z.number(),
      sql: { source: items, columns: () => ({ n: sql`count(distinct owner)::int8` }) },
      assemble: () => 0,
      print: {},
    });
    expect(() => clash.statements({ table: 'deals' }, 'none', null)).toThrow(/column "n" of source items differs/);
  });

  it('the funnel: the schema is the registry, key by key in the report order of kpi.md', () => {
    expect(funnelKpisSchema).toBe(funnelMetrics.schema);
    expect(Object.keys(funnelKpisSchema.shape)).toEqual([
      'deals_created',
      'deals_won',
      'deals_lost',
      'won_amount',
      'win_rate',
      'cohort_win_rate',
      'avg_won_amount',
      'cycle_days',
      'stage_conversion',
      'stage_duration_days',
      'open_deals',
      'open_amount',
      'stage_win_probability',
      'weighted_pipeline',
      'velocity_per_day',
      'stuck_deals',
    ]);
  });
});
