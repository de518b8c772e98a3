import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import type { Role } from '../../src/platform/auth/roles.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace } from './harness.ts';

/**
 * The named accounts fixture of kpi.md "Key accounts and service", entered through the API as a
 * team would. Period [2025-01-01, 2025-07-01) in Europe/Moscow. Money in roubles (MRR × 100 in
 * kopecks). Each company is one named case:
 *   Альфа   — renewed at exactly +31 days after its end (counts as renewed)
 *   Бета    — renewed at +32 days (does not count)
 *   Гамма   — renewed with expansion (3 000 → 4 500)
 *   Дельта  — churns on the period's last day (its contract ends 2025-06-30)
 *   Эпсилон — its only contract ends exactly at `to` (2025-07-01): churned, but not "ending in the period"
 *   Ипсилон — two product groups at the end (cross-sell, expansion 1 000 → 1 500)
 *   Зета    — a new account (from 2025-02-01)
 *   Эта     — renewed with contraction (2 000 → 1 200), the renewal owned by the other manager
 *   Тета    — starts after as-of (invisible)
 * Cases: by service and by a seller, one of a company without contracts, one before and one at the
 * period's bounds.
 */

export interface AccountsFixture {
  w: SeededWorkspace;
  users: Record<'kam1' | 'kam2' | 'seller' | 'service', { id: number; api: ApiClient }>;
  companies: Record<string, number>;
  contracts: Record<string, number>;
  groups: Record<string, number>;
  cases: Record<string, number>;
  deals: number[];
}

const rub = (v: number) => v * 100;

