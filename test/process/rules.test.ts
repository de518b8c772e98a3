import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moveDeal } from '../../src/crm/move-deal.ts';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import type { Principal, Role } from '../../src/platform/auth/roles.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
const people: Record<string, { id: number; api: ApiClient }> = {};

async function person(name: string, role: Role, team: string | null) {
  const id = await addUser(h.db, w.ws, { name, email: `${name}@${w.ws}.test`, role, password: 'correct horse battery' }, h.clock.now());
  if (team) await h.db.query(sql`update users set team = ${team} where workspace_id = ${w.ws} and id = ${id}`);
  const { token } = await createApiToken(h.ctx, { workspaceId: w.ws, userId: id }, { name: 'tests' });
  people[name] = { id, api: apiClient(h.url, token) };
}

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Правила');
  await person('lead', 'team_lead', 'Север');
  await person('anna', 'manager', 'Север');
  await person('boris', 'manager', 'Юг');
});
afterAll(async () => {
  await h.close();
});

const fieldOf = (r: { body: { error: { fields?: { field: string; code?: string }[] } } }) => r.body.error.fields?.[0];
const lost = () => w.stage('Закрыто и не реализовано').id;

/** The move with a chosen reason, called directly (the move and bulk routes pass `loss_reason_id` too: test/process/standard-everywhere.test.ts). */
const moveAsAdmin = (dealId: number, input: Parameters<typeof moveDeal>[4]) =>
  inWorkspace(h.db, w.ws, (tx) =>
    moveDeal(tx, h.ctx, { workspaceId: w.ws, userId: w.adminId, role: 'admin', name: 'Админ', locale: 'ru' } as Principal, dealId, input),
  );

describe('loss reasons', () => {
  it('are a list with create, rename, reorder and deactivate; losing needs one while any is active', async () => {
    // An empty list: losing works as before, with a free-text reason.
    const d1 = await w.api.post('/deals', { title: 'Без списка', stage_id: w.stage('Новый лид').id });
    const before = await w.api.post(`/deals/${d1.body.id}/move`, { stage_id: lost(), reason: 'дорого' });
    expect(before.status).toBe(200);

    const price = await w.api.post('/loss-reasons', { name_ru: 'Цена', name_en: 'Price' });
    expect(price.status).toBe(201);
    expect(price.body).toMatchObject({ name_ru: 'Цена', name_en: 'Price', position: 1, active: true });
    const rival = await w.api.post('/loss-reasons', { name_ru: 'Выбрали конкурента', name_en: 'Chose a competitor' });
    expect(rival.body.position).toBe(2);
    const dup = await w.api.post('/loss-reasons', { name_ru: 'цена', name_en: 'Cost' });
    expect(dup.status).toBe(400);
    expect(fieldOf(dup)).toMatchObject({ field: 'name_ru', code: 'duplicate' });
    const asManager = await people.anna.api.post('/loss-reasons', { name_ru: 'Сроки', name_en: 'Timing' });
    expect(asManager.status).toBe(403);
    const renamed = await w.api.patch(`/loss-reasons/${rival.body.id}`, { version: rival.body.version, name_ru: 'Ушли к конкуренту' });
    expect(renamed.body.name_ru).toBe('Ушли к конкуренту');

    const order = await w.api.raw('/loss-reasons/order', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [rival.body.id, price.body.id] }),
    });
    expect(order.status).toBe(200);
    expect(order.body.items.map((r: { name_ru: string; position: number }) => [r.name_ru, r.position])).toEqual([
      ['Ушли к конкуренту', 1],
      ['Цена', 2],
    ]);
    const partial = await w.api.raw('/loss-reasons/order', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [price.body.id] }),
    });
    expect(fieldOf(partial)).toMatchObject({ field: 'ids' });
    // Everyone reads the list (the move dialog offers it).
    const listed = await people.anna.api.get('/loss-reasons?active=true');
    expect(listed.body.items.map((r: { name_ru: string }) => r.name_ru)).toEqual(['Ушли к конкуренту', 'Цена']);

    const d2 = await w.api.post('/deals', { title: 'Со списком', stage_id: w.stage('Новый лид').id });
    const refused = await w.api.post(`/deals/${d2.body.id}/move`, { stage_id: lost(), reason: 'дорого' }, { 'accept-language': 'ru' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toBe('выберите причину, по которой сделка не реализована');
    expect(fieldOf(refused)).toMatchObject({ field: 'loss_reason_id', code: 'required' });
    // Winning or moving along never asks for one.
    expect((await w.api.post(`/deals/${d2.body.id}/move`, { stage_id: w.stage('Квалификация').id })).status).toBe(200);

    const moved = await moveAsAdmin(d2.body.id, { stage_id: lost(), loss_reason_id: price.body.id, reason: 'бюджет урезали' });
    const [entry] = await h.db.query(
      sql`select loss_reason_id, reason, stage_id from stage_events where workspace_id = ${w.ws} and id = ${moved.event_id}`,
    );
    expect(entry).toEqual({ loss_reason_id: price.body.id, reason: 'бюджет урезали', stage_id: lost() });
    expect(moved.deal.status).toBe('lost');

    // A deactivated reason is no longer accepted; with none active, the free text alone is enough again.
    const off = await w.api.patch(`/loss-reasons/${price.body.id}`, { version: price.body.version + 1, active: false });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    const d3 = await w.api.post('/deals', { title: 'Неактивная', stage_id: w.stage('Новый лид').id });
    await expect(moveAsAdmin(d3.body.id, { stage_id: lost(), loss_reason_id: price.body.id })).rejects.toMatchObject({
      details: { fields: [expect.objectContaining({ field: 'loss_reason_id', code: 'not_found' })] },
    });
    await w.api.patch(`/loss-reasons/${rival.body.id}`, { version: renamed.body.version + 1, active: false });
    expect((await w.api.post(`/deals/${d3.body.id}/move`, { stage_id: lost() })).status).toBe(200);
    // A reason with a move that does not lose is refused, naming it.
    const d4 = await w.api.post('/deals', { title: 'Не проигрыш', stage_id: w.stage('Новый лид').id });
    await expect(moveAsAdmin(d4.body.id, { stage_id: w.stage('Демо').id, loss_reason_id: rival.body.id })).rejects.toMatchObject({
      details: { fields: [expect.objectContaining({ field: 'loss_reason_id' })] },
    });
  });
});

