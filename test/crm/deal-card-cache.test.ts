import sql, { type Sql } from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import type { Db, Queryable } from '../../src/platform/db/types.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

// Deal cards are kept whole in the row cache, keyed by the card's stamp: the id and stored version
// (`xmin`) of every row the card shows. Here each kind of change a card can show is made behind the
// API's back (SQL as the owner, as another process or a person at psql would) and must be on the
// very next card, which must equal the card read whole with an empty cache. The pipeline's
// configuration is cached as in production (it is dropped by writes through the API, and read
// again after `reportCacheMs`), so a stage renamed in SQL must show in the card's timeline through
// the card's stamp alone (the card's header takes stage names from the configuration).
let h: Harness;
let w: SeededWorkspace;
let ids: Record<string, number>;
let statements = 0;

/** Counts the statements the routes run (scoped reads and transactions both). */
function countStatements(db: Db) {
  const counted = (q: Queryable): Queryable =>
    new Proxy(q, {
      get(target, key) {
        const v = Reflect.get(target, key);
        if (key === 'query' || key === 'run')
          return (...args: unknown[]) => {
            statements++;
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  const transaction = db.transaction.bind(db);
  db.transaction = (fn, opts) => transaction((tx) => fn(counted(tx)), opts);
  const single = db.single?.bind(db);
  if (single) Object.assign(db, { single: (scope: never, fn: (q: Queryable) => Promise<unknown>) => single(scope, (q) => fn(counted(q))) });
}

const owner = (q: Sql) => h.db.query(q); // the owner: no workspace scope, no row security

async function card(id: number, api: ApiClient = w.api) {
  const res = await api.get(`/deals/${id}/card`);
  expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
  return res.body;
}

/** The card as the cache answers it, and the card read whole (cache emptied first): equal. */
async function cachedAndWhole(id: number) {
  const cached = await card(id);
  h.app.caches.cards?.clear();
  const whole = await card(id);
  expect(cached).toStrictEqual(whole);
  return cached;
}

beforeAll(async () => {
  h = await startHarness({ config: { reportCacheMs: 30_000 } });
  w = await seedWorkspace(h, 'Карточки');
  const make = async (path: string, body: Record<string, unknown>) => {
    const r = await w.api.post(path, body);
    expect(r.status, `${path} ${JSON.stringify(r.body)}`).toBe(201);
    return r.body.id as number;
  };
  ids = {};
  ids.segment = await make('/segments', { name: 'Крупные' });
  ids.channel = await make('/channels', { name: 'Выставка' });
  ids.company = await make('/companies', { name: 'ООО «Ромашка»' });
  ids.contact = await make('/contacts', { name: 'Иван Петров', company_id: ids.company });
  ids.lead = await make('/leads', { title: 'Заявка с выставки' });
  ids.deal = await make('/deals', {
    title: 'Поставка',
    amount_minor: 1_234_56,
    stage_id: w.stage('Новый лид').id,
    company_id: ids.company,
    contact_id: ids.contact,
    lead_id: ids.lead,
    segment_id: ids.segment,
    channel_id: ids.channel,
    owner_id: w.adminId,
  });
  ids.other = await make('/deals', { title: 'Другая', amount_minor: 100, stage_id: w.stage('Новый лид').id });
  ids.task = await make('/tasks', { title: 'Позвонить', deal_id: ids.deal });
  ids.activity = await make('/activities', {
    type: 'call',
    outcome: 'held',
    at: '2025-03-03T08:00:00Z',
    deal_id: ids.deal,
    subject: 'Первый звонок',
  });
  const moved = await w.api.post(`/deals/${ids.deal}/move`, { stage_id: w.stage('Квалификация').id, reason: 'Есть бюджет' });
  expect(moved.status, JSON.stringify(moved.body)).toBe(200);
  const now = (await w.api.get(`/deals/${ids.deal}`)).body;
  expect((await w.api.patch(`/deals/${ids.deal}`, { version: now.version, region: 'Москва' })).status).toBe(200);
  countStatements(h.db);
});
afterAll(async () => {
  await h.close();
});

describe('deal cards from the row cache', () => {
  it('answer a card seen before with one statement fewer, the same card', async () => {
    await card(ids.other); // the pipeline's configuration, cached
    h.app.caches.cards?.clear();
    statements = 0;
    const cold = await card(ids.deal);
    const first = statements;
    statements = 0;
    const warm = await card(ids.deal);
    const second = statements;
    expect(warm).toStrictEqual(cold);
    // Cold: the stamp, then the card read whole. Warm: the stamp only.
    expect(first - second).toBe(1);
    statements = 0;
    await card(ids.deal);
    expect(statements).toBe(second);
    // The card shows what was built above.
    expect(cold.names).toEqual({
      company: 'ООО «Ромашка»',
      contact: 'Иван Петров',
      owner: 'Админ',
      segment: 'Крупные',
      channel: 'Выставка',
      lead: 'Заявка с выставки',
    });
    expect(cold.timeline.map((t: { kind: string }) => t.kind).sort()).toEqual(['activity', 'edit', 'stage', 'stage']);
    expect(cold.tasks.map((t: { title: string }) => t.title)).toEqual(['Позвонить']);
  });

  it('keep a card through changes it does not show: failed sign-ins of a user, the phone of a company', async () => {
    await card(ids.deal);
    statements = 0;
    const before = await card(ids.deal); // from the cache
    const hit = statements;
    await owner(sql`update users set failed_logins = failed_logins + 1 where id = ${w.adminId}`);
    await owner(sql`update companies set phone = '+7 495 000-00-00' where id = ${ids.company}`);
    await owner(sql`update users set failed_logins = 0 where id = ${w.adminId}`);
    statements = 0;
    const after = await card(ids.deal);
    expect(statements).toBe(hit); // still from the cache
    expect(after).toStrictEqual(before);
    expect(await cachedAndWhole(ids.deal)).toStrictEqual(before);
  });

  // Each change, made in SQL by the owner, and what the next card must show.
  const changes: [string, () => Promise<unknown>, (c: any) => unknown, unknown][] = [
    ['the deal', () => owner(sql`update deals set title = 'Поставка 2' where id = ${ids.deal}`), (c) => c.deal.title, 'Поставка 2'],
    ['a task', () => owner(sql`update tasks set title = 'Перезвонить' where id = ${ids.task}`), (c) => c.tasks[0].title, 'Перезвонить'],
    [
      'a new task',
      () =>
        owner(sql`insert into tasks (workspace_id, title, type, status, deal_id, owner_id, created_at, updated_at)
                  select workspace_id, 'Отправить КП', type, 'open', deal_id, owner_id, created_at, updated_at from tasks where id = ${ids.task}`),
      (c) => c.tasks.map((t: { title: string }) => t.title).sort(),
      ['Отправить КП', 'Перезвонить'],
    ],
    [
      'a deleted task',
      () => owner(sql`delete from tasks where deal_id = ${ids.deal} and title = 'Отправить КП'`),
      (c) => c.tasks.length,
      1,
    ],
    [
      'an activity',
      () => owner(sql`update activities set subject = 'Звонок-знакомство' where id = ${ids.activity}`),
      (c) => c.timeline.find((t: { kind: string }) => t.kind === 'activity').detail,
      'Звонок-знакомство',
    ],
    [
      'a user renamed (owner, author of the moves, edits, tasks and activities)',
      () => owner(sql`update users set name = 'Админ Админович' where id = ${w.adminId}`),
      (c) => [c.names.owner, c.tasks[0].owner, ...c.timeline.map((t: { user: string | null }) => t.user)],
      ['Админ Админович', 'Админ Админович', 'Админ Админович', 'Админ Админович', 'Админ Админович', 'Админ Админович'],
    ],
    [
      'a stage renamed (its moves)',
      () => owner(sql`update stages set name = 'Квалификация лида' where id = ${w.stage('Квалификация').id}`),
      (c) => c.timeline.filter((t: { kind: string }) => t.kind === 'stage').map((t: { title: string }) => t.title),
      ['Квалификация лида', 'Новый лид'],
    ],
    [
      'the company renamed',
      () => owner(sql`update companies set name = 'ООО «Василёк»' where id = ${ids.company}`),
      (c) => c.names.company,
      'ООО «Василёк»',
    ],
    [
      'the contact renamed',
      () => owner(sql`update contacts set name = 'Иван Сидоров' where id = ${ids.contact}`),
      (c) => c.names.contact,
      'Иван Сидоров',
    ],
    [
      'the segment renamed',
      () => owner(sql`update segments set name = 'Ключевые' where id = ${ids.segment}`),
      (c) => c.names.segment,
      'Ключевые',
    ],
    ['the channel renamed', () => owner(sql`update channels set name = 'Сайт' where id = ${ids.channel}`), (c) => c.names.channel, 'Сайт'],
    [
      'the lead renamed',
      () => owner(sql`update leads set title = 'Заявка с сайта' where id = ${ids.lead}`),
      (c) => c.names.lead,
      'Заявка с сайта',
    ],
    [
      'an edit in the audit log',
      () =>
        owner(sql`insert into audit_log (workspace_id, at, user_id, entity, entity_id, action, changes)
                  values (${w.ws}, '2025-03-03T09:30:00Z', null, 'deals', ${ids.deal}, 'update', '{"amount_minor": {"from": 1, "to": 2}}')`),
      (c) => c.timeline.filter((t: { kind: string }) => t.kind === 'edit').map((t: { title: string }) => t.title),
      ['amount_minor', 'region'],
    ],
    [
      "a company named only in an edit renamed (the names behind an edit's ids)",
      async () => {
        const [c] = await owner(sql`insert into companies (workspace_id, name) values (${w.ws}, 'ООО «Прежняя»') returning id`);
        await owner(sql`insert into audit_log (workspace_id, at, user_id, entity, entity_id, action, changes)
                        values (${w.ws}, '2025-03-03T09:40:00Z', null, 'deals', ${ids.deal}, 'update',
                                ${JSON.stringify({ company_id: { from: Number(c.id), to: ids.company } })}::jsonb)`);
        await card(ids.deal); // the card with that edit, in the cache
        await owner(sql`update companies set name = 'ООО «Переименованная»' where id = ${c.id}`);
      },
      (c) => c.timeline.find((t: { kind: string; title: string }) => t.kind === 'edit' && t.title === 'company_id').changes[0].from_name,
      'ООО «Переименованная»',
    ],
    [
      'a move (a new entry of the history)',
      () => w.api.post(`/deals/${ids.deal}/move`, { stage_id: w.stage('Встреча').id }),
      (c) => c.stage.name,
      'Встреча',
    ],
  ];
  for (const [what, change, pick, expected] of changes)
    it(`show ${what} on the next card`, async () => {
      const before = await cachedAndWhole(ids.deal);
      await card(ids.deal); // now certainly in the cache
      await change();
      const after = await cachedAndWhole(ids.deal);
      expect(pick(after)).toEqual(expected);
      expect(after).not.toStrictEqual(before);
      // Another deal's card is unaffected by what is not on it, and still right.
      await cachedAndWhole(ids.other);
    });

  it('keep to the rows a card shows: the 200 latest activities', async () => {
    await owner(sql`insert into activities (workspace_id, type, at, deal_id, subject, owner_id, created_at, updated_at)
                    select ${w.ws}, 'call', timestamptz '2025-01-01T00:00:00Z' + n * interval '1 minute', ${ids.other}, 'Звонок ' || n, ${w.adminId}, now(), now()
                      from generate_series(1, 210) n`);
    const full = await cachedAndWhole(ids.other);
    const activities = () => full.timeline.filter((t: { kind: string }) => t.kind === 'activity');
    expect(activities()).toHaveLength(200);
    expect(activities()[0].detail).toBe('Звонок 210');
    // An activity older than the 200 shown changes: the card is the same.
    await owner(sql`update activities set subject = 'Звонок первый' where deal_id = ${ids.other} and subject = 'Звонок 1'`);
    expect(await cachedAndWhole(ids.other)).toStrictEqual(full);
    // One of those shown changes: it shows.
    await owner(sql`update activities set subject = 'Звонок последний' where deal_id = ${ids.other} and subject = 'Звонок 210'`);
    const changed = await cachedAndWhole(ids.other);
    expect(changed.timeline.filter((t: { kind: string }) => t.kind === 'activity')[0].detail).toBe('Звонок последний');
  });

  it('answer 404 to whom may not see the deal, although its card is in the cache', async () => {
    const anna = await addUser(
      h.db,
      w.ws,
      { name: 'Анна', email: `anna@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
      h.ctx.clock.now(),
    );
    const { token } = await createApiToken(h.ctx, { workspaceId: w.ws, userId: anna }, { name: 'tests' });
    const asAnna = apiClient(h.url, token);
    const cached = await card(ids.deal); // the admin's, in the cache
    await card(ids.deal);
    expect((await asAnna.get(`/deals/${ids.deal}/card`)).status).toBe(404);
    // Shared with her, the same card (the card does not depend on who reads it).
    await owner(sql`update deals set shared_with = array[${anna}::int8] where id = ${ids.deal}`);
    const shared = await card(ids.deal, asAnna);
    expect(shared.deal.shared_with).toEqual([anna]);
    expect({ ...shared, deal: { ...shared.deal, shared_with: [] } }).toStrictEqual({
      ...cached,
      deal: { ...cached.deal, shared_with: [] },
    });
    // No longer shared: 404 again, though her card is in the cache.
    await owner(sql`update deals set shared_with = '{}' where id = ${ids.deal}`);
    expect((await asAnna.get(`/deals/${ids.deal}/card`)).status).toBe(404);
    expect((await w.api.get('/deals/999999/card')).status).toBe(404);
  });
});
