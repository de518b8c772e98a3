import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { openDemoDb } from '../support/demo-db.ts';
import { apiClient, type Harness, startHarness } from '../support/harness.ts';

let h: Harness;
let api: ReturnType<typeof apiClient>;
beforeAll(async () => {
  const asOf = new Date('2026-11-20T12:00:00Z');
  const { db, demo } = await openDemoDb({ seed: 5, asOf, now: asOf });
  h = await startHarness({ db, clockAt: asOf });
  const [admin] = await h.db.query<{ id: number }>(`select id from users where email = 'admin@demo.voronka.local'`);
  api = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: demo.workspaceId, userId: admin.id }, { name: 't' })).token);
});
afterAll(async () => {
  await h.close();
});

const PERIOD = 'from=2026-05-01&to=2026-11-01';

describe('GET /api/v1/reports/funnel', () => {
  it('answers the report with its resolved period, as-of, zone and filters', async () => {
    const r = await api.get(`/reports/funnel?${PERIOD}&as_of=2026-12-31`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      report: 'funnel',
      workspace: 'Демо',
      period: { from: '2026-04-30T21:00:00.000Z', to: '2026-10-31T21:00:00.000Z' },
      as_of: '2026-11-20T12:00:00.000Z',
      as_of_capped: true,
      time_zone: 'Europe/Moscow',
      currency: 'RUB',
      filters: { segment: null, owner: null, channel: null, region: null, team: null },
      by: null,
    });
    expect(r.body.deals_created).toBeGreaterThan(300);
    expect(r.body.stage_conversion.map((s: { stage: string }) => s.stage)).toEqual([
      'Новый лид',
      'Квалификация',
      'Встреча',
      'Демо',
      'КП отправлено',
      'Переговоры',
      'Договор',
    ]);
    for (const k of ['win_rate', 'cohort_win_rate']) {
      expect(r.body[k]).toBeGreaterThanOrEqual(0);
      expect(r.body[k]).toBeLessThanOrEqual(1);
    }
  });

  it('lists exactly the deals behind each figure', async () => {
    const r = (await api.get(`/reports/funnel?${PERIOD}&segment=SMB`)).body;
    const count = async (q: string) => {
      const res = await api.get(`/reports/funnel/deals?${PERIOD}&segment=SMB&${q}&limit=1`);
      expect(res.status, q).toBe(200);
      return res.body.total as number;
    };
    expect(await count('metric=deals_created')).toBe(r.deals_created);
    expect(await count('metric=deals_won')).toBe(r.deals_won);
    expect(await count('metric=deals_lost')).toBe(r.deals_lost);
    expect(await count('metric=open_deals')).toBe(r.open_deals);
    expect(await count('metric=stuck_deals')).toBe(r.stuck_deals);
    const all = (await api.get(`/reports/funnel?${PERIOD}`)).body;
    expect(all.stuck_deals).toBeGreaterThan(0);
    expect((await api.get(`/reports/funnel/deals?${PERIOD}&metric=stuck_deals&limit=1`)).body.total).toBe(all.stuck_deals);
    expect((await count('metric=cohort_won')) / r.deals_created).toBeCloseTo(r.cohort_win_rate, 12);
    for (const s of r.stage_conversion) {
      expect(await count(`metric=stage_entered&stage=${encodeURIComponent(s.stage)}`)).toBe(s.entered);
      expect(await count(`metric=stage_advanced&stage=${encodeURIComponent(s.stage)}`)).toBe(s.advanced);
      expect(await count(`metric=stage_lost&stage=${encodeURIComponent(s.stage)}`)).toBe(s.lost);
    }
    for (const s of r.stage_win_probability) {
      expect(await count(`metric=stage_closed&stage=${encodeURIComponent(s.stage)}`)).toBe(s.closed);
      expect(await count(`metric=stage_won&stage=${encodeURIComponent(s.stage)}`)).toBe(s.won);
    }
    const page = await api.get(`/reports/funnel/deals?${PERIOD}&segment=SMB&metric=open_deals&limit=5`);
    expect(page.body.items).toHaveLength(Math.min(5, r.open_deals));
    const item = page.body.items[0];
    expect(Object.keys(item).sort()).toEqual(
      [
        'amount',
        'channel',
        'created_at',
        'cycle_days',
        'days_in_stage',
        'deal_id',
        'entered_at',
        'owner',
        'region',
        'segment',
        'stage',
        'title',
      ].sort(),
    );
    expect(item.cycle_days).toBeNull(); // only a closing visit has a cycle
    expect(item.segment).toBe('SMB');
    const amounts = page.body.items.map((i: { amount: number }) => i.amount);
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
  });

  it('refuses bad parameters with the parameter named', async () => {
    const cases: [string, string][] = [
      ['from=2026-05-01', 'to'],
      [`${PERIOD}&by=colour`, 'by'],
      [`${PERIOD}&owner=Никто`, 'owner'],
      ['from=2026-13-01&to=2026-11-01', 'from'],
      [`${PERIOD}&as_of=yesterday`, 'as_of'],
      [`${PERIOD}&pipeline=Нет такой`, 'pipeline'],
    ];
    for (const [q, field] of cases) {
      const r = await api.get(`/reports/funnel?${q}`);
      expect(r.status, q).toBe(400);
      expect(
        r.body.error.fields.map((f: { field: string }) => f.field),
        q,
      ).toContain(field);
    }
    const noStage = await api.get(`/reports/funnel/deals?${PERIOD}&metric=stage_entered`);
    expect(noStage.status).toBe(400);
    expect(noStage.body.error.fields[0].field).toBe('stage');
  });

  it('breaks down by owner, segment, channel, region, team and month with groups adding up', async () => {
    for (const by of ['owner', 'segment', 'channel', 'region', 'month']) {
      const r = (await api.get(`/reports/funnel?${PERIOD}&by=${by}`)).body;
      expect(r.by).toBe(by);
      expect(r.groups.length).toBeGreaterThan(1);
      for (const k of ['deals_created', 'deals_won', 'deals_lost']) {
        expect(
          r.groups.reduce((s: number, g: Record<string, number>) => s + g[k], 0),
          `${by} ${k}`,
        ).toBe(r.total[k]);
      }
      expect(r.groups.reduce((s: number, g: { won_amount: number }) => s + g.won_amount, 0)).toBeCloseTo(r.total.won_amount, 6);
    }
  });
});
