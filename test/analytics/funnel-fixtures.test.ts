import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunnelParams, resolveFunnelQuery } from '../../src/analytics/funnel-query.ts';
import { funnelReport } from '../../src/analytics/funnel-report.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { AppError } from '../../src/platform/errors.ts';
import { expectKpisClose, type FixtureDeal, kpisOf, type LoadedFixture, loadFixture } from '../support/funnel-data.ts';
import { referenceFunnel } from '../support/funnel-reference.ts';
import { openTestDb } from '../support/test-db.ts';

const STAGES = [
  { name: 'Новый лид', kind: 'open' as const },
  { name: 'Квалификация', kind: 'open' as const },
  { name: 'Демо', kind: 'open' as const },
  { name: 'КП', kind: 'open' as const },
  { name: 'Успешно', kind: 'won' as const },
  { name: 'Не реализовано', kind: 'lost' as const },
];
const at = (day: string, time = '09:00:00Z') => `2025-01-${day}T${time}`;

/** Each deal is named after the outcome it produces. */
const DEALS: FixtureDeal[] = [
  {
    key: 'lost_at_demo',
    amount_minor: 100_000_00,
    segment: 'SMB',
    owner: 'Иван',
    events: [
      ['Новый лид', at('06')],
      ['Квалификация', at('08')],
      ['Демо', at('10')],
      ['Не реализовано', at('20')],
    ],
  },
  {
    key: 'moved_back_then_won',
    amount_minor: 300_000_00,
    segment: 'Enterprise',
    owner: 'Мария',
    events: [
      ['Демо', at('17')],
      ['Новый лид', at('07')],
      ['Квалификация', at('09')],
      ['Демо', at('13')],
      ['Квалификация', at('15')],
      ['КП', at('20')],
      ['Успешно', at('27')],
    ],
  },
  {
    key: 'lost_then_reopened_then_won',
    amount_minor: 200_000_00,
    segment: 'SMB',
    owner: 'Иван',
    events: [
      ['Новый лид', at('02')],
      ['Квалификация', at('03')],
      ['Не реализовано', at('10')],
      ['КП', at('20')],
      ['Успешно', at('30')],
    ],
  },
  {
    key: 'entered_twice_in_period',
    amount_minor: 50_000_00,
    segment: 'SMB',
    owner: 'Мария',
    events: [
      ['Новый лид', at('05')],
      ['Квалификация', at('06')],
      ['Новый лид', at('07')],
      ['Квалификация', at('08')],
    ],
  },
  {
    key: 'event_exactly_at_to',
    amount_minor: 80_000_00,
    segment: 'Enterprise',
    owner: 'Иван',
    // Won at 2025-02-01 00:00 Moscow time: exactly the end of January, the report's `to`.
    events: [
      ['Новый лид', at('10')],
      ['КП', at('25')],
      ['Успешно', '2025-01-31T21:00:00Z'],
    ],
  },
];

let db: Db;
let fx: LoadedFixture;
const NOW = new Date('2025-06-01T00:00:00Z');
beforeAll(async () => {
  db = await openTestDb();
  fx = await loadFixture(db, { name: 'Фикстуры', timeZone: 'Europe/Moscow', stages: STAGES, deals: DEALS });
});
afterAll(async () => {
  await db.close();
});

async function report(params: FunnelParams, ws = fx.ws) {
  return inWorkspace(db, ws, async (tx) => {
    const q = await resolveFunnelQuery(tx, ws, params, NOW);
    return { q, r: (await funnelReport(tx, q)) as unknown as Record<string, any> };
  });
}

const JANUARY = { from: '2025-01-01', to: '2025-02-01' };

