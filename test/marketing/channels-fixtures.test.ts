import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFunnelQuery } from '../../src/analytics/funnel-query.ts';
import { funnelReport } from '../../src/analytics/funnel-report.ts';
import { importBundle } from '../../src/imports/bundle-import.ts';
import { ATTRIBUTION_MODELS, type ChannelsReport, channelsReport } from '../../src/marketing/channels-report.ts';
import { checkMarketing } from '../../src/marketing/check-marketing.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { AppError } from '../../src/platform/errors.ts';
import { LEADS, marketingBundle, SPEND, TOUCHES } from '../support/marketing-fixture.ts';
import { openTestDb } from '../support/test-db.ts';

let db: Db;
let ws: number;
const now = new Date('2026-01-01T00:00:00Z');
beforeAll(async () => {
  db = await openTestDb();
  const r = await importBundle(db, marketingBundle(), { workspace: 'Маркетинг', now });
  expect(r.marketing).toMatchObject({
    leads_in_file: 8,
    leads_created: 8,
    leads_converted: 6,
    touches_in_file: 5,
    touches_added: 5,
    spend_in_file: 5,
    spend_created: 5,
    icp_version: 1,
    icp_changed: true,
    new_channels: ['Вебинары', 'Реклама'],
  });
  const [w] = await db.query<{ workspace_id: number }>(`select workspace_id from workspaces where name = 'Маркетинг'`);
  ws = Number(w.workspace_id);
});
afterAll(async () => {
  await db?.close();
});

async function report(params: { from: string; to: string; as_of?: string }): Promise<ChannelsReport> {
  return inWorkspace(db, ws, async (tx) => channelsReport(tx, await resolveFunnelQuery(tx, ws, params, now)));
}
const group = (r: ChannelsReport, key: string | null) => {
  const g = r.groups.find((x) => x.key === key);
  if (!g) throw new Error(`no group ${key}`);
  const { key: _k, key_id: _i, kind: _kind, ...kpis } = g;
  return kpis;
};

