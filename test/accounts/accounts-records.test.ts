import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAccounts } from '../../src/accounts/check-accounts.ts';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import type { Role } from '../../src/platform/auth/roles.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import {
  type ApiClient,
  apiClient,
  countRows,
  type Harness,
  type SeededWorkspace,
  seedWorkspace,
  startHarness,
} from '../support/harness.ts';

/**
 * Contracts, renewals, churn, renewal tasks and service cases through the API: the ugly input of
 * issue 19 (each with the field it names and nothing written), 409 on stale versions, the renewal
 * task on every path that changes a contract, and the role rules.
 */

let h: Harness;
let w: SeededWorkspace;
const as: Partial<Record<Role | 'manager2', { id: number; api: ApiClient }>> = {};
let company: number;
let other: number;
let group: number;
let reason: number;

const put = (c: ApiClient, path: string, body: unknown) =>
  c.raw(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const contract = (over: Record<string, unknown> = {}) => ({
  company_id: company,
  product_group_id: group,
  start_date: '2025-03-02',
  end_date: '2026-03-02',
  mrr_minor: 1_000_000,
  ...over,
});

beforeAll(async () => {
  h = await startHarness({ clockAt: '2026-01-10T09:00:00Z' });
  w = await seedWorkspace(h, 'Договоры');
  for (const role of ['manager', 'manager2', 'marketer', 'service'] as const) {
    const id = await addUser(
      h.db,
      w.ws,
      { name: role, email: `${role}@rec.test`, role: role === 'manager2' ? 'manager' : role, password: 'correct horse battery' },
      h.clock.now(),
    );
    as[role] = { id, api: apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: id }, { name: 't' })).token) };
  }
  company = (await w.api.post('/companies', { name: 'Мебель-Сити', owner_id: as.manager?.id })).body.id;
  other = (await w.api.post('/companies', { name: 'Другая' })).body.id;
  group = (await w.api.post('/product-groups', { name: 'Лицензии', position: 0, active: true })).body.id;
  reason = (
    await w.api.post('/churn-reasons', { name_ru: 'Ушли к конкуренту', name_en: 'Went to a competitor', position: 0, active: true })
  ).body.id;
  // Defender of the Fatherland Day, a Monday holiday: the renewal task's business days skip it.
  await inWorkspace(h.db, w.ws, (tx) =>
    tx.query(`insert into calendar_days (workspace_id, day, kind) values (${w.ws}, '2026-02-23', 'holiday')`),
  );
});
afterAll(async () => {
  await h?.close();
});

describe('bad input names the field and writes nothing', () => {
  it('refuses an end not after the start, a negative or non-numeric MRR, an unknown company', async () => {
    const before = await countRows(h.db, 'contracts', w.ws);
    const same = await w.api.post('/contracts', contract({ end_date: '2025-03-02' }));
    expect(same.status).toBe(400);
    expect(same.body.error.fields).toEqual([expect.objectContaining({ field: 'end_date', code: 'end_before_start' })]);
    const ru = await w.api.post('/contracts?lang=ru', contract({ end_date: '2025-01-01' }));
    expect(ru.body.error.fields[0].message).toBe('окончание (01.01.2025) должно быть позже начала (02.03.2025)');
    const neg = await w.api.post('/contracts', contract({ mrr_minor: -1 }));
    expect(neg.status).toBe(400);
    expect(neg.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['mrr_minor']);
    const text = await w.api.post('/contracts', contract({ mrr_minor: 'много' }));
    expect(text.status).toBe(400);
    expect(text.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['mrr_minor']);
    const day = await w.api.post('/contracts', contract({ start_date: '2025-02-30' }));
    expect(day.status).toBe(400);
    expect(day.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['start_date']);
    const unknown = await w.api.post('/contracts', contract({ company_id: 999_999 }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.fields).toEqual([expect.objectContaining({ field: 'company_id', code: 'not_found' })]);
    expect(await countRows(h.db, 'contracts', w.ws)).toBe(before);
  });

  it('refuses a case of an unknown kind, closed before it was opened, or of a deal of another company', async () => {
    const before = await countRows(h.db, 'service_cases', w.ws);
    const kind = await w.api.post('/cases', { kind: 'rant', title: 'x', company_id: company });
    expect(kind.status).toBe(400);
    expect(kind.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['kind']);
    const early = await w.api.post('/cases', {
      kind: 'claim',
      title: 'Брак',
      company_id: company,
      opened_at: '2026-01-05T10:00:00+03:00',
      status: 'resolved',
      closed_at: '2026-01-04T10:00:00+03:00',
    });
    expect(early.status).toBe(400);
    expect(early.body.error.fields).toEqual([expect.objectContaining({ field: 'closed_at', code: 'closed_before_opened' })]);
    const deal = (await w.api.post('/deals', { title: 'Чужая', company_id: other })).body.id;
    const mismatch = await w.api.post('/cases', { kind: 'question', title: 'Вопрос', company_id: company, deal_id: deal });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['deal_id']);
    const noCompany = await w.api.post('/cases', { kind: 'question', title: 'Вопрос' });
    expect(noCompany.status).toBe(400);
    expect(noCompany.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['company_id']);
    expect(await countRows(h.db, 'service_cases', w.ws)).toBe(before);
  });
});

