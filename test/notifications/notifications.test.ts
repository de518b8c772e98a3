/**
 * Notifications (issue 16): made in the transaction of the write that causes them, by the trigger on
 * audit_log, on every path — one edit, a bulk edit, a move — never for one's own action, never
 * across workspaces; mentions by full name; read and unread; pages.
 */
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness, T0 } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let other: SeededWorkspace;
const ids: Record<string, number> = {};
const api: Record<string, ApiClient> = {};

const created = async (client: ApiClient, path: string, body: unknown) => {
  const r = await client.post(path, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as number;
};
const person = async (s: SeededWorkspace, key: string, name: string, role: 'manager' | 'head_of_sales' | 'team_lead' = 'manager') => {
  const id = await addUser(h.db, s.ws, { name, email: `${key}@${s.ws}.test`, role, password: 'correct horse battery' }, h.ctx.clock.now());
  const { token } = await createApiToken(h.ctx, { workspaceId: s.ws, userId: id }, { name: 't' });
  ids[key] = id;
  api[key] = apiClient(h.url, token);
  return id;
};

interface Seen {
  kind: string;
  entity: string;
  entity_id: number;
  actor: string | null;
  params: Record<string, unknown>;
}
/** Everything `who` was notified of since the last call, oldest first, as the API lists it (then marked read). */
const drain = async (who: string): Promise<Seen[]> => {
  const r = await api[who].get('/notifications?unread=true&limit=100');
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const items = (r.body.items as (Seen & { id: number })[]).reverse();
  if (items.length > 0) expect((await api[who].post('/notifications/read', { all: true })).status).toBe(200);
  return items.map(({ kind, entity, entity_id, actor, params }) => ({ kind, entity, entity_id, actor, params }));
};
const nothingFor = async (...who: string[]) => {
  for (const x of who) expect(await drain(x), x).toEqual([]);
};

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Уведомления');
  other = await seedWorkspace(h, 'Чужое');
  api.admin = w.api;
  ids.admin = w.adminId;
  await person(w, 'anna', 'Анна Смирнова');
  await person(w, 'annaP', 'Анна Петрова');
  await person(w, 'annaK', 'Анна Смирнова-Котова');
  await person(w, 'igor', 'Игорь Ковалёв', 'head_of_sales');
  // The same name in another workspace must hear nothing of this one.
  await person(other, 'stranger', 'Анна Смирнова');
});
afterAll(async () => {
  await h?.close();
});