export async function buildAccountsFixture(h: Harness): Promise<AccountsFixture> {
  h.clock.set('2024-01-01T09:00:00Z');
  const w = await seedWorkspace(h, 'Клиенты');
  const users = {} as AccountsFixture['users'];
  const roles: Record<keyof AccountsFixture['users'], Role> = { kam1: 'manager', kam2: 'manager', seller: 'manager', service: 'service' };
  const names = { kam1: 'Ирина Ключевая', kam2: 'Олег Аккаунтов', seller: 'Пётр Продавцов', service: 'Сервис Сервисов' };
  for (const [k, role] of Object.entries(roles) as [keyof AccountsFixture['users'], Role][]) {
    const id = await addUser(
      h.db,
      w.ws,
      { name: names[k], email: `${k}@acc.test`, role, password: 'correct horse battery' },
      h.clock.now(),
    );
    users[k] = { id, api: apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: id }, { name: 't' })).token) };
  }
  const ok = async <T = { id: number; version: number }>(p: Promise<{ status: number; body: unknown }>): Promise<T> => {
    const r = await p;
    if (r.status >= 300) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
    return r.body as T;
  };
  const groups: Record<string, number> = {};
  for (const [i, name] of ['Лицензии', 'Поддержка'].entries())
    groups[name] = (await ok(w.api.post('/product-groups', { name, position: i, active: true }))).id;
  const companies: Record<string, number> = {};
  // The seller works with three of them (he sees their cards, so he can log their cases).
  const sellers = new Set(['Альфа', 'Зета', 'Без договора']);
  for (const name of ['Альфа', 'Бета', 'Гамма', 'Дельта', 'Эпсилон', 'Ипсилон', 'Зета', 'Эта', 'Тета', 'Без договора'])
    companies[name] = (await ok(w.api.post('/companies', { name, ...(sellers.has(name) ? { owner_id: users.seller.id } : {}) }))).id;
  const settings = await ok<{ version: number }>(w.api.get('/accounts/settings'));
  await ok(
    w.api.raw('/accounts/settings', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ gross_margin: 0.7, version: settings.version }),
    }),
  );

  const contracts: Record<string, number> = {};
  const add = async (key: string, company: string, group: string, start: string, end: string, mrr: number, owner: 'kam1' | 'kam2') =>
    (contracts[key] = (
      await ok(
        w.api.post('/contracts', {
          company_id: companies[company],
          product_group_id: groups[group],
          start_date: start,
          end_date: end,
          mrr_minor: rub(mrr),
          owner_id: users[owner].id,
        }),
      )
    ).id);
  await add('A1', 'Альфа', 'Лицензии', '2024-07-01', '2025-03-01', 1000, 'kam1');
  await add('A2', 'Альфа', 'Лицензии', '2025-04-01', '2026-04-01', 1000, 'kam1');
  await add('B1', 'Бета', 'Лицензии', '2024-06-01', '2025-02-01', 2000, 'kam1');
  await add('B2', 'Бета', 'Лицензии', '2025-03-05', '2026-03-05', 2000, 'kam1');
  await add('C1', 'Гамма', 'Лицензии', '2024-05-01', '2025-05-01', 3000, 'kam1');
  const c1 = await ok<{ version: number }>(w.api.get(`/contracts/${contracts.C1}`));
  // Renewed with a change, from the ending contract, as the key-account manager does it.
  contracts.C2 = (await ok(w.api.post(`/contracts/${contracts.C1}/renew`, { version: c1.version, mrr_minor: rub(4500) }))).id;
  await add('D1', 'Дельта', 'Лицензии', '2024-07-01', '2025-06-30', 5000, 'kam1');
  await add('E1', 'Эпсилон', 'Лицензии', '2024-07-01', '2025-07-01', 800, 'kam2');
  await add('F1', 'Ипсилон', 'Лицензии', '2024-01-01', '2026-01-01', 1000, 'kam2');
  await add('F2', 'Ипсилон', 'Поддержка', '2025-03-01', '2026-03-01', 500, 'kam2');
  await add('G1', 'Зета', 'Поддержка', '2025-02-01', '2026-02-01', 700, 'kam2');
  await add('H1', 'Эта', 'Лицензии', '2024-03-01', '2025-03-01', 2000, 'kam2');
  await add('H2', 'Эта', 'Лицензии', '2025-03-01', '2026-03-01', 1200, 'kam1');
  await add('I1', 'Тета', 'Лицензии', '2025-08-01', '2026-08-01', 9000, 'kam2');

  // Two deals won in the period (the denominator of cases_per_100_won), one per manager.
  const deals: number[] = [];
  for (const [owner, at] of [
    ['kam1', '2025-03-10T10:00:00Z'],
    ['kam2', '2025-05-10T10:00:00Z'],
  ] as const) {
    h.clock.set(at);
    const d = await ok(
      w.api.post('/deals', {
        title: `Сделка ${owner}`,
        company_id: companies.Альфа,
        owner_id: users[owner].id,
        amount_minor: rub(100_000),
      }),
    );
    await ok(w.api.post(`/deals/${d.id}/move`, { stage_id: w.stage('Успешно реализовано').id, version: d.version }));
    deals.push(d.id);
  }
  h.clock.set('2026-01-10T09:00:00Z');

  const cases: Record<string, number> = {};
  const log = async (key: string, who: 'seller' | 'service', body: Record<string, unknown>) =>
    (cases[key] = (await ok(users[who].api.post('/cases', { title: key, ...body }))).id);
  await log('k1', 'service', {
    kind: 'complaint',
    company_id: companies.Дельта,
    opened_at: '2025-02-10T10:00:00+03:00',
    status: 'resolved',
    closed_at: '2025-02-12T10:00:00+03:00',
  });
  await log('k2', 'seller', {
    kind: 'complaint',
    company_id: companies.Альфа,
    opened_at: '2025-03-01T12:00:00+03:00',
    status: 'resolved',
    closed_at: '2025-03-01T13:00:00+03:00',
  });
  await log('k3', 'service', { kind: 'claim', company_id: companies.Дельта, opened_at: '2025-05-20T09:00:00+03:00' });
  await log('k4', 'seller', {
    kind: 'question',
    company_id: companies.Зета,
    opened_at: '2025-06-30T23:30:00+03:00',
    status: 'resolved',
    closed_at: '2025-07-02T10:00:00+03:00',
  });
  await log('k5', 'seller', {
    kind: 'praise',
    company_id: companies['Без договора'],
    opened_at: '2025-04-01T00:00:00+03:00',
    status: 'resolved',
    closed_at: '2025-04-04T12:00:00+03:00',
  });
  await log('k6', 'service', { kind: 'complaint', company_id: companies.Бета, opened_at: '2024-12-31T23:59:00+03:00' });
  await log('k7', 'service', { kind: 'question', company_id: companies.Бета, opened_at: '2025-07-01T00:00:00+03:00' });
  return { w, users, companies, contracts, groups, cases, deals };
}
