import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../src/imports/bundle-import.ts';
import { parseAmountMinor } from '../../src/imports/values.ts';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { AppError } from '../../src/platform/errors.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { BUNDLE_PIPELINE, dealRow, writeBundle } from '../support/bundle.ts';
import { type ApiClient, apiClient, type Harness, startHarness } from '../support/harness.ts';

/**
 * Money in its currency's decimals (issue 15.4): a yen has no minor unit, a Kuwaiti dinar has
 * 1000 fils. Amounts go in through the bundle, are stored as integer minor units, and come out of
 * the reports and the drill-down in major units — never multiplied or divided by 100.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clockAt: '2025-06-01T00:00:00Z' });
});
afterAll(async () => {
  await h?.close();
});

const PERIOD = 'from=2025-01-01&to=2025-06-01';

/** Four deals: two won and one lost after «Встреча», one open in «Встреча». */
function bundle(currency: string, name: string, amounts: [won1: string, won2: string, lost: string, open: string]) {
  const at = (d: string) => `2025-${d}T10:00:00+03:00`;
  const path = (id: string, end: string | null) => [
    [id, 'Новый лид', at('01-10')],
    [id, 'Квалификация', at('01-20')],
    [id, 'Встреча', at('02-01')],
    ...(end ? [[id, end, at('03-01')]] : []),
  ];
  return writeBundle({
    pipeline: { ...BUNDLE_PIPELINE, name, currency },
    deals: [
      dealRow('W1', { amount: amounts[0] }),
      dealRow('W2', { amount: amounts[1] }),
      dealRow('L1', { amount: amounts[2] }),
      dealRow('O1', { amount: amounts[3] }),
    ],
    events: [
      ...path('W1', 'Успешно реализовано'),
      ...path('W2', 'Успешно реализовано'),
      ...path('L1', 'Закрыто и не реализовано'),
      ...path('O1', null),
    ],
  });
}

async function adminApi(workspace: string): Promise<{ ws: number; api: ApiClient }> {
  const [{ ws }] = await h.db.query<{ ws: number }>(sql`select workspace_id as ws from workspaces where name = ${workspace}`);
  const userId = await addUser(h.db, ws, { name: 'Админ', email: `admin@${ws}.test`, role: 'admin' }, h.clock.now());
  return { ws, api: apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: ws, userId }, { name: 't' })).token) };
}