/** A company of its own per scenario: contracts of one company and product group renew each other (kpi.md). */
const fresh = async (name: string, owner?: number) =>
  (await w.api.post('/companies', { name, ...(owner ? { owner_id: owner } : {}) })).body.id as number;

describe('renew, renew with a change, mark churned', () => {
  it('renews once; a second renewal, a stale version and a renewal of a churned contract answer 409', async () => {
    const a = (
      await w.api.post('/contracts', contract({ company_id: await fresh('Альфа'), start_date: '2025-01-01', end_date: '2026-01-01' }))
    ).body;
    const stale = await w.api.post(`/contracts/${a.id}/renew`, { version: a.version + 1 });
    expect(stale.status).toBe(409);
    const next = await w.api.post(`/contracts/${a.id}/renew`, { version: a.version, mrr_minor: 1_500_000 });
    expect(next.status).toBe(201);
    expect(next.body).toMatchObject({
      renews_id: a.id,
      start_date: '2026-01-01',
      end_date: '2027-01-01',
      mrr_minor: 1_500_000,
      status: 'active',
    });
    const again = await w.api.post(`/contracts/${a.id}/renew`, { version: a.version });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(`already renewed by contract ${next.body.id}`);
    expect((await w.api.get(`/contracts/${a.id}`)).body).toMatchObject({ status: 'renewed', renewed_by_id: next.body.id });
    const churnRenewed = await w.api.post(`/contracts/${a.id}/churn`, { version: a.version, reason_id: reason });
    expect(churnRenewed.status).toBe(409);

    const b = (
      await w.api.post('/contracts', contract({ company_id: await fresh('Бета'), start_date: '2025-02-01', end_date: '2026-02-01' }))
    ).body;
    const badReason = await w.api.post(`/contracts/${b.id}/churn`, { version: b.version, reason_id: 999_999 });
    expect(badReason.status).toBe(400);
    expect(badReason.body.error.fields[0].field).toBe('reason_id');
    const churned = await w.api.post(`/contracts/${b.id}/churn?lang=ru`, {
      version: b.version,
      reason_id: reason,
      note: 'Дешевле у других',
    });
    expect(churned.status).toBe(200);
    expect(churned.body).toMatchObject({ status: 'churned', churn_reason: 'Ушли к конкуренту', churn_note: 'Дешевле у других' });
    const renewChurned = await w.api.post(`/contracts/${b.id}/renew`, { version: churned.body.version });
    expect(renewChurned.status).toBe(409);
    expect(renewChurned.body.error.message).toContain('marked churned');
    const patchStale = await w.api.patch(`/contracts/${b.id}`, { version: b.version, mrr_minor: 5 });
    expect(patchStale.status).toBe(409);
  });
});

