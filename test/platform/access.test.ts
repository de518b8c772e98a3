import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import type { Role } from '../../src/platform/auth/roles.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/**
 * Roles and visibility, route by route: admin and head of sales see everything;
 * a team lead their team; a manager their own and what is shared with them; a
 * marketer reads deals and reports and works on leads; service works on
 * companies and contacts. Invisible records answer 404, forbidden actions 403.
 */
let h: Harness;
let w: SeededWorkspace;
const as: Record<string, ApiClient> = {};
const ids: Record<string, number> = {};
const PERIOD = 'from=2025-03-01&to=2025-03-10';

async function person(name: string, role: Role, team: string | null = null) {
  const id = await addUser(h.db, w.ws, { name, email: `${name}@${w.ws}.test`, role, password: 'correct horse battery' }, h.ctx.clock.now());
  if (team) await h.db.query(sql`update users set team = ${team} where workspace_id = ${w.ws} and id = ${id}`);
  const { token } = await createApiToken(h.ctx, { workspaceId: w.ws, userId: id }, { name: 'tests' });
  as[name] = apiClient(h.url, token);
  ids[name] = id;
}

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Доступ');
  as.admin = w.api;
  await person('hos', 'head_of_sales');
  await person('lead', 'team_lead', 'Север');
  await person('anna', 'manager', 'Север');
  await person('boris', 'manager', 'Юг');
  await person('mark', 'marketer');
  await person('serv', 'service');
  const make = async (path: string, body: Record<string, unknown>) => {
    const r = await w.api.post(path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as number;
  };
  ids.companyA = await make('/companies', { name: 'Анна и партнёры', owner_id: ids.anna });
  ids.companyB = await make('/companies', { name: 'Борис и сыновья', owner_id: ids.boris });
  ids.contactB = await make('/contacts', { name: 'Клиент Бориса', company_id: ids.companyB, owner_id: ids.boris });
  const stage = w.stage('Квалификация').id;
  ids.dealA = await make('/deals', {
    title: 'Сделка Анны',
    stage_id: stage,
    owner_id: ids.anna,
    company_id: ids.companyA,
    amount_minor: 100,
  });
  ids.dealB = await make('/deals', {
    title: 'Сделка Бориса',
    stage_id: stage,
    owner_id: ids.boris,
    company_id: ids.companyA,
    amount_minor: 200,
  });
  ids.dealS = await make('/deals', {
    title: 'Общая сделка',
    stage_id: stage,
    owner_id: ids.boris,
    shared_with: [ids.anna],
    amount_minor: 400,
  });
  ids.leadA = await make('/leads', { title: 'Лид Анны', owner_id: ids.anna });
  ids.leadB = await make('/leads', { title: 'Лид Бориса', owner_id: ids.boris });
  ids.actB = await make('/activities', { type: 'call', at: h.clock.now().toISOString(), deal_id: ids.dealB, owner_id: ids.boris });
  ids.actS = await make('/activities', { type: 'call', at: h.clock.now().toISOString(), deal_id: ids.dealS, owner_id: ids.boris });
  ids.taskB = await make('/tasks', { title: 'Позвонить', deal_id: ids.dealB, owner_id: ids.boris });
});
afterAll(async () => {
  await h.close();
});