describe('the channels report on named leads (kpi.md "Marketing ↔ sales")', () => {
  it('gives every key exactly, per channel and in total', async () => {
    const r = await report({ from: '2025-01-01', to: '2025-02-01', as_of: '2025-03-01' });
    expect(r.icp).toEqual({ version: 1, threshold: 50 });
    expect(group(r, 'Вебинары')).toEqual({
      leads: 3,
      opportunities: 2,
      lead_to_opportunity: 2 / 3,
      won: 1,
      won_amount: 900,
      spend: 600,
      cost_per_lead: 200,
      cost_per_opportunity: 300,
      cost_per_won: 600,
      icp_share: 2 / 3,
    });
    expect(group(r, 'Выставки')).toEqual({
      leads: 2,
      opportunities: 2,
      lead_to_opportunity: 1,
      won: 2,
      won_amount: 1400,
      spend: 0,
      cost_per_lead: 0,
      cost_per_opportunity: 0,
      cost_per_won: 0,
      icp_share: 0,
    });
    expect(group(r, 'Сайт')).toEqual({
      leads: 2,
      opportunities: 1,
      lead_to_opportunity: 0.5,
      won: 0,
      won_amount: 0,
      spend: 1200,
      cost_per_lead: 600,
      cost_per_opportunity: 1200,
      cost_per_won: null,
      icp_share: 0,
    });
    // Spend and no lead in the period: its row, with no rate.
    expect(group(r, 'Реклама')).toEqual({
      leads: 0,
      opportunities: 0,
      lead_to_opportunity: null,
      won: 0,
      won_amount: 0,
      spend: 300,
      cost_per_lead: null,
      cost_per_opportunity: null,
      cost_per_won: null,
      icp_share: null,
    });
    const { attribution, ...total } = r.total;
    // The total counts D1 once although three leads of two channels brought it.
    expect(total).toEqual({
      leads: 7,
      opportunities: 5,
      lead_to_opportunity: 5 / 7,
      won: 2,
      won_amount: 1400,
      spend: 2100,
      cost_per_lead: 300,
      cost_per_opportunity: 420,
      cost_per_won: 1050,
      icp_share: 2 / 7,
    });
    // D1: Вебинары, Сайт, Вебинары before its closing (the touch at the closing instant and the one after are not);
    // D2: no touch, its own channel Выставки.
    expect(attribution.first_touch).toEqual({ Вебинары: 900, Выставки: 500 });
    expect(attribution.last_touch).toEqual({ Вебинары: 900, Выставки: 500 });
    expect(attribution.linear.Вебинары).toBeCloseTo(600, 9);
    expect(attribution.linear.Сайт).toBeCloseTo(300, 9);
    expect(attribution.linear.Выставки).toBe(500);
    expect(attribution.position_based.Вебинары).toBeCloseTo(720, 9);
    expect(attribution.position_based.Сайт).toBeCloseTo(180, 9);
    expect(attribution.position_based.Выставки).toBe(500);
  });

  it('adds up, under every model, to the funnel’s won_amount for the same request', async () => {
    for (const p of [
      { from: '2025-01-01', to: '2025-02-01', as_of: '2025-03-01' },
      { from: '2025-01-01', to: '2025-02-01', as_of: '2025-01-22' },
      { from: '2025-01-21', to: '2025-03-01' },
    ]) {
      const r = await report(p);
      const f = await inWorkspace(db, ws, async (tx) => funnelReport(tx, await resolveFunnelQuery(tx, ws, p, now)));
      const won = 'groups' in f ? f.total.won_amount : f.won_amount;
      for (const m of ATTRIBUTION_MODELS) {
        const sum = Object.values(r.total.attribution[m]).reduce((a, b) => a + b, 0);
        expect(sum, `${m} ${JSON.stringify(p)}`).toBeCloseTo(won, 6);
      }
    }
  });

  it('as of an earlier instant shows only what was visible then', async () => {
    const r = await report({ from: '2025-01-01', to: '2025-02-01', as_of: '2025-01-22' });
    const { attribution, ...total } = r.total;
    // L5 (30.01) is not visible yet; D1 is not won yet, D2 is.
    expect(total).toEqual({
      leads: 6,
      opportunities: 5,
      lead_to_opportunity: 5 / 6,
      won: 1,
      won_amount: 500,
      spend: 2100,
      cost_per_lead: 350,
      cost_per_opportunity: 420,
      cost_per_won: 2100,
      icp_share: 1 / 6,
    });
    expect(attribution.first_touch).toEqual({ Выставки: 500 });
  });

  it('keeps each lead’s score and the rules it matched, and rescoring follows a change of the rules', async () => {
    const scores = await db.query<{ external_id: string; fit_score: number; icp_version: number; icp_matched: number[] }>(
      `select external_id, fit_score, icp_version, icp_matched from leads where workspace_id = ${ws} order by external_id`,
    );
    expect(Object.fromEntries(scores.map((s) => [s.external_id, [s.fit_score, s.icp_matched]]))).toEqual({
      L1_three_touches: [70, [0, 1, 2]],
      L2_no_touches: [-20, [3]],
      L3_lost: [30, [0]],
      L4_converted_after_as_of: [40, [1, 2]],
      L5_fits_no_deal: [70, [0, 1, 2]],
      L6_outside_period: [0, []],
      L7_second_lead_of_D1: [0, []],
      L8_other_channel_of_D1: [0, []],
    });
  });

  it('bin/voronka check finds a score that no longer matches the rules', async () => {
    expect((await inWorkspace(db, ws, (tx) => checkMarketing(tx, ws)))[0].problems).toBe(0);
    // A score written behind the trigger's back (the trigger itself would recount it).
    await db.exec('alter table leads disable trigger leads_fit');
    try {
      await db.query(`update leads set fit_score = 99 where workspace_id = ${ws} and external_id = 'L3_lost'`);
    } finally {
      await db.exec('alter table leads enable trigger leads_fit');
    }
    const [r] = await inWorkspace(db, ws, (tx) => checkMarketing(tx, ws));
    expect(r.problems).toBe(1);
    await db.query(`update leads set fit_score = null where workspace_id = ${ws} and external_id = 'L3_lost'`);
    expect((await inWorkspace(db, ws, (tx) => checkMarketing(tx, ws)))[0].problems).toBe(0);
  });

  it('imports the same bundle again without changing anything', async () => {
    const again = await importBundle(db, marketingBundle(), { workspace: 'Маркетинг', now });
    expect(again.changed).toBe(false);
    expect(again.marketing).toMatchObject({
      leads_created: 0,
      leads_updated: 0,
      leads_unchanged: 8,
      touches_added: 0,
      touches_already_present: 5,
      spend_created: 0,
      spend_updated: 0,
      spend_unchanged: 5,
      icp_version: 1,
      icp_changed: false,
      new_channels: [],
    });
  });
});