describe('the renewal task, kept on every path', () => {
  const taskOf = async (id: number) => (await w.api.get(`/tasks?contract_id=${id}`)).body.items;

  it('is due 30 business days before the end at 10:00 Moscow time, skipping holidays; moves with the end and the setting; done on renewal', async () => {
    const c = (await w.api.post('/contracts', contract({ owner_id: as.manager?.id }))).body;
    expect(c.status).toBe('active');
    let [t] = await taskOf(c.id);
    // 02.03.2026 back 30 working days, 23.02 a holiday: 16.01.2026.
    expect(t).toMatchObject({ status: 'open', owner_id: as.manager?.id, due_at: '2026-01-16T07:00:00.000Z', type: 'follow_up' });
    expect(t.title).toBe('Продление договора: Мебель-Сити — Лицензии');
    const moved = await w.api.patch(`/contracts/${c.id}`, { version: c.version, end_date: '2026-03-09' });
    expect(moved.status).toBe(200);
    [t] = await taskOf(c.id);
    expect(t.due_at).toBe('2026-01-23T07:00:00.000Z');
    const settings = (await w.api.get('/accounts/settings')).body;
    expect(settings).toMatchObject({ gross_margin: 1, renewal_notice_days: 30 });
    expect((await put(w.api, '/accounts/settings', { renewal_notice_days: 10, version: settings.version })).status).toBe(200);
    [t] = await taskOf(c.id);
    // 09.03.2026 back 10 working days: 23.02 is a holiday → 20.02 … 24.02: 06.03, 05, 04, 03, 02, 27.02, 26, 25, 24, 20.
    expect(t.due_at).toBe('2026-02-20T07:00:00.000Z');
    const staleSettings = await put(w.api, '/accounts/settings', { renewal_notice_days: 5, version: settings.version });
    expect(staleSettings.status).toBe(409);
    const badMargin = await put(w.api, '/accounts/settings', { gross_margin: 1.5, version: settings.version + 1 });
    expect(badMargin.status).toBe(400);
    expect(badMargin.body.error.fields[0].field).toBe('gross_margin');
    const renewed = await w.api.post(`/contracts/${c.id}/renew`, { version: moved.body.version });
    expect(renewed.status).toBe(201);
    [t] = await taskOf(c.id);
    expect(t.status).toBe('done');
    expect(await taskOf(renewed.body.id)).toHaveLength(1);
  });

  it('is cancelled when the contract is marked churned; bin/voronka check finds one missing or left open', async () => {
    const c = (
      await w.api.post('/contracts', contract({ company_id: await fresh('Гамма'), start_date: '2025-06-01', end_date: '2026-06-01' }))
    ).body;
    const [t] = await taskOf(c.id);
    expect(t.status).toBe('open');
    await w.api.post(`/contracts/${c.id}/churn`, { version: c.version, reason_id: reason });
    expect((await taskOf(c.id))[0].status).toBe('cancelled');
    const check = () => inWorkspace(h.db, w.ws, (tx) => checkAccounts(tx, w.ws, h.clock.now()));
    expect((await check()).map((r) => r.problems)).toEqual([0, 0]);
    // Behind the mechanism's back: a task removed, another reopened.
    const d = (
      await w.api.post('/contracts', contract({ company_id: await fresh('Дельта'), start_date: '2025-07-01', end_date: '2026-07-01' }))
    ).body;
    await inWorkspace(h.db, w.ws, (tx) => tx.query(`delete from tasks where workspace_id = ${w.ws} and contract_id = ${d.id}`));
    await inWorkspace(h.db, w.ws, (tx) =>
      tx.query(`update tasks set status = 'open', closed_at = null where workspace_id = ${w.ws} and contract_id = ${c.id}`),
    );
    const found = await check();
    expect(found.map((r) => [r.problems, r.example])).toEqual([
      [1, `#${d.id}`],
      [1, `#${c.id}`],
    ]);
  });
});