const titles = async (who: string, path: string) => {
  const r = await as[who].get(path);
  expect(r.status, `${who} GET ${path}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body.items.map((x: { title?: string; name?: string; subject?: string; id: number }) => x.title ?? x.name ?? x.id).sort();
};

describe('who sees which records', () => {
  it('lists deals by role: all, team, own plus shared', async () => {
    const all = ['Общая сделка', 'Сделка Анны', 'Сделка Бориса'];
    for (const who of ['admin', 'hos', 'mark', 'serv']) expect(await titles(who, '/deals')).toEqual(all);
    expect(await titles('lead', '/deals')).toEqual(['Сделка Анны']);
    expect(await titles('anna', '/deals')).toEqual(['Общая сделка', 'Сделка Анны']);
    expect(await titles('boris', '/deals')).toEqual(['Общая сделка', 'Сделка Бориса']);
  });

  it('answers 404 for a record outside the scope on read, card, history, move and edit', async () => {
    for (const path of [`/deals/${ids.dealB}`, `/deals/${ids.dealB}/card`, `/deals/${ids.dealB}/history`]) {
      expect((await as.anna.get(path)).status, path).toBe(404);
      expect((await as.lead.get(path)).status, path).toBe(404);
      expect((await as.hos.get(path)).status, path).toBe(200);
    }
    expect((await as.anna.post(`/deals/${ids.dealB}/move`, { stage_id: w.stage('Встреча').id })).status).toBe(404);
    expect((await as.anna.patch(`/deals/${ids.dealB}`, { amount_minor: 1, version: 1 })).status).toBe(404);
    expect((await as.anna.get(`/companies/${ids.companyB}`)).status).toBe(404);
    expect((await as.anna.get(`/companies/${ids.companyB}/card`)).status).toBe(404);
    expect((await as.anna.get(`/contacts/${ids.contactB}`)).status).toBe(404);
    expect((await as.anna.get(`/leads/${ids.leadB}`)).status).toBe(404);
    expect((await as.anna.get(`/activities/${ids.actB}`)).status).toBe(404);
    expect((await as.anna.get(`/tasks/${ids.taskB}`)).status).toBe(404);
    // What is shared is visible, with its activities.
    expect((await as.anna.get(`/deals/${ids.dealS}`)).status).toBe(200);
    expect((await as.anna.get(`/activities/${ids.actS}`)).status).toBe(200);
    expect((await as.anna.get('/activities')).body.items.map((a: { id: number }) => a.id)).toEqual([ids.actS]);
    expect((await as.anna.get('/tasks')).body.items).toEqual([]);
    // A company card lists only the deals the caller may see.
    const card = await as.anna.get(`/companies/${ids.companyA}/card`);
    expect(card.body.related.map((r: { title: string }) => r.title)).toEqual(['Сделка Анны']);
  });

  it('refuses writes the role does not allow (403) and owners outside the scope', async () => {
    const stage = w.stage('Квалификация').id;
    expect((await as.mark.post('/deals', { title: 'Маркетинг', stage_id: stage })).status).toBe(403);
    expect((await as.serv.patch(`/deals/${ids.dealA}`, { amount_minor: 5, version: 1 })).status).toBe(403);
    expect((await as.mark.patch(`/companies/${ids.companyA}`, { name: 'Нет', version: 1 })).status).toBe(403);
    expect((await as.serv.get('/leads')).status).toBe(403);
    expect((await as.anna.post('/segments', { name: 'Свой сегмент' })).status).toBe(403);
    const foreign = await as.anna.post('/deals', { title: 'Чужому', stage_id: stage, owner_id: ids.boris });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.fields[0].field).toBe('owner_id');
    const onHidden = await as.anna.post('/tasks', { title: 'К чужой сделке', deal_id: ids.dealB });
    expect(onHidden.status).toBe(400);
    expect(onHidden.body.error.fields[0]).toMatchObject({ field: 'deal_id', code: 'not_found' });
    // Allowed: own records, the marketer's leads, the service's companies, a lead's team.
    expect((await as.anna.post('/deals', { title: 'Своя', stage_id: stage })).status).toBe(201);
    expect((await as.mark.post('/leads', { title: 'С выставки' })).status).toBe(201);
    const company = (await as.serv.get(`/companies/${ids.companyB}`)).body;
    expect((await as.serv.patch(`/companies/${ids.companyB}`, { city: 'Тула', version: company.version })).status).toBe(200);
    expect((await as.lead.post('/deals', { title: 'Команде', stage_id: stage, owner_id: ids.anna })).status).toBe(201);
    expect((await as.lead.post('/deals', { title: 'Не команде', stage_id: stage, owner_id: ids.boris })).status).toBe(403);
    expect((await as.anna.patch(`/deals/${ids.dealA}`, { shared_with: [999999], version: 1 })).body.error.fields[0].field).toBe(
      'shared_with',
    );
  });

  it("checks a move's `set` exactly as PATCH checks the same fields", async () => {
    const before = (await as.anna.get(`/deals/${ids.dealA}`)).body;
    const next = w.stage('Встреча').id === before.stage_id ? w.stage('Квалификация').id : w.stage('Встреча').id;
    const unknownUser = await as.anna.post(`/deals/${ids.dealA}/move`, { stage_id: next, set: { shared_with: [999999] } });
    expect(unknownUser.status).toBe(400);
    expect(unknownUser.body.error.fields[0]).toMatchObject({ field: 'shared_with', code: 'not_found' });
    const foreignOwner = await as.anna.post(`/deals/${ids.dealA}/move`, { stage_id: next, set: { owner_id: ids.boris } });
    expect(foreignOwner.status).toBe(403);
    expect(foreignOwner.body.error.fields[0].field).toBe('owner_id');
    // Nothing of the refused moves was written.
    const after = (await as.anna.get(`/deals/${ids.dealA}`)).body;
    expect(after).toMatchObject({ version: before.version, stage_id: before.stage_id, shared_with: before.shared_with });
  });

  it('counts only what the caller may see in the board and the reports', async () => {
    h.clock.advance(3_600_000); // an hour later: the reports (as of now) see everything created above
    const count = (b: { columns: { count: number }[] }) => b.columns.reduce((n, c) => n + c.count, 0);
    const before = {
      anna: count((await as.anna.get('/board')).body),
      hos: count((await as.hos.get('/board')).body),
    };
    const annaOwn = (await as.anna.get('/deals?owner_id=' + ids.anna)).body.items.length;
    expect(before.anna).toBe(annaOwn + 1); // her own and the shared one
    expect(before.hos).toBe((await as.hos.get('/deals?limit=500')).body.items.length);

    const mine = await as.anna.get(`/reports/funnel?${PERIOD}`);
    expect(mine.status).toBe(200);
    // A manager's funnel counts her own deals (shared ones count in their owner's funnel).
    expect(mine.body.deals_created).toBe(annaOwn);
    const all = await as.hos.get(`/reports/funnel?${PERIOD}`);
    expect(all.body.deals_created).toBe((await as.hos.get('/deals?limit=500')).body.items.length);
    expect((await as.mark.get(`/reports/funnel?${PERIOD}`)).body.deals_created).toBe(all.body.deals_created);
    expect((await as.anna.get(`/reports/funnel?${PERIOD}&owner=${ids.boris}`)).status).toBe(403);
    expect((await as.serv.get(`/reports/funnel?${PERIOD}`)).status).toBe(403);
    const byOwner = await as.anna.get(`/reports/funnel?${PERIOD}&by=owner`);
    expect(byOwner.body.groups.filter((g: { deals_created: number }) => g.deals_created > 0).map((g: { key: string }) => g.key)).toEqual([
      'anna',
    ]);
    const drill = await as.anna.get(`/reports/funnel/deals?${PERIOD}&metric=deals_created`);
    expect(drill.body.items.every((d: { owner: string }) => d.owner === 'anna')).toBe(true);
    expect(drill.body.total).toBe(annaOwn);
    const team = await as.lead.get(`/reports/funnel?${PERIOD}`);
    expect(team.body.deals_created).toBe((await as.lead.get('/deals?limit=500')).body.items.length);
    const discipline = await as.boris.get(`/reports/discipline?${PERIOD}&by=owner`);
    expect(discipline.status).toBe(200);
    expect(discipline.body.groups.every((g: { key: string }) => g.key === 'boris')).toBe(true);
  });

  it('shows a record to the people it is shared with', async () => {
    const deal = (await as.boris.get(`/deals/${ids.dealB}`)).body;
    const shared = await as.boris.patch(`/deals/${ids.dealB}`, { shared_with: [ids.anna], version: deal.version });
    expect(shared.status).toBe(200);
    expect(shared.body.shared_with).toEqual([ids.anna]);
    expect((await as.anna.get(`/deals/${ids.dealB}`)).status).toBe(200);
    expect((await as.anna.get(`/activities/${ids.actB}`)).status).toBe(200);
  });
});