describe('funnel KPIs on named fixtures, exact values', () => {
  it('computes every key for January with as-of = to', async () => {
    const { r } = await report(JANUARY);
    expect(r.period).toEqual({ from: '2024-12-31T21:00:00.000Z', to: '2025-01-31T21:00:00.000Z' });
    expect(r.as_of).toBe('2025-01-31T21:00:00.000Z');
    expect(r.time_zone).toBe('Europe/Moscow');
    expect(r.pipeline.name).toBe('Воронка');
    expect(r.filters).toEqual({ segment: null, owner: null, channel: null, region: null, team: null });
    expectKpisClose(kpisOf(r), {
      deals_created: 5,
      deals_won: 2, // moved_back_then_won, lost_then_reopened_then_won; event_exactly_at_to is not visible yet
      deals_lost: 1, // lost_at_demo
      won_amount: 500_000,
      win_rate: 2 / 3,
      cohort_win_rate: 2 / 5,
      avg_won_amount: 250_000,
      cycle_days: { mean: 24, median: 24, p90: 27.2 },
      stage_conversion: [
        // entered_twice_in_period is counted once per stage.
        { stage: 'Новый лид', entered: 5, advanced: 5, lost: 0, rate: 1 },
        // lost_then_reopened_then_won advanced from Квалификация (reopened into КП); entered_twice did not.
        { stage: 'Квалификация', entered: 4, advanced: 3, lost: 1, rate: 0.75 },
        { stage: 'Демо', entered: 2, advanced: 1, lost: 1, rate: 0.5 },
        // event_exactly_at_to entered «Успешно» at as-of itself: not yet.
        { stage: 'КП', entered: 3, advanced: 2, lost: 0, rate: 2 / 3 },
      ],
      stage_duration_days: [
        { stage: 'Новый лид', n: 6, median: 1.5, p90: 8.5 },
        { stage: 'Квалификация', n: 5, median: 2, p90: 5.8 },
        { stage: 'Демо', n: 3, median: 3, p90: 8.6 },
        { stage: 'КП', n: 2, median: 8.5, p90: 9.7 },
      ],
      open_deals: 2,
      open_amount: 130_000,
      stage_win_probability: [
        { stage: 'Новый лид', won: 2, closed: 3, raw: 2 / 3, p: 2 / 3 },
        { stage: 'Квалификация', won: 2, closed: 3, raw: 2 / 3, p: 2 / 3 },
        { stage: 'Демо', won: 1, closed: 2, raw: 0.5, p: 13 / 21 },
        { stage: 'КП', won: 2, closed: 2, raw: 1, p: 16 / 21 },
      ],
      weighted_pipeline: 1_980_000 / 21,
      velocity_per_day: 1_000_000 / 72,
      // entered_twice_in_period has sat in Квалификация 23.5 days > p90 5.8; КП has too few finished visits.
      stuck_deals: 1,
    });
  });

  it('event_exactly_at_to: visible once as-of passes it, but its closing is outside the period', async () => {
    const { r } = await report({ ...JANUARY, as_of: '2025-02-15' });
    expect(r.deals_won).toBe(2);
    expect(r.open_deals).toBe(1);
    expect(r.cohort_win_rate).toBeCloseTo(3 / 5, 12);
    expect(r.stage_conversion[3]).toEqual({ stage: 'КП', entered: 3, advanced: 3, lost: 0, rate: 1 });
    const feb = await report({ from: '2025-02-01', to: '2025-03-01' });
    expect(feb.r.deals_won).toBe(1);
    expect(feb.r.won_amount).toBe(80_000);
    expect(feb.r.deals_created).toBe(0);
    expect(feb.r.cohort_win_rate).toBeNull();
  });

  it('time travel: an as-of in the middle of January shows January as it looked then', async () => {
    const { r } = await report({ ...JANUARY, as_of: '2025-01-16T00:00:00+03:00' });
    const ref = referenceFunnel(fx.ref, {
      from: new Date('2024-12-31T21:00:00Z'),
      to: new Date('2025-01-31T21:00:00Z'),
      asOf: new Date('2025-01-15T21:00:00Z'),
      timeZone: 'Europe/Moscow',
      filters: {},
      by: null,
    });
    expectKpisClose(kpisOf(r), ref.total);
    expect(r.deals_created).toBe(5);
    expect(r.deals_won).toBe(0);
    // lost_at_demo is still in Демо; lost_then_reopened_then_won is lost (its reopening comes on the 20th).
    expect(r.deals_lost).toBe(1);
    expect(r.open_deals).toBe(4);
  });

  it('filters: a segment shrinks probabilities toward the workspace-wide p; an owner keeps them workspace-wide', async () => {
    const smb = await report({ ...JANUARY, segment: 'SMB' });
    expect(smb.r.filters.segment).toBe('SMB');
    expect(smb.r.deals_created).toBe(3);
    expectKpisClose(smb.r.stage_win_probability, [
      { stage: 'Новый лид', won: 1, closed: 2, raw: 0.5, p: 13 / 21 },
      { stage: 'Квалификация', won: 1, closed: 2, raw: 0.5, p: 13 / 21 },
      { stage: 'Демо', won: 0, closed: 1, raw: 0, p: (0 + 5 * (13 / 21)) / 6 },
      { stage: 'КП', won: 1, closed: 1, raw: 1, p: (1 + 5 * (16 / 21)) / 6 },
    ]);
    // The only open SMB deal sits in Квалификация.
    expectKpisClose(smb.r.weighted_pipeline, (50_000_00 * (13 / 21)) / 100);
    const ivan = await report({ ...JANUARY, owner: 'Иван' });
    expect(ivan.r.deals_created).toBe(3);
    expectKpisClose(ivan.r.stage_win_probability, kpisOf((await report(JANUARY)).r).stage_win_probability);
    expect(ivan.r.stuck_deals).toBe(0);
  });

  it('zero_closed_deals: rates, probabilities and the weighted pipeline are null, never 0', async () => {
    const empty = await loadFixture(db, {
      name: 'Без закрытых',
      timeZone: 'Europe/Moscow',
      stages: STAGES,
      deals: [
        {
          key: 'zero_closed_deals',
          amount_minor: 1_000_00,
          events: [
            ['Новый лид', at('03')],
            ['Квалификация', at('04')],
          ],
        },
        { key: 'zero_closed_deals_2', amount_minor: 2_000_00, events: [['Новый лид', at('05')]] },
      ],
    });
    const { r } = await report(JANUARY, empty.ws);
    expectKpisClose(kpisOf(r), {
      deals_created: 2,
      deals_won: 0,
      deals_lost: 0,
      won_amount: 0,
      win_rate: null,
      cohort_win_rate: 0,
      avg_won_amount: null,
      cycle_days: { mean: null, median: null, p90: null },
      stage_conversion: [
        { stage: 'Новый лид', entered: 2, advanced: 1, lost: 0, rate: 0.5 },
        { stage: 'Квалификация', entered: 1, advanced: 0, lost: 0, rate: 0 },
        { stage: 'Демо', entered: 0, advanced: 0, lost: 0, rate: null },
        { stage: 'КП', entered: 0, advanced: 0, lost: 0, rate: null },
      ],
      stage_duration_days: [
        { stage: 'Новый лид', n: 1, median: 1, p90: 1 },
        { stage: 'Квалификация', n: 0, median: null, p90: null },
        { stage: 'Демо', n: 0, median: null, p90: null },
        { stage: 'КП', n: 0, median: null, p90: null },
      ],
      open_deals: 2,
      open_amount: 3_000,
      stage_win_probability: ['Новый лид', 'Квалификация', 'Демо', 'КП'].map((stage) => ({ stage, won: 0, closed: 0, raw: null, p: null })),
      weighted_pipeline: null,
      velocity_per_day: null,
      stuck_deals: 0,
    });
  });

  it('breakdowns add up to the total and equal the report filtered to each group', async () => {
    for (const by of ['owner', 'segment', 'month'] as const) {
      const { r } = await report({ from: '2025-01-01', to: '2025-03-01', by });
      const sum = (k: 'deals_created' | 'deals_won' | 'deals_lost' | 'won_amount' | 'open_deals' | 'open_amount') =>
        r.groups.reduce((s: number, g: Record<string, number>) => s + g[k], 0);
      for (const k of ['deals_created', 'deals_won', 'deals_lost', 'won_amount'] as const) expect(sum(k), `${by} ${k}`).toBe(r.total[k]);
      if (by !== 'month') for (const k of ['open_deals', 'open_amount'] as const) expect(sum(k), `${by} ${k}`).toBe(r.total[k]);
    }
    const owners = await report({ ...JANUARY, by: 'owner' });
    expect(owners.r.groups.map((g: { key: string }) => g.key)).toEqual(['Иван', 'Мария']);
    const ivan = await report({ ...JANUARY, owner: 'Иван' });
    expectKpisClose(kpisOf(owners.r.groups[0]), kpisOf(ivan.r));
    const months = await report({ from: '2025-01-01', to: '2025-03-01', by: 'month' });
    expect(months.r.groups.map((g: { key: string }) => g.key)).toEqual(['2025-01', '2025-02']);
  });

  it('refuses bad parameters, naming them', async () => {
    const bad = async (p: FunnelParams) => {
      try {
        await report(p);
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        return (e as AppError).details.fields?.map((f) => f.field);
      }
      throw new Error('expected an error');
    };
    expect(await bad({ from: '2025-02-01', to: '2025-01-01' })).toEqual(['to']);
    expect(await bad({ from: '01.01.2025', to: '2025-02-01T00:00:00' })).toEqual(['from', 'to']);
    expect(await bad({ ...JANUARY, segment: 'Госсектор' })).toEqual(['segment']);
    expect(await bad({ ...JANUARY, owner: 'Пётр' })).toEqual(['owner']);
    expect(await bad({ ...JANUARY, owner: 'Иван', by: 'owner' })).toEqual(['by']);
  });
});