describe('cases, recorded by anyone', () => {
  it('takes the company from the deal, the role from the recorder, and stamps closed_at when resolved', async () => {
    const deal = (await as.manager?.api.post('/deals', { title: 'Кресла', company_id: company }))?.body.id;
    const seller = await as.manager?.api.post('/cases', { kind: 'complaint', title: 'Скрипит кресло', deal_id: deal, status: 'resolved' });
    expect(seller?.status).toBe(201);
    expect(seller?.body).toMatchObject({
      company_id: company,
      recorder_role: 'sales',
      recorded_by: as.manager?.id,
      status: 'resolved',
      closed_at: '2026-01-10T09:00:00.000Z',
    });
    const service = await as.service?.api.post('/cases', { kind: 'claim', title: 'Брак партии', company_id: company, severity: 'high' });
    expect(service?.body).toMatchObject({ recorder_role: 'service', status: 'open', closed_at: null });
    const id = service?.body.id;
    const progress = await as.service?.api.patch(`/cases/${id}`, { version: 1, status: 'in_progress' });
    expect(progress?.status).toBe(200);
    const stale = await as.service?.api.patch(`/cases/${id}`, { version: 1, status: 'resolved' });
    expect(stale?.status).toBe(409);
    const onDeal = await w.api.get(`/cases?deal_id=${deal}`);
    expect(onDeal.body.items.map((c: { title: string }) => c.title)).toEqual(['Скрипит кресло']);
    const account = await w.api.get(`/companies/${company}/account`);
    expect(account.body.cases.map((c: { title: string }) => c.title)).toEqual(expect.arrayContaining(['Скрипит кресло', 'Брак партии']));
    expect(account.body.open_cases).toBe(1);
  });

  it('shows a seller the cases of a company he sees through his deal, whoever logged them', async () => {
    const x = (await w.api.post('/companies', { name: 'Склад-Маркет' })).body.id;
    const deal = (await w.api.post('/deals', { title: 'Стеллажи', company_id: x, owner_id: as.manager?.id })).body.id;
    const logged = await as.service?.api.post('/cases', { kind: 'question', title: 'Когда доставка?', company_id: x });
    expect(logged?.status).toBe(201);
    const seen = await as.manager?.api.get(`/cases?company_id=${x}`);
    expect(seen?.body.items.map((c: { title: string }) => c.title)).toEqual(['Когда доставка?']);
    const other = await as.manager2?.api.get(`/cases?company_id=${x}`);
    expect(other?.body.items).toEqual([]);
    expect(deal).toBeGreaterThan(0);
  });
});

describe('role rules', () => {
  it('shows a key-account manager their own contracts, refuses the marketer, lets service read but not write', async () => {
    const mine = await as.manager?.api.post(
      '/contracts',
      contract({ company_id: await fresh('Эпсилон', as.manager?.id), start_date: '2025-09-01', end_date: '2026-09-01' }),
    );
    expect(mine?.status).toBe(201);
    expect(mine?.body.owner_id).toBe(as.manager?.id);
    const forOther = await as.manager?.api.post('/contracts', contract({ owner_id: as.manager2?.id }));
    expect(forOther?.status).toBe(400);
    expect(forOther?.body.error.fields[0].field).toBe('owner_id');
    const list = await as.manager?.api.get('/contracts');
    expect(list?.body.items.every((c: { owner_id: number }) => c.owner_id === as.manager?.id)).toBe(true);
    expect(list?.body.total).toBeGreaterThan(0);
    const theirs = await as.manager2?.api.get(`/contracts/${mine?.body.id}`);
    expect(theirs?.status).toBe(404);
    expect((await as.marketer?.api.get('/contracts'))?.status).toBe(403);
    expect((await as.marketer?.api.get('/reports/accounts?from=2025-01-01&to=2026-01-01'))?.status).toBe(403);
    expect((await as.service?.api.get('/contracts'))?.status).toBe(200);
    expect((await as.service?.api.post('/contracts', contract()))?.status).toBe(403);
    expect((await as.service?.api.post('/product-groups', { name: 'X', position: 1, active: true }))?.status).toBe(403);
  });

  it('audits every change of a contract', async () => {
    const rows = await inWorkspace(h.db, w.ws, (tx) =>
      tx.query<{ action: string; n: number }>(
        `select action, count(*)::int as n from audit_log where workspace_id = ${w.ws} and entity = 'contracts' group by action order by action`,
      ),
    );
    expect(rows.map((r) => r.action)).toEqual(['create', 'update']);
    expect(rows.every((r) => Number(r.n) > 0)).toBe(true);
  });
});
