import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { printAccounts } from '../../src/cli/accounts-command.ts';
import { type AccountsFixture, buildAccountsFixture } from '../support/accounts-fixture.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * The accounts report on the named fixture (test/support/accounts-fixture.ts), every key checked
 * against values worked out by hand from kpi.md "Key accounts and service".
 */

let h: Harness;
let f: AccountsFixture;
const PERIOD = 'from=2025-01-01&to=2025-07-01';
const close = (a: number | null, b: number) => {
  expect(a).not.toBeNull();
  expect(Math.abs((a as number) - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
};

beforeAll(async () => {
  h = await startHarness();
  f = await buildAccountsFixture(h);
});
afterAll(async () => {
  await h?.close();
});

describe('the accounts report on the named fixture', () => {
  it('gives every key of the whole period exactly', async () => {
    const r = await f.w.api.get(`/reports/accounts?${PERIOD}`);
    expect(r.status).toBe(200);
    const k = r.body;
    expect(k.report).toBe('accounts');
    expect(k.gross_margin).toBe(0.7);
    // Ending in [from, to): A1, B1, C1, D1, H1 (E1 ends at `to`, outside); renewed A1 (+31), C1, H1 — not B1 (+32), not D1.
    expect(k.contracts_ending).toBe(5);
    expect(k.contracts_renewed).toBe(3);
    expect(k.renewal_rate).toBe(0.6);
    // Active at t0: А, Б, Г, Д, Э(псилон), И(псилон), Эта; at t1: А, Б, Г, Ипсилон, Зета, Эта.
    expect(k.accounts_start).toBe(7);
    expect(k.accounts_end).toBe(6);
    expect(k.logo_churn_rate).toBe(2 / 7);
    expect(k.start_mrr).toBe(14_800);
    expect(k.churned_mrr).toBe(5_800);
    expect(k.contraction_mrr).toBe(800);
    expect(k.expansion_mrr).toBe(2_000);
    expect(k.revenue_churn_rate).toBe(6_600 / 14_800);
    expect(k.nrr).toBe(10_200 / 14_800);
    expect(k.new_accounts).toBe(1);
    expect(k.new_mrr).toBe(700);
    expect(k.cross_sell_rate).toBe(1 / 6);
    expect(k.end_mrr).toBe(10_900);
    // LTV = (10 900 / 6) × 0.7 / (revenue churn × 30.436875 / 181 days).
    close(k.ltv, ((10_900 / 6) * 0.7) / (((6_600 / 14_800) * 30.436875) / 181));
    expect(k.deals_won).toBe(2);
    expect(k.cases_opened).toEqual({ complaint: 2, claim: 1, question: 1, praise: 1 });
    expect(k.cases_per_100_won).toEqual({ complaint: 100, claim: 50, question: 50, praise: 50 });
    expect(k.cases_by_recorder).toEqual({
      service: { complaint: 1, claim: 1, question: 0, praise: 0 },
      sales: { complaint: 1, claim: 0, question: 1, praise: 1 },
    });
    // Closed before as-of: k1 (2 days), k2 (1 hour), k5 (3.5 days); k4 closed after as-of.
    expect(k.case_resolution_days.n).toBe(3);
    close(k.case_resolution_days.median, 2);
    close(k.case_resolution_days.p90, 2 + 0.8 * 1.5);
  });

  it('holds NRR = (start + expansion − contraction − churned) / start and the MRR bridge', async () => {
    for (const q of [PERIOD, `${PERIOD}&as_of=2025-04-15T00:00:00%2B03:00`, 'from=2024-07-01&to=2025-12-01']) {
      const k = (await f.w.api.get(`/reports/accounts?${q}`)).body;
      close(k.nrr, (k.start_mrr + k.expansion_mrr - k.contraction_mrr - k.churned_mrr) / k.start_mrr);
      close(k.end_mrr, k.start_mrr + k.new_mrr + k.expansion_mrr - k.contraction_mrr - k.churned_mrr);
    }
  });

  it('travels in time: as of 15.04.2025 the later renewals are not there yet', async () => {
    const k = (await f.w.api.get(`/reports/accounts?${PERIOD}&as_of=2025-04-15T00:00:00%2B03:00`)).body;
    // C2 (from 01.05) is not visible: C1 ends in the period but is not (yet) renewed.
    expect(k.contracts_ending).toBe(5);
    expect(k.contracts_renewed).toBe(2);
    expect(k.accounts_end).toBe(8);
    expect(k.logo_churn_rate).toBe(0);
    expect(k.start_mrr).toBe(14_800);
    expect(k.churned_mrr).toBe(0);
    expect(k.contraction_mrr).toBe(800);
    expect(k.expansion_mrr).toBe(500);
    expect(k.nrr).toBe(14_500 / 14_800);
    expect(k.new_accounts).toBe(1);
    expect(k.end_mrr).toBe(15_200);
    expect(k.cross_sell_rate).toBe(1 / 8);
    expect(k.cases_opened).toEqual({ complaint: 2, claim: 0, question: 0, praise: 1 });
    expect(k.deals_won).toBe(1);
  });

  it('gives null account keys when as-of is not after from, but still counts nothing as cases', async () => {
    const k = (await f.w.api.get('/reports/accounts?from=2025-01-01&to=2025-07-01&as_of=2025-01-01T00:00:00%2B03:00')).body;
    for (const key of ['contracts_ending', 'renewal_rate', 'accounts_start', 'start_mrr', 'nrr', 'cross_sell_rate', 'ltv', 'end_mrr'])
      expect(k[key], key).toBeNull();
    expect(k.cases_opened).toEqual({ complaint: 0, claim: 0, question: 0, praise: 0 });
    expect(k.cases_per_100_won.complaint).toBeNull();
  });

  it('groups by the owner of the latest-starting contract; cases of companies without one under null', async () => {
    const r = (await f.w.api.get(`/reports/accounts?${PERIOD}&by=owner`)).body;
    const by = Object.fromEntries(r.groups.map((g: { key: string | null }) => [g.key ?? 'null', g]));
    expect(Object.keys(by).sort()).toEqual(['null', 'Ирина Ключевая', 'Олег Аккаунтов'].sort());
    const kam1 = by['Ирина Ключевая'];
    // Альфа, Бета, Гамма, Дельта and Эта (whose latest contract H2 is Ирина's).
    expect([kam1.accounts_start, kam1.accounts_end, kam1.start_mrr, kam1.churned_mrr, kam1.contraction_mrr, kam1.expansion_mrr]).toEqual([
      5, 4, 13_000, 5_000, 800, 1_500,
    ]);
    expect([kam1.contracts_ending, kam1.contracts_renewed]).toEqual([5, 3]);
    expect(kam1.cases_opened).toEqual({ complaint: 2, claim: 1, question: 0, praise: 0 });
    expect(kam1.deals_won).toBe(1);
    expect(kam1.cases_per_100_won.claim).toBe(100);
    const kam2 = by['Олег Аккаунтов'];
    expect([kam2.accounts_start, kam2.accounts_end, kam2.start_mrr, kam2.churned_mrr, kam2.expansion_mrr, kam2.new_mrr]).toEqual([
      2, 2, 1_800, 800, 500, 700,
    ]);
    expect(kam2.cross_sell_rate).toBe(0.5);
    expect(kam2.cases_opened).toEqual({ complaint: 0, claim: 0, question: 1, praise: 0 });
    expect(by.null.cases_opened).toEqual({ complaint: 0, claim: 0, question: 0, praise: 1 });
    expect(by.null.accounts_end).toBe(0);
    // The total is the whole workspace's, as without a breakdown.
    const plain = (await f.w.api.get(`/reports/accounts?${PERIOD}`)).body;
    expect(r.total.nrr).toBe(plain.nrr);
    expect(r.total.cases_opened).toEqual(plain.cases_opened);
  });

  it('gives each month its own period', async () => {
    const r = (await f.w.api.get(`/reports/accounts?${PERIOD}&by=month`)).body;
    expect(r.groups.map((g: { key: string }) => g.key)).toEqual(['2025-01', '2025-02', '2025-03', '2025-04', '2025-05', '2025-06']);
    const feb = r.groups[1];
    // February: B1 ends 01.02 (in it), not renewed within 31 days; Зета started at t0, so it is in the base, not new;
    // Альфа is between contracts at 01.03 (A1 ended, A2 starts 01.04): churned as the month's figures see it.
    expect([feb.contracts_ending, feb.contracts_renewed, feb.new_accounts, feb.new_mrr, feb.churned_mrr]).toEqual([1, 0, 0, 0, 1_000]);
    expect([feb.accounts_start, feb.accounts_end]).toEqual([7, 6]);
    const jun = r.groups[5];
    // June: Дельта ends on 30.06 (in June); Эпсилон ends at 01.07, the month's end: both churned at t1 = 01.07.
    expect([jun.contracts_ending, jun.churned_mrr, jun.accounts_start, jun.accounts_end]).toEqual([1, 5_800, 8, 6]);
  });

  it('drills every figure down to what it counts', async () => {
    const ending = (await f.w.api.get(`/reports/accounts/contracts?${PERIOD}&metric=contracts_ending`)).body;
    // By end date: B1 (01.02), A1 and H1 (01.03), C1 (01.05), D1 (30.06).
    expect(ending.items.map((c: { id: number }) => c.id)).toEqual(['B1', 'A1', 'H1', 'C1', 'D1'].map((k) => f.contracts[k]));
    expect(ending.total).toBe(5);
    const renewed = (await f.w.api.get(`/reports/accounts/contracts?${PERIOD}&metric=contracts_renewed`)).body;
    expect(renewed.items.map((c: { id: number }) => c.id).sort()).toEqual(['A1', 'C1', 'H1'].map((k) => f.contracts[k]).sort());
    const churned = (await f.w.api.get(`/reports/accounts/accounts?${PERIOD}&metric=churned`)).body;
    expect(churned.items.map((a: { company: string; mrr_start: number }) => [a.company, a.mrr_start])).toEqual([
      ['Дельта', 5000],
      ['Эпсилон', 800],
    ]);
    const cross = (await f.w.api.get(`/reports/accounts/accounts?${PERIOD}&metric=cross_sell`)).body;
    expect(cross.items.map((a: { company: string }) => a.company)).toEqual(['Ипсилон']);
    const sales = (await f.w.api.get(`/reports/accounts/cases?${PERIOD}&recorder_role=sales`)).body;
    expect(sales.items.map((c: { title: string }) => c.title)).toEqual(['k4', 'k5', 'k2']);
    const resolved = (await f.w.api.get(`/reports/accounts/cases?${PERIOD}&closed=true`)).body;
    expect(resolved.total).toBe(3);
    const none = (await f.w.api.get(`/reports/accounts/cases?${PERIOD}&owner=none`)).body;
    expect(none.items.map((c: { title: string }) => c.title)).toEqual(['k5']);
  });

  it('shows a key-account manager their own accounts only; service sees all', async () => {
    const own = (await f.users.kam1.api.get(`/reports/accounts?${PERIOD}`)).body;
    expect(own.scope).toBe('own');
    expect([own.accounts_start, own.start_mrr, own.deals_won]).toEqual([5, 13_000, 1]);
    expect(own.cases_opened).toEqual({ complaint: 2, claim: 1, question: 0, praise: 0 });
    const drill = (await f.users.kam1.api.get(`/reports/accounts/accounts?${PERIOD}&metric=accounts_start`)).body;
    expect(drill.total).toBe(5);
    const service = await f.users.service.api.get(`/reports/accounts?${PERIOD}`);
    expect(service.status).toBe(200);
    expect(service.body.scope).toBe('all');
    expect(service.body.start_mrr).toBe(14_800);
  });

  it('prints the report in the reader’s language and number format (bin/voronka report accounts)', async () => {
    const r = (await f.w.api.get(`/reports/accounts?${PERIOD}&by=owner`)).body;
    const printed = (lang: string) => {
      const before = process.env.VORONKA_LANG;
      process.env.VORONKA_LANG = lang;
      const out: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        out.push(String(chunk));
        return true;
      });
      try {
        printAccounts(r);
      } finally {
        spy.mockRestore();
        if (before === undefined) delete process.env.VORONKA_LANG;
        else process.env.VORONKA_LANG = before;
      }
      return out.join('');
    };
    const ru = printed('ru');
    expect(ru).toContain('валовая маржа 0,7');
    expect(ru).toMatch(/MRR в начале\s+13\s000\s₽\s+1\s800\s₽\s+0\s₽\s+14\s800\s₽/u);
    expect(ru).toMatch(/продления \(продлено \/ заканчивалось\)\s+60\s% \(3 \/ 5\)\s+— \(0 \/ 0\)\s+— \(0 \/ 0\)\s+60\s% \(3 \/ 5\)/u);
    expect(ru).toMatch(/жалобы\s+2\s+100\s+1\s+1/u);
    const en = printed('en');
    expect(en).toContain('gross margin 0.7');
    expect(en).toMatch(/NRR\s+66\.9%\s+83\.3%\s+—\s+68\.9%/u);
  });
});
