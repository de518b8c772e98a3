import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness, T0 } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let manager: ApiClient;
let managerId: number;
const DAY = 86_400_000;
const HOUR = 3_600_000;

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Интерфейс');
  managerId = await addUser(
    h.db,
    w.ws,
    { name: 'Мария Менеджер', email: `m@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
    h.ctx.clock.now(),
  );
  const { token } = await createApiToken(h.ctx, { workspaceId: w.ws, userId: managerId }, { name: 'tests' });
  manager = apiClient(h.url, token);
});
afterAll(async () => {
  await h.close();
});

const put = (api: ApiClient, path: string, body: unknown) =>
  api.raw(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('start page and menu', () => {
  it('default to the workspace defaults, keep each person their own, and let an admin roll defaults out', async () => {
    const first = await manager.get('/me/preferences');
    expect(first.status).toBe(200);
    expect(first.body.start_page).toBe('tasks');
    expect(first.body.menu.map((m: { key: string }) => m.key)).toEqual([
      'tasks',
      'board',
      'dashboard',
      'yesterday',
      'deals',
      'companies',
      'contacts',
      'leads',
      'marketing',
      'accounts',
      'review',
    ]);

    const menu = [
      { key: 'board', hidden: false },
      { key: 'tasks', hidden: true },
    ];
    const mine = await manager.patch('/me/preferences', { start_page: 'board', menu, locale: 'en' });
    expect(mine.status).toBe(200);
    expect(mine.body.start_page).toBe('board');
    expect(mine.body.locale).toBe('en');
    // Pages missing from a stored menu are appended, so none disappears.
    expect(mine.body.menu.slice(0, 2)).toEqual(menu);
    expect(mine.body.menu).toHaveLength(11);
    // The admin's own preferences are untouched.
    expect((await w.api.get('/me/preferences')).body.start_page).toBe('tasks');

    const bad = await manager.patch('/me/preferences', { start_page: 'nowhere' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe('start_page');
    const twice = await manager.patch('/me/preferences', { menu: [...menu, { key: 'board', hidden: true }] });
    expect(twice.status).toBe(400);
    expect(twice.body.error.fields[0].field).toMatch(/^menu/);
    expect((await manager.get('/me/preferences')).body.start_page).toBe('board');

    const defaults = { start_page: 'dashboard', menu: [{ key: 'dashboard', hidden: false }] };
    expect((await put(manager, '/ui-defaults', defaults)).status).toBe(403);
    const kept = await put(w.api, '/ui-defaults', defaults);
    expect(kept.status).toBe(200);
    expect(kept.body.rolled_out_to).toBe(0);
    // Without roll-out, a person's own choice stays; those who chose nothing follow the default.
    expect((await manager.get('/me/preferences')).body.start_page).toBe('board');
    expect((await w.api.get('/me/preferences')).body.start_page).toBe('dashboard');
    expect((await w.api.get('/ui-defaults')).body.menu[0]).toEqual({ key: 'dashboard', hidden: false });

    const rolled = await put(w.api, '/ui-defaults', { ...defaults, roll_out: true });
    expect(rolled.body.rolled_out_to).toBe(2);
    const after = await manager.get('/me/preferences');
    expect(after.body.start_page).toBe('dashboard');
    expect(after.body.menu[0]).toEqual({ key: 'dashboard', hidden: false });
    // The language is a person's own and survives a roll-out.
    expect(after.body.locale).toBe('en');
  });
});

describe('saved views', () => {
  it('are private unless shared, changed only by their author, and versioned', async () => {
    const mine = await manager.post('/saved-views', { object_type: 'deal', name: 'Мои крупные', query: 'status=open&sort=-amount_minor' });
    expect(mine.status).toBe(201);
    expect(mine.body.user_id).toBe(managerId);
    const shared = await w.api.post('/saved-views', { object_type: 'deal', name: 'Все открытые', query: 'status=open', shared: true });
    await w.api.post('/saved-views', { object_type: 'company', name: 'Москва', query: 'city=Москва' });

    const seenByManager = await manager.get('/saved-views?object_type=deal');
    expect(seenByManager.body.items.map((v: { name: string }) => v.name)).toEqual(['Все открытые', 'Мои крупные']);
    const seenByAdmin = await w.api.get('/saved-views?object_type=deal');
    expect(seenByAdmin.body.items.map((v: { name: string }) => v.name)).toEqual(['Все открытые']);

    const foreign = await manager.patch(`/saved-views/${shared.body.id}`, { name: 'Чужое', version: shared.body.version });
    expect(foreign.status).toBe(403);
    // Reads by id follow the list's rule: someone else's private view does not exist for the caller.
    expect((await manager.get(`/saved-views/${shared.body.id}`)).body.name).toBe('Все открытые');
    expect((await manager.get(`/saved-views/${mine.body.id}`)).body.query).toBe('status=open&sort=-amount_minor');
    const peeked = await w.api.get(`/saved-views/${mine.body.id}`);
    expect(peeked.status).toBe(404);
    expect(peeked.body.error.code).toBe('NOT_FOUND');
    expect(JSON.stringify(peeked.body)).not.toContain('amount_minor');
    expect((await w.api.patch(`/saved-views/${mine.body.id}`, { shared: true, version: mine.body.version })).status).toBe(404);
    const renamed = await manager.patch(`/saved-views/${mine.body.id}`, { name: 'Крупные', version: mine.body.version });
    expect(renamed.status).toBe(200);
    const stale = await manager.patch(`/saved-views/${mine.body.id}`, { name: 'Снова', version: mine.body.version });
    expect(stale.status).toBe(409);
    const empty = await manager.post('/saved-views', { object_type: 'deal', name: '   ', query: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.fields[0].field).toBe('name');
  });
});

describe('board and cards', () => {
  it('show counts, sums, weighted sums, ages and stuck markers by the kpi.md definitions, and a card with its history', async () => {
    h.clock.set(T0);
    const create = async (title: string, stage: string, amount: number) =>
      (await w.api.post('/deals', { title, amount_minor: amount, stage_id: w.stage(stage).id })).body;
    const move = async (id: number, stage: string) => {
      const r = await w.api.post(`/deals/${id}/move`, { stage_id: w.stage(stage).id });
      expect(r.status).toBe(200);
    };
    const ps = [];
    for (let i = 1; i <= 5; i++) ps.push(await create(`Поставка ${i}`, 'Новый лид', 10_00));
    const w1 = await create('Выигранная 1', 'Квалификация', 1_00);
    const w2 = await create('Выигранная 2', 'Квалификация', 1_00);
    const l1 = await create('Проигранная', 'Квалификация', 1_00);
    h.clock.advance(DAY);
    for (const p of ps) await move(p.id, 'Квалификация');
    await move(w1.id, 'Встреча');
    await move(w2.id, 'Успешно реализовано');
    await move(l1.id, 'Закрыто и не реализовано');
    h.clock.advance(HOUR);
    await move(w1.id, 'Успешно реализовано');
    const late = await create('Зависшая', 'Новый лид', 500_00);
    h.clock.advance(2 * DAY);
    await create('Свежая', 'Новый лид', 1_00);

    const board = await w.api.get('/board');
    expect(board.status).toBe(200);
    const col = (name: string) => board.body.columns.find((c: { name: string }) => c.name === name);
    // Won 2 of 3 closed: w = 2/3; a stage's p = (won + 5w) / (closed + 5).
    expect(col('Новый лид')).toMatchObject({ count: 2, amount_minor: 501_00, probability: expect.closeTo(2 / 3, 12) });
    expect(col('Новый лид').weighted_minor).toBeCloseTo((501_00 * 2) / 3, 6);
    expect(col('Квалификация')).toMatchObject({ count: 5, amount_minor: 50_00 });
    expect(col('Квалификация').probability).toBeCloseTo((2 + 10 / 3) / 8, 12);
    expect(col('Встреча')).toMatchObject({ count: 0, amount_minor: 0, deals: [] });
    expect(col('Встреча').probability).toBeCloseTo((1 + 10 / 3) / 6, 12);
    expect(col('Успешно реализовано')).toMatchObject({ kind: 'won', count: 0, deals: [], weighted_minor: null });
    // Five finished one-day visits of «Новый лид»: p90 = 1 day; two days in the stage is stuck, a fresh deal is not.
    const cards = col('Новый лид').deals;
    expect(cards.map((c: { title: string }) => c.title)).toEqual(['Зависшая', 'Свежая']);
    expect(cards[0]).toMatchObject({ id: late.id, stuck: true, days_in_stage: 2, owner: 'Админ' });
    expect(cards[1]).toMatchObject({ stuck: false, days_in_stage: 0 });
    // «Квалификация» has only three finished visits: fewer than five, so nothing there is stuck.
    expect(col('Квалификация').deals.every((c: { stuck: boolean }) => !c.stuck)).toBe(true);

    const found = await w.api.get(`/board?q=${encodeURIComponent('завис')}`);
    expect(found.body.columns.reduce((n: number, c: { count: number }) => n + c.count, 0)).toBe(1);
    const none = await w.api.get(`/board?owner_id=${managerId}`);
    expect(none.body.columns.reduce((n: number, c: { count: number }) => n + c.count, 0)).toBe(0);
    expect((await w.api.get('/board?pipeline_id=999999')).status).toBe(400);

    // The deal card: stage moves, an edit and an activity in the history.
    const p1 = ps[0];
    const company = await w.api.post('/companies', { name: 'ООО «Карточка»' });
    const current = (await w.api.get(`/deals/${p1.id}`)).body;
    const edited = await w.api.patch(`/deals/${p1.id}`, { amount_minor: 20_00, company_id: company.body.id, version: current.version });
    expect(edited.status).toBe(200);
    await w.api.post('/activities', { type: 'call', outcome: 'held', at: h.clock.now().toISOString(), deal_id: p1.id });
    const card = await w.api.get(`/deals/${p1.id}/card`);
    expect(card.status).toBe(200);
    expect(card.body.stage.name).toBe('Квалификация');
    expect(card.body.requirements.next_stage).toBe('Встреча');
    expect(card.body.names.company).toBe('ООО «Карточка»');
    const kinds = card.body.timeline.map((i: { kind: string; title: string }) => `${i.kind}:${i.title}`);
    expect(kinds).toEqual(['activity:call:held', 'edit:amount_minor,company_id', 'stage:Квалификация', 'stage:Новый лид']);
    const [log] = await h.db.query(
      sql`select user_id, changes from audit_log where workspace_id = ${w.ws} and entity = 'deals' and entity_id = ${p1.id} and action = 'update'`,
    );
    expect(log).toEqual({
      user_id: w.adminId,
      changes: { amount_minor: { from: 10_00, to: 20_00 }, company_id: { from: null, to: company.body.id } },
    });

    const companyCard = await w.api.get(`/companies/${company.body.id}/card`);
    expect(companyCard.status).toBe(200);
    expect(companyCard.body.related).toEqual([{ kind: 'deal', id: p1.id, title: 'Поставка 1', detail: 'open' }]);
    expect((await w.api.get('/deals/999999/card')).status).toBe(404);
  });
});