describe('forced-move policy', () => {
  it('decides who may force a move past unmet requirements, and whether a reason is needed', async () => {
    const demo = w.stage('Демо');
    await w.api.post('/stage-requirements', { stage_id: demo.id, field: 'company_id' });
    const policy = await w.api.get('/move-policy');
    expect(policy.body).toMatchObject({ who: 'head_of_sales', needs_reason: true });

    const annaDeal = (await w.api.post('/deals', { title: 'Анна', stage_id: w.stage('Новый лид').id, owner_id: people.anna.id })).body;
    const borisDeal = (await w.api.post('/deals', { title: 'Борис', stage_id: w.stage('Новый лид').id, owner_id: people.boris.id })).body;
    const force = (api: ApiClient, id: number, reason?: string) =>
      api.post(`/deals/${id}/move`, { stage_id: demo.id, force: true, ...(reason ? { reason } : {}) }, { 'accept-language': 'ru' });

    // Today's rule: the team lead may not.
    expect((await force(people.lead.api, annaDeal.id, 'срочно')).status).toBe(403);

    const stale = await w.api.raw('/move-policy', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ who: 'team_leads', needs_reason: false, version: policy.body.version + 7 }),
    });
    expect(stale.status).toBe(409);
    const asLead = await people.lead.api.raw('/move-policy', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ who: 'team_leads', needs_reason: false, version: policy.body.version }),
    });
    expect(asLead.status).toBe(403);
    const set = await w.api.raw('/move-policy', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ who: 'team_leads', needs_reason: false, version: policy.body.version }),
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ who: 'team_leads', needs_reason: false, version: policy.body.version + 1 });
    const [a] = await h.db.query(
      sql`select changes from audit_log where workspace_id = ${w.ws} and entity = 'workspaces' order by id desc limit 1`,
    );
    expect(a.changes).toEqual({
      force_policy: { from: 'head_of_sales', to: 'team_leads' },
      force_needs_reason: { from: true, to: false },
    });

    // The team lead forces a deal of their team, without a reason; another team's deal stays out of reach.
    const ok = await force(people.lead.api, annaDeal.id);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const [entry] = await h.db.query(
      sql`select forced, reason from stage_events where workspace_id = ${w.ws} and id = ${ok.body.event_id}`,
    );
    expect(entry).toEqual({ forced: true, reason: null });
    expect([403, 404]).toContain((await force(people.lead.api, borisDeal.id)).status);
    expect((await force(people.anna.api, annaDeal.id)).status).not.toBe(200);

    // Nobody: not even the admin; filling the fields is the only way.
    const nobody = await w.api.raw('/move-policy', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ who: 'nobody', needs_reason: true, version: set.body.version }),
    });
    expect(nobody.body.who).toBe('nobody');
    const refused = await force(w.api, borisDeal.id, 'срочно');
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe('в этом пространстве сделку нельзя провести без обязательных полей: заполните их');

    // Back to the default, which needs a reason again.
    await w.api.raw('/move-policy', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ who: 'head_of_sales', needs_reason: true, version: nobody.body.version }),
    });
    const noReason = await force(w.api, borisDeal.id);
    expect(fieldOf(noReason)).toMatchObject({ field: 'reason', code: 'required' });
    expect((await force(w.api, borisDeal.id, 'клиент торопит')).status).toBe(200);
  });
});

describe('rules in the standard document', () => {
  it('exports the reasons and the policy, and imports them merged by name (reasons left out are deactivated)', async () => {
    const doc = (await w.api.get('/config')).body;
    expect(doc.rules).toEqual({
      loss_reasons: [
        { name_ru: 'Ушли к конкуренту', name_en: 'Chose a competitor', active: false },
        { name_ru: 'Цена', name_en: 'Price', active: false },
      ],
      force_policy: { who: 'head_of_sales', needs_reason: true },
    });
    const other = await seedWorkspace(h, 'Правила-копия');
    await other.api.post('/loss-reasons', { name_ru: 'Старая причина', name_en: 'Old reason' });
    const next = {
      ...doc,
      rules: {
        loss_reasons: [
          { name_ru: 'Цена', name_en: 'Price' },
          { name_ru: 'Нет бюджета', name_en: 'No budget' },
        ],
        force_policy: { who: 'team_leads', needs_reason: false },
      },
    };
    const put = await other.api.raw('/config', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(next),
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const after = (await other.api.get('/config')).body.rules;
    expect(after).toEqual({
      loss_reasons: [
        { name_ru: 'Цена', name_en: 'Price', active: true },
        { name_ru: 'Нет бюджета', name_en: 'No budget', active: true },
        { name_ru: 'Старая причина', name_en: 'Old reason', active: false },
      ],
      force_policy: { who: 'team_leads', needs_reason: false },
    });
    const twice = { ...next, rules: { ...next.rules, loss_reasons: [...next.rules.loss_reasons, { name_ru: 'цена', name_en: 'x' }] } };
    const bad = await other.api.raw('/config', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(twice),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toContain('rules.loss_reasons.2.name_ru');
  });
});
