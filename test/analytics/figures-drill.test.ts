import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { funnelDeals } from '../../src/analytics/funnel-deals.ts';
import { type FunnelParams, resolveFunnelQuery } from '../../src/analytics/funnel-query.ts';
import { funnelReport } from '../../src/analytics/funnel-report.ts';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { openDemoDb } from '../support/demo-db.ts';
import { type FixtureDeal, type LoadedFixture, loadFixture } from '../support/funnel-data.ts';
import { apiClient, type Harness, startHarness } from '../support/harness.ts';

/**
 * Every figure of the dashboard opens its records: the drill-down behind a tile lists exactly
 * what the tile counts — its count, its sum, its cycle, its share — on the demo and on a fixture
 * whose figures are known by hand.
 */

let h: Harness;
let api: ReturnType<typeof apiClient>;
let fx: LoadedFixture;

const STAGES = [
  { name: 'Новый лид', kind: 'open' as const },
  { name: 'Квалификация', kind: 'open' as const },
  { name: 'Демо', kind: 'open' as const },
  { name: 'КП', kind: 'open' as const },
  { name: 'Успешно', kind: 'won' as const },
  { name: 'Не реализовано', kind: 'lost' as const },
];
const at = (day: string, time = '09:00:00Z') => `2025-01-${day}T${time}`;
/** The deals of test/analytics/funnel-fixtures.test.ts, whose January figures are known by hand. */
const DEALS: FixtureDeal[] = [
  {
    key: 'lost_at_demo',
    amount_minor: 100_000_00,
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
    owner: 'Мария',
    events: [
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
    owner: 'Иван',
    events: [
      ['Новый лид', at('10')],
      ['КП', at('25')],
      ['Успешно', '2025-01-31T21:00:00Z'],
    ],
  },
];

beforeAll(async () => {
  const asOf = new Date('2026-11-20T12:00:00Z');
  const { db, demo } = await openDemoDb({ seed: 5, asOf, now: asOf });
  h = await startHarness({ db, clockAt: asOf });
  const [admin] = await h.db.query<{ id: number }>(`select id from users where email = 'admin@demo.voronka.local'`);
  api = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: demo.workspaceId, userId: admin.id }, { name: 't' })).token);
  fx = await loadFixture(h.db, { name: 'Фикстуры', timeZone: 'Europe/Moscow', stages: STAGES, deals: DEALS });
});
afterAll(async () => {
  await h.close();
});

const PERIOD = 'from=2026-05-01&to=2026-11-01';

describe('the drill-down behind each dashboard tile, on the demo', () => {
  const drill = async (q: string) => {
    const res = await api.get(`/reports/funnel/deals?${PERIOD}&${q}&limit=1`);
    expect(res.status, q).toBe(200);
    return res.body as {
      total: number;
      summary: {
        amount: number;
        won: number | null;
        cycle_days: { mean: number | null; median: number | null } | null;
        median_days: number | null;
      };
    };
  };

  it('Revenue, Average deal and Cycle open the won deals, whose sum, mean and cycle are the tiles', async () => {
    const r = (await api.get(`/reports/funnel?${PERIOD}`)).body;
    expect(r.deals_won).toBeGreaterThan(10);
    const won = await drill('metric=deals_won');
    expect(won.total).toBe(r.deals_won);
    expect(won.summary.amount).toBe(r.won_amount);
    expect(won.summary.amount / won.total).toBeCloseTo(r.avg_won_amount, 6);
    expect(won.summary.won).toBe(r.deals_won);
    expect(won.summary.cycle_days?.median).toBeCloseTo(r.cycle_days.median, 9);
    expect(won.summary.cycle_days?.mean).toBeCloseTo(r.cycle_days.mean, 9);
  });

  it('the win rate opens the closed deals (won + lost), of which the won share is the tile', async () => {
    const r = (await api.get(`/reports/funnel?${PERIOD}&segment=SMB`)).body;
    const closed = await drill('metric=deals_closed&segment=SMB');
    expect(closed.total).toBe(r.deals_won + r.deals_lost);
    expect(closed.summary.won).toBe(r.deals_won);
    expect((closed.summary.won ?? 0) / closed.total).toBeCloseTo(r.win_rate, 12);
  });

  it('the cohort win rate opens the period’s deals won, out of those created', async () => {
    const r = (await api.get(`/reports/funnel?${PERIOD}`)).body;
    const won = await drill('metric=cohort_won');
    const created = await drill('metric=deals_created');
    expect(created.total).toBe(r.deals_created);
    expect(won.total / created.total).toBeCloseTo(r.cohort_win_rate, 12);
  });

  it('Velocity opens the open deals, and its formula over the listed factors gives the tile', async () => {
    const r = (await api.get(`/reports/funnel?${PERIOD}`)).body;
    const open = await drill('metric=open_deals');
    const won = await drill('metric=deals_won');
    const closed = await drill('metric=deals_closed');
    expect(open.total).toBe(r.open_deals);
    expect(open.summary.amount).toBe(r.open_amount);
    const v =
      (open.total * ((closed.summary.won ?? 0) / closed.total) * (won.summary.amount / won.total)) / (won.summary.cycle_days?.mean ?? 1);
    expect(v).toBeCloseTo(r.velocity_per_day, 6);
  });

  it('the stage table: all entries add up to the stages’ entered, and the median opens the finished visits', async () => {
    const r = (await api.get(`/reports/funnel?${PERIOD}`)).body;
    const all = await drill('metric=stages_entered');
    expect(all.total).toBe(r.stage_conversion.reduce((s: number, x: { entered: number }) => s + x.entered, 0));
    for (const d of r.stage_duration_days) {
      const f = await drill(`metric=stage_finished&stage=${encodeURIComponent(d.stage)}`);
      expect(f.total, d.stage).toBe(d.n);
      if (d.median === null) expect(f.summary.median_days).toBeNull();
      else expect(f.summary.median_days).toBeCloseTo(d.median, 9);
    }
  });

  it('the Overdue column and the on-time rate open the tasks they count, per manager', async () => {
    const d = (await api.get(`/reports/discipline?${PERIOD}&by=owner`)).body;
    const withOverdue = d.groups.filter((g: { overdue_open: number; key_id: number | null }) => g.overdue_open > 0 && g.key_id);
    expect(withOverdue.length).toBeGreaterThan(0);
    for (const g of withOverdue) {
      const t = (await api.get(`/reports/discipline/tasks?${PERIOD}&owner=${g.key_id}&metric=overdue_open&limit=1000`)).body;
      expect(t.total, g.key).toBe(g.overdue_open);
      expect(new Set(t.items.map((x: { owner: string }) => x.owner))).toEqual(new Set([g.key]));
      const due = (await api.get(`/reports/discipline/tasks?${PERIOD}&owner=${g.key_id}&metric=tasks_due&limit=1`)).body;
      expect(due.total).toBe(g.tasks_due);
      expect(due.on_time).toBe(g.tasks_on_time);
    }
  });

  it('card completeness opens the stage entries it is the share of', async () => {
    const d = (await api.get(`/reports/discipline?${PERIOD}&by=owner`)).body;
    const some = d.groups.filter(
      (g: { card_completeness: number | null; key_id: number | null }) => g.card_completeness !== null && g.key_id,
    );
    expect(some.length).toBeGreaterThan(0);
    for (const g of some) {
      const e = (await api.get(`/reports/discipline/entries?${PERIOD}&owner=${g.key_id}&limit=1000`)).body;
      expect(e.required_filled / e.required_total, g.key).toBeCloseTo(g.card_completeness, 12);
      expect(e.items.reduce((s: number, x: { required_total: number }) => s + x.required_total, 0)).toBe(e.required_total);
      expect(e.items.length).toBe(e.total);
    }
    const all = (await api.get(`/reports/discipline?${PERIOD}`)).body;
    const e = (await api.get(`/reports/discipline/entries?${PERIOD}&limit=1`)).body;
    expect(e.required_filled / e.required_total).toBeCloseTo(all.card_completeness, 12);
  });
});