async function importError(dir: string): Promise<AppError> {
  const err = await importBundle(h.db, dir, { now: h.clock.now() }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

async function minorOf(ws: number, externalId: string): Promise<{ id: number; amount_minor: number; currency: string }> {
  const [d] = await h.db.query<{ id: number; amount_minor: number; currency: string }>(
    sql`select id, amount_minor, currency from deals where workspace_id = ${ws} and external_id = ${externalId}`,
  );
  return d;
}

async function checkReports(api: ApiClient, want: { won: number; avgWon: number; open: number; openMinor: number; wonItems: number[] }) {
  const r = await api.get(`/reports/funnel?${PERIOD}`);
  expect(r.status).toBe(200);
  expect(r.body.deals_won).toBe(2);
  expect(r.body.won_amount).toBe(want.won);
  expect(r.body.avg_won_amount).toBe(want.avgWon);
  expect(r.body.open_amount).toBe(want.open);
  const p = r.body.stage_win_probability.find((s: { stage: string }) => s.stage === 'Встреча').p as number;
  expect(p).toBeGreaterThan(0);
  expect(r.body.weighted_pipeline).toBeCloseTo(want.open * p, 9);
  const drill = await api.get(`/reports/funnel/deals?${PERIOD}&metric=deals_won`);
  expect(drill.status).toBe(200);
  expect(drill.body.items.map((i: { amount: number }) => i.amount)).toEqual(want.wonItems);
  const open = await api.get(`/reports/funnel/deals?${PERIOD}&metric=open_deals`);
  expect(open.body.items.map((i: { amount: number }) => i.amount)).toEqual([want.open]);
  // The board sums minor units, as the deal does.
  const board = await api.get('/board');
  expect(board.status).toBe(200);
  expect(board.body.columns.find((c: { name: string }) => c.name === 'Встреча').amount_minor).toBe(want.openMinor);
}

describe('JPY: no minor unit', () => {
  it('imports whole yen as they are, and the reports answer yen', async () => {
    // Canonical (SQL path) and Russian-formatted (JavaScript path) amounts in the same file.
    const r = await importBundle(h.db, bundle('JPY', 'Токио', ['1500000', '2 500 000', '300000', '800000 JPY']), { now: h.clock.now() });
    expect(r.deals_created).toBe(4);
    const { ws, api } = await adminApi('Токио');
    const w1 = await minorOf(ws, 'W1');
    expect(w1).toMatchObject({ amount_minor: 1_500_000, currency: 'JPY' });
    expect((await minorOf(ws, 'W2')).amount_minor).toBe(2_500_000);
    expect((await minorOf(ws, 'O1')).amount_minor).toBe(800_000);
    // The deal's JSON keeps minor units (for the yen, the same number).
    const deal = await api.get(`/deals/${w1.id}`);
    expect(deal.body).toMatchObject({ amount_minor: 1_500_000, currency: 'JPY' });
    await checkReports(api, { won: 4_000_000, avgWon: 2_000_000, open: 800_000, openMinor: 800_000, wonItems: [2_500_000, 1_500_000] });
  });

  it.each(['1500.5', '1 500,5'])('refuses a fraction of a yen (%j) with its file, line and column, in both languages', async (amount) => {
    const err = await importError(bundle('JPY', 'Токио', ['1500000', amount, '300000', '800000']));
    expect(err.details).toMatchObject({ file: 'deals.csv', line: 3, column: 'amount', value: amount });
    expect(err.msg.en).toBe(`deals.csv, line 3, column amount: "${amount}" has decimals, and JPY has no minor unit ("${amount}")`);
    expect(err.msg.ru).toBe(
      `deals.csv, строка 3, столбец amount: в «${amount}» есть дробная часть, а у JPY нет дробных единиц ("${amount}")`,
    );
  });
});

describe('KWD: three decimals', () => {
  it('imports fils exactly, and the reports answer dinars with three decimals', async () => {
    const r = await importBundle(h.db, bundle('KWD', 'Кувейт', ['1234.567', '2 000,001', '10.5', '0.125']), { now: h.clock.now() });
    expect(r.deals_created).toBe(4);
    const { ws, api } = await adminApi('Кувейт');
    const w1 = await minorOf(ws, 'W1');
    expect(w1).toMatchObject({ amount_minor: 1_234_567, currency: 'KWD' });
    expect((await minorOf(ws, 'W2')).amount_minor).toBe(2_000_001);
    expect((await minorOf(ws, 'L1')).amount_minor).toBe(10_500);
    expect((await minorOf(ws, 'O1')).amount_minor).toBe(125);
    const deal = await api.get(`/deals/${w1.id}`);
    expect(deal.body).toMatchObject({ amount_minor: 1_234_567, currency: 'KWD' });
    await checkReports(api, { won: 3234.568, avgWon: 1617.284, open: 0.125, openMinor: 125, wonItems: [2000.001, 1234.567] });
  });

  it.each(['1.2345', '1,2345'])('refuses a fraction of a fils (%j)', async (amount) => {
    const err = await importError(bundle('KWD', 'Кувейт', ['1234.567', amount, '10.5', '0.125']));
    expect(err.details).toMatchObject({ file: 'deals.csv', line: 3, column: 'amount', value: amount });
    expect(err.msg.en).toBe(`deals.csv, line 3, column amount: "${amount}" has more than three decimals, as many as KWD has ("${amount}")`);
    expect(err.msg.ru).toBe(
      `deals.csv, строка 3, столбец amount: в «${amount}» больше трёх знаков после запятой, а у KWD их три ("${amount}")`,
    );
  });

  it('refuses a lone comma before three digits: a thousands separator or fils, guessing would corrupt money', async () => {
    const err = await importError(bundle('KWD', 'Кувейт', ['1234.567', '12,345', '10.5', '0.125']));
    expect(err.details).toMatchObject({ file: 'deals.csv', line: 3, column: 'amount', value: '12,345' });
    expect(err.msg.en).toMatch(/"12,345" is ambiguous in KWD: write 12\.345 .* or 12345/);
    expect(err.msg.ru).toMatch(/«12,345» неоднозначно для KWD: напишите 12\.345, .* или 12345/);
  });
});

describe('currency codes', () => {
  it.each(['ABC', 'XAU', 'XXX'])('refuses a pipeline.json in %s, a code that is no currency with minor units', async (currency) => {
    const err = await importError(bundle(currency, `Код ${currency}`, ['1', '2', '3', '4']));
    expect(err.details).toMatchObject({ file: 'pipeline.json' });
    expect(err.msg.en).toMatch(new RegExp(`"${currency}" is not an ISO 4217 currency code`));
    expect(err.msg.ru).toMatch(new RegExp(`«${currency}» — не код валюты ISO 4217`));
  });

  it('parses amounts as before for two-decimal currencies', () => {
    for (const currency of [undefined, 'RUB', 'USD', 'EUR']) {
      expect(parseAmountMinor('1 234,56', currency)).toEqual({ ok: true, value: 123_456 });
      expect(parseAmountMinor('12,5', currency)).toEqual({ ok: true, value: 1250 });
      const r = parseAmountMinor('12,345', currency);
      expect(r).toEqual({ ok: false, en: '"12,345" has more than two decimals', ru: 'в «12,345» больше двух знаков после запятой' });
    }
  });
});