describe('bad marketing files stop the import with file, line, column and value, and write nothing', () => {
  const cases: [string, Parameters<typeof marketingBundle>[0], RegExp][] = [
    [
      'spend for an unknown channel',
      { spend: [SPEND[0], ['Телевидение', '2025-01', '10']] },
      /spend\.csv, line 2, column channel: no channel "Телевидение"/,
    ],
    ['a month like 2025-13', { spend: [SPEND[0], ['Сайт', '2025-13', '10']] }, /spend\.csv, line 2, column month: .*\("2025-13"\)/],
    ['a negative spend', { spend: [SPEND[0], ['Сайт', '2025-01', '-5']] }, /spend\.csv, line 2, column amount: amount is negative/],
    [
      'a touch without a time zone',
      { touches: [TOUCHES[0], ['L1_three_touches', 'Сайт', '2025-01-07T10:00:00']] },
      /touches\.csv, line 2, column at: .*no time zone/,
    ],
    [
      'a touch that cannot be read',
      { touches: [TOUCHES[0], ['L1_three_touches', 'Сайт', 'вчера']] },
      /touches\.csv, line 2, column at: .*not an instant/,
    ],
    [
      'a touch of a lead that does not exist',
      { touches: [TOUCHES[0], ['L99', 'Сайт', '2025-01-07T10:00:00+03:00']] },
      /touches\.csv, line 2, column lead_id: no lead "L99"/,
    ],
    [
      'a lead whose deal_id names no deal',
      { leads: [LEADS[0], ['L1', '2025-01-05T09:00:00+03:00', 'Сайт', '', '', '', '', '', 'D99']] },
      /leads\.csv, line 2, column deal_id: no deal "D99"/,
    ],
    [
      'ICP rules with an unknown field',
      { icp: { threshold: 1, rules: [{ field: 'revenue', in: ['x'], points: 1 }] } },
      /icp\.json, column rules\.0\.field: unknown field "revenue"/,
    ],
    [
      'ICP rules with min > max',
      { icp: { threshold: 1, rules: [{ field: 'employees', min: 10, max: 5, points: 1 }] } },
      /column rules\.0\.min: min 10 is greater than max 5/,
    ],
    [
      'ICP points outside −100…100',
      { icp: { threshold: 1, rules: [{ field: 'region', in: ['Москва'], points: 101 }] } },
      /column rules\.0\.points: points 101 are outside −100…100/,
    ],
  ];
  it.each(cases)('%s', async (_name, over, message) => {
    const fresh = await openTestDb();
    try {
      const e = await importBundle(fresh, marketingBundle(over), { workspace: 'Плохой', now }).catch((x) => x);
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).msg.en).toMatch(message);
      const [n] = await fresh.query<{ n: number }>(
        `select (select count(*) from workspaces) + (select count(*) from leads) + (select count(*) from marketing_spend) as n`,
      );
      expect(Number(n.n)).toBe(0);
    } finally {
      await fresh.close();
    }
  });
});