describe('the drill-down behind each tile, on a fixture known by hand', () => {
  const JANUARY: FunnelParams = { from: '2025-01-01', to: '2025-02-01' };
  const run = (metric: Parameters<typeof funnelDeals>[2], stage?: string) =>
    inWorkspace(h.db, fx.ws, async (tx) => {
      const q = await resolveFunnelQuery(tx, fx.ws, JANUARY, new Date('2025-06-01T00:00:00Z'));
      return {
        r: (await funnelReport(tx, q)) as unknown as Record<string, any>,
        d: await funnelDeals(tx, q, metric, stage, { limit: 100, offset: 0 }),
      };
    });

  it('Revenue: the two won deals, 500 000; the cycle 21 and 27 days, median 24', async () => {
    const { r, d } = await run('deals_won');
    expect(r.won_amount).toBe(500_000);
    expect(d.total).toBe(2);
    expect(d.items.map((x) => x.deal_id).sort()).toEqual(
      [fx.dealIds.get('moved_back_then_won'), fx.dealIds.get('lost_then_reopened_then_won')].sort(),
    );
    expect(d.summary).toEqual({ amount: 500_000, won: 2, cycle_days: { mean: 24, median: 24 }, median_days: null });
    expect(d.items.map((x) => x.cycle_days).sort()).toEqual([20, 28]);
  });

  it('Win rate: three closed deals, two won (2/3)', async () => {
    const { r, d } = await run('deals_closed');
    expect(r.win_rate).toBeCloseTo(2 / 3, 12);
    expect(d.total).toBe(3);
    expect(d.summary.won).toBe(2);
    expect(d.summary.amount).toBe(600_000);
    expect(d.items.map((x) => x.deal_id)).toContain(fx.dealIds.get('lost_at_demo'));
  });

  it('Moved forward: 14 entries (5 + 4 + 2 + 3), a deal once per stage', async () => {
    const { d } = await run('stages_entered');
    expect(d.total).toBe(14);
    expect(
      d.items
        .filter((x) => x.deal_id === fx.dealIds.get('entered_twice_in_period'))
        .map((x) => x.stage)
        .sort(),
    ).toEqual(['Квалификация', 'Новый лид']);
  });

  it('The stage median opens the finished visits: Новый лид, 6 visits, median 1.5 days', async () => {
    const { r, d } = await run('stage_finished', 'Новый лид');
    expect(r.stage_duration_days[0]).toMatchObject({ stage: 'Новый лид', n: 6, median: 1.5 });
    expect(d.total).toBe(6);
    expect(d.summary.median_days).toBe(1.5);
  });
});