describe('what notifies whom', () => {
  it("a task assigned by someone else, created or handed over; never one's own", async () => {
    const deal = await created(w.api, '/deals', { title: 'Поставка станков', owner_id: ids.anna });
    ids.deal = deal;
    expect(await drain('anna')).toEqual([
      { kind: 'deal_assigned', entity: 'deals', entity_id: deal, actor: 'Админ', params: { deal: 'Поставка станков' } },
    ]);
    const task = await created(w.api, '/tasks', { title: 'Позвонить', deal_id: deal, owner_id: ids.anna });
    expect(await drain('anna')).toEqual([
      {
        kind: 'task_assigned',
        entity: 'tasks',
        entity_id: task,
        actor: 'Админ',
        params: { task: 'Позвонить', deal_id: deal, deal: 'Поставка станков' },
      },
    ]);
    // Her own task, for herself: nothing.
    await created(api.anna, '/tasks', { title: 'Себе', deal_id: deal });
    await nothingFor('anna', 'admin');
    // Handed over to Anna Petrova by the head of sales: she hears, nobody else.
    const v = (await api.igor.get(`/tasks/${task}`)).body.version;
    const handed = await api.igor.patch(`/tasks/${task}`, { owner_id: ids.annaP, version: v });
    expect(handed.status, JSON.stringify(handed.body)).toBe(200);
    expect(await drain('annaP')).toEqual([
      {
        kind: 'task_assigned',
        entity: 'tasks',
        entity_id: task,
        actor: 'Игорь Ковалёв',
        params: { task: 'Позвонить', deal_id: deal, deal: 'Поставка станков' },
      },
    ]);
    // Taken by Igor for himself: nobody hears.
    expect((await api.igor.patch(`/tasks/${task}`, { owner_id: ids.igor, version: v + 1 })).status).toBe(200);
    await nothingFor('anna', 'annaP', 'igor', 'admin');
  });

  it('a deal moved by someone else (one move, with its playbook tasks counted), never by its owner', async () => {
    const kp = w.stage('КП отправлено');
    await h.db.query(sql`insert into task_templates (workspace_id, pipeline_id, stage_id, title_ru, title_en, due_days)
                         values (${w.ws}, ${w.pipelineId}, ${kp.id}, 'Узнать реакцию на КП', 'Follow up', 2)`);
    // A template whose task goes to Igor, whoever owns the deal.
    await h.db.query(sql`insert into task_templates (workspace_id, pipeline_id, stage_id, title_ru, title_en, due_days, owner_rule, owner_id)
                         values (${w.ws}, ${w.pipelineId}, ${kp.id}, 'Проверить КП', 'Check', 1, 'user', ${ids.igor})`);
    const r = await w.api.post(`/deals/${ids.deal}/move`, { stage_id: kp.id });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await drain('anna')).toEqual([
      {
        kind: 'deal_moved',
        entity: 'deals',
        entity_id: ids.deal,
        actor: 'Админ',
        params: { deal: 'Поставка станков', stage: 'КП отправлено', tasks: 1 },
      },
    ]);
    const [check] = await h.db.query<{ id: number }>(
      sql`select id from tasks where workspace_id = ${w.ws} and deal_id = ${ids.deal} and title = 'Проверить КП'`,
    );
    expect(await drain('igor')).toEqual([
      {
        kind: 'task_assigned',
        entity: 'tasks',
        entity_id: Number(check.id),
        actor: 'Админ',
        params: { task: 'Проверить КП', deal_id: ids.deal, deal: 'Поставка станков' },
      },
    ]);
    // Anna moves her own deal on: the playbook gives her nothing to hear about, Igor's task neither (no template there).
    expect((await api.anna.post(`/deals/${ids.deal}/move`, { stage_id: w.stage('Встреча').id })).status).toBe(200);
    await nothingFor('anna', 'igor', 'admin');
  });

  it('bulk: a move, a new owner and a task on each deal notify as one edit would; a refused bulk edit notifies nobody', async () => {
    const a = await created(w.api, '/deals', { title: 'Первая', owner_id: ids.anna });
    const b = await created(w.api, '/deals', { title: 'Вторая', owner_id: ids.anna });
    // Created for her by someone else: hers to hear of.
    expect(await drain('anna')).toEqual([
      { kind: 'deal_assigned', entity: 'deals', entity_id: a, actor: 'Админ', params: { deal: 'Первая' } },
      { kind: 'deal_assigned', entity: 'deals', entity_id: b, actor: 'Админ', params: { deal: 'Вторая' } },
    ]);
    const demo = w.stage('Демо');
    const moved = await w.api.post('/deals/bulk', {
      ids: [a, b],
      set: { stage_id: demo.id },
      add_task: { title: 'Подготовить демо', owner_id: ids.anna },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const tasks = await h.db.query<{ id: number; deal_id: number }>(
      sql`select id, deal_id from tasks where workspace_id = ${w.ws} and deal_id = any(${[a, b]}::int8[]) order by id`,
    );
    expect(await drain('anna')).toEqual([
      { kind: 'deal_moved', entity: 'deals', entity_id: a, actor: 'Админ', params: { deal: 'Первая', stage: 'Демо', tasks: 0 } },
      {
        kind: 'task_assigned',
        entity: 'tasks',
        entity_id: Number(tasks[0].id),
        actor: 'Админ',
        params: { task: 'Подготовить демо', deal_id: a, deal: 'Первая' },
      },
      { kind: 'deal_moved', entity: 'deals', entity_id: b, actor: 'Админ', params: { deal: 'Вторая', stage: 'Демо', tasks: 0 } },
      {
        kind: 'task_assigned',
        entity: 'tasks',
        entity_id: Number(tasks[1].id),
        actor: 'Админ',
        params: { task: 'Подготовить демо', deal_id: b, deal: 'Вторая' },
      },
    ]);
    const handed = await w.api.post('/deals/bulk', { ids: [a, b], set: { owner_id: ids.annaP } });
    expect(handed.status, JSON.stringify(handed.body)).toBe(200);
    expect(await drain('annaP')).toEqual([
      { kind: 'deal_assigned', entity: 'deals', entity_id: a, actor: 'Админ', params: { deal: 'Первая' } },
      { kind: 'deal_assigned', entity: 'deals', entity_id: b, actor: 'Админ', params: { deal: 'Вторая' } },
    ]);
    // One deal of two lacks what the stage requires: all is rolled back, notifications too.
    await created(w.api, '/stage-requirements', { stage_id: w.stage('КП отправлено').id, field: 'region' });
    const c = await created(w.api, '/deals', { title: 'Третья', owner_id: ids.annaP, region: 'Москва' });
    expect((await drain('annaP')).map((n) => n.kind)).toEqual(['deal_assigned']);
    const refused = await w.api.post('/deals/bulk', { ids: [a, c], set: { stage_id: w.stage('КП отправлено').id } });
    expect(refused.status).toBe(422);
    await nothingFor('anna', 'annaP');
  });

  it('an activity or a note on a deal of mine by someone else; the mentioned hear of the mention instead', async () => {
    const call = await created(w.api, '/activities', { type: 'call', at: T0, subject: 'Созвон с ЛПР', deal_id: ids.deal });
    expect(await drain('anna')).toEqual([
      {
        kind: 'deal_commented',
        entity: 'deals',
        entity_id: ids.deal,
        actor: 'Админ',
        params: { deal: 'Поставка станков', type: 'call', subject: 'Созвон с ЛПР' },
      },
    ]);
    expect(call).toBeGreaterThan(0);
    // Her own call on her deal: nothing.
    await created(api.anna, '/activities', { type: 'call', at: T0, deal_id: ids.deal });
    await nothingFor('anna', 'admin');
    // A mention: the owner once (as mentioned), Igor mentioned, the other Annas not.
    const note = await created(w.api, '/activities', {
      type: 'email',
      at: T0,
      deal_id: ids.deal,
      notes: 'Коллеги, @анна смирнова и @Игорь Ковалёв, посмотрите договор. admin@anna.test',
    });
    const mention = { kind: 'mentioned', entity: 'deals', entity_id: ids.deal, actor: 'Админ' };
    const params = { target: 'deals', name: 'Поставка станков', type: 'email', subject: null };
    expect(await drain('anna')).toEqual([{ ...mention, params }]);
    expect(await drain('igor')).toEqual([{ ...mention, params }]);
    await nothingFor('annaP', 'annaK', 'admin');
    // Editing the text: only those it newly mentions hear.
    const v = (await w.api.get(`/activities/${note}`)).body.version;
    const edited = await w.api.patch(`/activities/${note}`, {
      notes: '@Анна Смирнова, @Игорь Ковалёв и @Анна Петрова: договор готов',
      version: v,
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    // Anna Petrova, a manager, cannot open Anna Smirnova's deal: she hears nothing of it, not even
    // its title — until the deal is shared with her, when the mention is there.
    await nothingFor('annaP', 'anna', 'igor', 'annaK');
    expect((await api.annaP.get('/notifications/unread-count')).body).toEqual({ unread: 0 });
    const dv = (await w.api.get(`/deals/${ids.deal}`)).body.version;
    expect((await w.api.patch(`/deals/${ids.deal}`, { shared_with: [ids.annaP], version: dv })).status).toBe(200);
    expect((await api.annaP.get('/notifications/unread-count')).body).toEqual({ unread: 1 });
    expect(await drain('annaP')).toEqual([{ ...mention, params }]);
  });

  it('mentions: the longest full name at an @, two users of one first name, oneself never, a company note', async () => {
    const company = await created(api.anna, '/companies', { name: 'ООО «Ромашка»', owner_id: ids.anna });
    await created(api.anna, '/activities', {
      type: 'meeting',
      at: T0,
      company_id: company,
      notes: 'Встреча: @Анна Смирнова-Котова и @АННА ПЕТРОВА; я, @Анна Смирнова, веду. @Анна — без фамилии никто',
    });
    const mention = {
      kind: 'mentioned',
      entity: 'companies',
      entity_id: company,
      actor: 'Анна Смирнова',
      params: { target: 'companies', name: 'ООО «Ромашка»', type: 'meeting', subject: null },
    };
    // The two managers mentioned cannot open Anna's company (neither theirs nor of a deal of
    // theirs): nothing reaches them until it is shared with one of them.
    await nothingFor('annaK', 'annaP', 'anna', 'igor', 'admin', 'stranger');
    const cv = (await api.anna.get(`/companies/${company}`)).body.version;
    expect((await api.anna.patch(`/companies/${company}`, { shared_with: [ids.annaK], version: cv })).status).toBe(200);
    expect(await drain('annaK')).toEqual([mention]);
    await nothingFor('annaP');
  });
});

describe('mentions and access', () => {
  it("a team lead hears of a mention on a deal of their team's manager, not on another team's", async () => {
    await person(w, 'lead', 'Олег Тимлидов', 'team_lead');
    const team = async (who: string, name: string) => {
      const v = (await w.api.get(`/users/${ids[who]}`)).body.version;
      expect((await w.api.patch(`/users/${ids[who]}`, { team: name, version: v })).status).toBe(200);
    };
    await team('lead', 'Север');
    await team('anna', 'Север');
    await team('annaP', 'Юг');
    const ours = await created(w.api, '/deals', { title: 'Северная сделка', owner_id: ids.anna });
    const theirs = await created(w.api, '/deals', { title: 'Южная сделка', owner_id: ids.annaP });
    await drain('anna');
    await drain('annaP');
    for (const deal of [ours, theirs])
      await created(w.api, '/activities', { type: 'call', at: T0, deal_id: deal, notes: '@Олег Тимлидов, глянь' });
    const seen = await drain('lead');
    expect(seen.map((x) => [x.kind, x.entity_id])).toEqual([['mentioned', ours]]);
    expect((await api.lead.get('/notifications/unread-count')).body).toEqual({ unread: 0 });
  });
});

describe('isolation and reading', () => {
  it('another workspace neither makes nor sees them', async () => {
    const [n] = await h.db.query<{ n: number }>(sql`select count(*)::int8 as n from notifications where workspace_id = ${other.ws}`);
    expect(n.n).toBe(0);
    // The stranger of the other workspace mentions a name of this one: nothing here, nothing there.
    const deal = await created(other.api, '/deals', { title: 'Чужая сделка', owner_id: ids.stranger });
    await created(other.api, '/activities', { type: 'call', at: T0, deal_id: deal, notes: '@Игорь Ковалёв' });
    await nothingFor('igor');
    const theirs = await api.stranger.get('/notifications');
    expect(theirs.body.items.map((x: Seen) => x.kind)).toEqual(['deal_commented', 'deal_assigned']);
    // Ids of another person's notifications mark nothing.
    const mine = (await api.stranger.get('/notifications')).body.items[0].id as number;
    const r = await api.igor.post('/notifications/read', { ids: [mine] });
    expect(r.body).toEqual({ updated: 0, unread: 0 });
    expect((await api.stranger.get('/notifications/unread-count')).body).toEqual({ unread: 2 });
  });

  it('pages, unread only, read and unread again, refusals naming the field', async () => {
    for (const title of ['Т1', 'Т2', 'Т3']) await created(w.api, '/tasks', { title, owner_id: ids.igor });
    expect((await api.igor.get('/notifications/unread-count')).body).toEqual({ unread: 3 });
    const first = await api.igor.get('/notifications?limit=2');
    expect(first.body.items.map((x: Seen) => x.params.task)).toEqual(['Т3', 'Т2']);
    expect(first.body.unread).toBe(3);
    const second = await api.igor.get(`/notifications?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.items.map((x: Seen) => [x.kind, x.params.task ?? null])).toEqual([
      ['task_assigned', 'Т1'],
      ['mentioned', null],
    ]);
    expect(second.body.next_cursor).not.toBeNull();
    const [t3, t2] = first.body.items.map((x: { id: number }) => x.id);
    expect((await api.igor.post('/notifications/read', { ids: [t3] })).body).toEqual({ updated: 1, unread: 2 });
    const unread = await api.igor.get('/notifications?unread=true');
    expect(unread.body.items.map((x: Seen) => x.params.task)).toEqual(['Т2', 'Т1']);
    expect(unread.body.next_cursor).toBeNull();
    const read = (await api.igor.get('/notifications?limit=1')).body.items[0];
    expect(read.read_at).toBe(T0.replace('Z', '.000Z'));
    expect((await api.igor.post('/notifications/read', { ids: [t3, t2], read: false })).body).toEqual({ updated: 1, unread: 3 });
    expect((await api.igor.post('/notifications/read', { all: true })).body).toEqual({ updated: 3, unread: 0 });
    const both = await api.igor.post('/notifications/read', { all: true, ids: [t3] });
    expect(both.status).toBe(400);
    expect(both.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['ids']);
    const cursor = await api.igor.get('/notifications?cursor=nonsense');
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['cursor']);
  });
});
