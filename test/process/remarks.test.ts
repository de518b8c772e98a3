import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import type { Role } from '../../src/platform/auth/roles.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { createPipeline } from '../../src/process/pipelines.ts';
import {
  type ApiClient,
  apiClient,
  countRows,
  type Harness,
  type SeededWorkspace,
  seedWorkspace,
  startHarness,
  T0,
} from '../support/harness.ts';

/**
 * Remarks on the standard from cards and the field-usage figures beside them (issue 17): who may
 * write, read and answer them, the checks on each write, the 409 on a stale answer, the audit
 * trail, and the exact share of records where each field is filled, per stage for deals.
 */
let h: Harness;
let w: SeededWorkspace;
const people: Record<string, { id: number; api: ApiClient }> = {};

async function person(name: string, role: Role) {
  const id = await addUser(h.db, w.ws, { name, email: `${role}.${Object.keys(people).length}@${w.ws}.test`, role }, h.clock.now());
  const { token } = await createApiToken(h.ctx, { workspaceId: w.ws, userId: id }, { name: 'tests' });
  people[name] = { id, api: apiClient(h.url, token) };
  return people[name];
}

const deals: Record<string, number> = {};
const companies: Record<string, number> = {};

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Замечания');
  await person('Ольга Смирнова', 'head_of_sales');
  await person('Мария Кузнецова', 'manager');
  await person('Игорь Новиков', 'manager');
  await person('Сервис', 'service');
  const budget = await w.api.post('/custom-fields', {
    object_type: 'deal',
    key: 'budget',
    type: 'text',
    label_ru: 'Бюджет',
    label_en: 'Budget',
  });
  expect(budget.status).toBe(201);
  const tags = await w.api.post('/custom-fields', { object_type: 'deal', key: 'tags', type: 'text', label_ru: 'Метки', label_en: 'Tags' });
  expect(tags.status).toBe(201);

  const maria = people['Мария Кузнецова'];
  const deal = async (title: string, stage: string, amount: number, region: string | null) => {
    const r = await maria.api.post('/deals', { title, amount_minor: amount, stage_id: w.stage(stage).id, region });
    expect(r.status).toBe(201);
    deals[title] = r.body.id;
  };
  await deal('Сталь', 'Квалификация', 100_000, 'Москва');
  await deal('Бетон', 'Квалификация', 0, '   ');
  await deal('Стекло', 'Встреча', 500, null);
  await deal('Лес', 'Встреча', 700, 'Урал');
  await deal('Кирпич', 'Встреча', 0, null);
  expect((await maria.api.post(`/deals/${deals.Лес}/move`, { stage_id: w.stage('Успешно реализовано').id })).status).toBe(200);
  // Custom values as any field type stores them, written as they are: a blank string, an empty
  // list (a multi-choice with nothing chosen) and JSON null are not filled; the rest are.
  const custom = async (title: string, value: object) =>
    h.db.query(sql`update deals set custom = ${JSON.stringify(value)}::jsonb where workspace_id = ${w.ws} and id = ${deals[title]}`);
  await custom('Сталь', { budget: '1 млн', tags: ['срочно'] });
  await custom('Бетон', { budget: '', tags: [] });
  await custom('Стекло', { budget: null, tags: ['a', 'b'] });
  await custom('Лес', { budget: 5, tags: {} });
  // A deal of another pipeline is not counted in this one's figures.
  const other = await h.db.transaction((tx) =>
    createPipeline(tx, w.ws, h.clock.now(), {
      name: 'Партнёры',
      stages: [
        { name: 'Переговоры', kind: 'open' },
        { name: 'Подписано', kind: 'won' },
        { name: 'Отказ', kind: 'lost' },
      ],
    }),
  );
  const [otherStage] = await h.db.query<{ id: number }>(
    sql`select id from stages where workspace_id = ${w.ws} and pipeline_id = ${other} order by position limit 1`,
  );
  const partner = await w.api.post('/deals', {
    title: 'Партнёр',
    amount_minor: 1,
    pipeline_id: other,
    stage_id: Number(otherStage.id),
    region: 'Казань',
  });
  expect(partner.status).toBe(201);

  for (const [name, inn] of [
    ['Северсталь', '7736207543'],
    ['Ромашка', null],
    ['Архивная', '7707083893'],
  ] as const) {
    const r = await maria.api.post('/companies', { name, inn, owner_id: maria.id });
    expect(r.status).toBe(201);
    companies[name] = r.body.id;
  }
  const arch = await maria.api.get(`/companies/${companies.Архивная}`);
  expect((await maria.api.post(`/companies/${companies.Архивная}/archive`, { version: arch.body.version })).status).toBe(200);
});
afterAll(async () => {
  await h.close();
});

describe('remarks on the standard', () => {
  it('a manager leaves remarks from the cards she sees; the deal’s stage is kept; bad input names the field', async () => {
    const maria = people['Мария Кузнецова'];
    const onRegion = await maria.api.post('/remarks', {
      object_type: 'deal',
      record_id: deals.Сталь,
      field: 'region',
      text: '  Регион никто не заполняет — он есть в компании  ',
    });
    expect(onRegion.status).toBe(201);
    expect(onRegion.body).toEqual({
      id: expect.any(Number),
      object_type: 'deal',
      field: 'region',
      field_label_ru: 'Регион',
      field_label_en: 'Region',
      record_id: deals.Сталь,
      record_name: 'Сталь',
      stage_id: w.stage('Квалификация').id,
      stage_name: 'Квалификация',
      text: 'Регион никто не заполняет — он есть в компании',
      author_id: maria.id,
      author: 'Мария Кузнецова',
      created_at: '2025-03-03T09:00:00.000Z',
      status: 'open',
      answer: null,
      resolved_by: null,
      resolved_by_name: null,
      resolved_at: null,
      version: 1,
    });
    // The stage the card showed, when given, is kept (a stage of the deal's pipeline).
    const onBudget = await maria.api.post('/remarks', {
      object_type: 'deal',
      record_id: deals.Лес,
      stage_id: w.stage('Встреча').id,
      field: 'custom.budget',
      text: 'Нужен выбор из списка вместо текста',
    });
    expect(onBudget.status).toBe(201);
    expect([onBudget.body.stage_name, onBudget.body.field_label_ru]).toEqual(['Встреча', 'Бюджет']);
    const general = await maria.api.post('/remarks', {
      object_type: 'company',
      record_id: companies.Северсталь,
      text: 'Нужно поле «Холдинг»',
    });
    expect(general.status).toBe(201);
    expect([general.body.field, general.body.stage_id, general.body.record_name]).toEqual([null, null, 'Северсталь']);

    const field = await maria.api.post(
      '/remarks',
      { object_type: 'deal', record_id: deals.Сталь, field: 'custom.nope', text: 'x' },
      { 'accept-language': 'ru' },
    );
    expect(field.status).toBe(400);
    expect(field.body.error.fields).toEqual([{ field: 'field', message: '«custom.nope» — не поле этой карточки', code: 'not_found' }]);
    const empty = await maria.api.post('/remarks', { object_type: 'deal', text: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.fields.map((x: { field: string }) => x.field)).toEqual(['text']);
    const long = await maria.api.post('/remarks', { object_type: 'deal', text: 'я'.repeat(2001) });
    expect(long.status).toBe(400);
    expect(long.body.error.fields.map((x: { field: string }) => x.field)).toEqual(['text']);
    expect((await maria.api.post('/remarks', { object_type: 'deal', text: 'я'.repeat(2000) })).status).toBe(201);
    const foreignStage = await maria.api.post('/remarks', { object_type: 'deal', record_id: deals.Сталь, stage_id: 999_999, text: 'x' });
    expect(foreignStage.status).toBe(400);
    expect(foreignStage.body.error.fields[0].field).toBe('stage_id');
    const companyStage = await maria.api.post('/remarks', { object_type: 'company', stage_id: w.stage('Встреча').id, text: 'x' });
    expect(companyStage.status).toBe(400);
    expect(companyStage.body.error.fields[0].field).toBe('stage_id');

    // Igor does not see Maria's deal: it is not found for him, as on its card; the service role has no leads.
    const igor = people['Игорь Новиков'];
    expect((await igor.api.post('/remarks', { object_type: 'deal', record_id: deals.Сталь, text: 'Не моя сделка' })).status).toBe(404);
    expect((await igor.api.post('/remarks', { object_type: 'deal', record_id: 999_999, text: 'Нет такой' })).status).toBe(404);
    expect((await people.Сервис.api.post('/remarks', { object_type: 'lead', text: 'Лиды' })).status).toBe(403);
    expect(await countRows(h.db, 'standard_remarks', w.ws)).toBe(4);

    const audit = await h.db.query<{ action: string; changes: Record<string, { from: unknown; to: unknown }>; version: number }>(
      sql`select action, changes, version from audit_log where workspace_id = ${w.ws} and entity = 'standard_remarks' and entity_id = ${onRegion.body.id}`,
    );
    expect(audit).toEqual([
      {
        action: 'create',
        version: 1,
        changes: {
          object_type: { from: null, to: 'deal' },
          field: { from: null, to: 'region' },
          record_id: { from: null, to: deals.Сталь },
          stage_id: { from: null, to: w.stage('Квалификация').id },
          text: { from: null, to: 'Регион никто не заполняет — он есть в компании' },
        },
      },
    ]);
  });

  it('the head of sales reads all of them, filtered; everyone else only their own', async () => {
    const head = people['Ольга Смирнова'].api;
    const all = await head.get('/remarks');
    expect(all.status).toBe(200);
    expect(all.body.items.map((r: { text: string }) => r.text.slice(0, 20))).toEqual([
      'я'.repeat(20),
      'Нужно поле «Холдинг»',
      'Нужен выбор из списк',
      'Регион никто не запо',
    ]);
    expect(all.body.next_cursor).toBeNull();
    const deal = await head.get('/remarks?object=deal&status=open&limit=2');
    expect(deal.body.items.map((r: { field: string | null }) => r.field)).toEqual([null, 'custom.budget']);
    const next = await head.get(`/remarks?object=deal&status=open&limit=2&cursor=${deal.body.next_cursor}`);
    expect(next.body.items.map((r: { field: string | null }) => r.field)).toEqual(['region']);
    expect(next.body.next_cursor).toBeNull();
    expect((await head.get('/remarks?field=custom.budget')).body.items.map((r: { text: string }) => r.text)).toEqual([
      'Нужен выбор из списка вместо текста',
    ]);
    expect((await head.get('/remarks?field=none&object=company')).body.items.map((r: { text: string }) => r.text)).toEqual([
      'Нужно поле «Холдинг»',
    ]);
    expect((await head.get('/remarks?status=done')).body.items).toEqual([]);
    expect((await people['Мария Кузнецова'].api.get('/remarks')).body.items).toHaveLength(4);
    expect((await people['Игорь Новиков'].api.get('/remarks')).body.items).toEqual([]);
    expect((await head.get('/remarks?cursor=zzz')).status).toBe(400);
  });

  it('the head of sales answers: a rejection says why, a stale version is 409 naming the change, each answer is audited', async () => {
    const head = people['Ольга Смирнова'];
    const maria = people['Мария Кузнецова'];
    const [region] = (await head.api.get('/remarks?field=region')).body.items;
    expect((await maria.api.patch(`/remarks/${region.id}`, { version: 1, status: 'done' })).status).toBe(403);

    const noReason = await head.api.patch(`/remarks/${region.id}`, { version: 1, status: 'rejected', answer: '  ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.fields.map((x: { field: string }) => x.field)).toEqual(['answer']);

    h.clock.set('2025-03-04T10:30:00Z');
    const accepted = await head.api.patch(`/remarks/${region.id}`, { version: 1, status: 'accepted', answer: 'Уберём регион со сделки' });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      status: 'accepted',
      answer: 'Уберём регион со сделки',
      resolved_by: head.id,
      resolved_by_name: 'Ольга Смирнова',
      resolved_at: '2025-03-04T10:30:00.000Z',
      version: 2,
    });
    const stale = await head.api.patch(`/remarks/${region.id}`, { version: 1, status: 'done' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('VERSION_CONFLICT');
    expect(
      stale.body.error.changes.map((c: { field: string; from: unknown; to: unknown; user: string }) => [c.field, c.from, c.to, c.user]),
    ).toEqual([
      ['answer', null, 'Уберём регион со сделки', 'Ольга Смирнова'],
      ['status', 'open', 'accepted', 'Ольга Смирнова'],
    ]);
    const done = await head.api.patch(`/remarks/${region.id}`, { version: 2, status: 'done' });
    expect([done.status, done.body.status, done.body.answer, done.body.version]).toEqual([200, 'done', 'Уберём регион со сделки', 3]);
    // The same again changes nothing: no new version, no audit row.
    expect((await head.api.patch(`/remarks/${region.id}`, { version: 3, status: 'done' })).body.version).toBe(3);
    expect((await head.api.patch(`/remarks/${region.id}`, { version: 3 })).status).toBe(400);
    expect((await head.api.patch('/remarks/999999', { version: 1, status: 'done' })).status).toBe(404);

    const trail = await h.db.query<{ action: string; changes: unknown; version: number; user_id: number }>(
      sql`select action, changes, version, user_id from audit_log
           where workspace_id = ${w.ws} and entity = 'standard_remarks' and entity_id = ${region.id} order by id`,
    );
    expect(trail.slice(1)).toEqual([
      {
        action: 'update',
        version: 2,
        user_id: head.id,
        changes: { status: { from: 'open', to: 'accepted' }, answer: { from: null, to: 'Уберём регион со сделки' } },
      },
      { action: 'update', version: 3, user_id: head.id, changes: { status: { from: 'accepted', to: 'done' } } },
    ]);
    // Reopened, it is nobody's answer yet; the author sees the answer on her own list.
    const reopened = await head.api.patch(`/remarks/${region.id}`, { version: 3, status: 'open' });
    expect([reopened.body.status, reopened.body.resolved_by, reopened.body.resolved_at]).toEqual(['open', null, null]);
    const back = await head.api.patch(`/remarks/${region.id}`, { version: 4, status: 'done' });
    expect(back.body.version).toBe(5);
    const mine = (await maria.api.get('/remarks?field=region')).body.items[0];
    expect([mine.status, mine.answer, mine.resolved_by_name]).toEqual(['done', 'Уберём регион со сделки', 'Ольга Смирнова']);
    h.clock.set(T0);
  });

  it('lists the fields a remark may name: the card’s standard ones in order, then the custom ones', async () => {
    const r = await people['Мария Кузнецова'].api.get('/remarks/fields?object=deal');
    expect(r.status).toBe(200);
    expect(r.body.items.map((x: { field: string }) => x.field)).toEqual([
      'title',
      'amount_minor',
      'company_id',
      'contact_id',
      'owner_id',
      'segment_id',
      'channel_id',
      'region',
      'atypical',
      'atypical_reason',
      'custom.budget',
      'custom.tags',
    ]);
    expect(r.body.items[10]).toEqual({ field: 'custom.budget', label_ru: 'Бюджет', label_en: 'Budget', custom: true, type: 'text' });
    expect((await people.Сервис.api.get('/remarks/fields?object=lead')).status).toBe(403);
  });
});

describe('field usage', () => {
  it('is the head of sales’ tool: a manager is refused', async () => {
    const r = await people['Мария Кузнецова'].api.get('/field-usage?object=deal', { 'accept-language': 'ru' });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toBe('заполненность полей видят только администратор и РОП');
  });

  it('deals: filled / records per field over the pipeline, by the stage each deal is in now, with the open remarks', async () => {
    const r = await people['Ольга Смирнова'].api.get(`/field-usage?object=deal&pipeline_id=${w.pipelineId}`);
    expect(r.status).toBe(200);
    const u = r.body;
    expect([u.object, u.pipeline_id, u.records]).toEqual(['deal', w.pipelineId, 5]);
    expect(u.stages.map((s: { name: string; kind: string; records: number }) => [s.name, s.kind, s.records])).toEqual([
      ['Новый лид', 'open', 0],
      ['Квалификация', 'open', 2],
      ['Встреча', 'open', 2],
      ['Демо', 'open', 0],
      ['КП отправлено', 'open', 0],
      ['Успешно реализовано', 'won', 1],
      ['Закрыто и не реализовано', 'lost', 0],
    ]);
    const row = (field: string) => {
      const x = u.fields.find((y: { field: string }) => y.field === field);
      return [
        x.filled,
        x.share,
        x.by_stage.map((s: { filled: number; records: number }) => `${s.filled}/${s.records}`).join(' '),
        x.open_remarks,
      ];
    };
    // Region: «Москва», «Урал»; a blank one and two nulls are not filled.
    expect(row('region')).toEqual([2, 0.4, '0/0 1/2 0/2 0/0 0/0 1/1 0/0', 0]);
    // An amount of 0 is the one a deal starts with: not filled.
    expect(row('amount_minor')).toEqual([3, 0.6, '0/0 1/2 1/2 0/0 0/0 1/1 0/0', 0]);
    expect(row('title')).toEqual([5, 1, '0/0 2/2 2/2 0/0 0/0 1/1 0/0', 0]);
    expect(row('company_id')).toEqual([0, 0, '0/0 0/2 0/2 0/0 0/0 0/1 0/0', 0]);
    expect(row('owner_id')[0]).toBe(5);
    expect(row('atypical')[0]).toBe(0);
    // Custom: '1 млн' and 5 fill the budget ('' and null do not); tags: two non-empty lists (an empty list and {} do not).
    expect(row('custom.budget')).toEqual([2, 0.4, '0/0 1/2 0/2 0/0 0/0 1/1 0/0', 1]);
    expect(row('custom.tags')).toEqual([2, 0.4, '0/0 1/2 1/2 0/0 0/0 0/1 0/0', 0]);
    expect(u.open_remarks_general).toBe(1);

    // Without a pipeline: the workspace's first one.
    const first = await people['Ольга Смирнова'].api.get('/field-usage?object=deal');
    expect([first.body.pipeline_id, first.body.records]).toEqual([w.pipelineId, 5]);
    expect((await w.api.get('/field-usage?object=deal&pipeline_id=999999')).status).toBe(404);
  });

  it('companies: archived ones left out, no stages; a pipeline is refused for them', async () => {
    const r = await w.api.get('/field-usage?object=company');
    expect(r.status).toBe(200);
    expect([r.body.pipeline_id, r.body.records, r.body.stages]).toEqual([null, 2, []]);
    const inn = r.body.fields.find((x: { field: string }) => x.field === 'inn');
    expect([inn.filled, inn.share, inn.by_stage, inn.open_remarks]).toEqual([1, 0.5, [], 0]);
    expect(r.body.open_remarks_general).toBe(1);
    const bad = await w.api.get(`/field-usage?object=company&pipeline_id=${w.pipelineId}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe('pipeline_id');
    const leads = await w.api.get('/field-usage?object=lead');
    expect([leads.body.records, leads.body.fields.every((x: { share: unknown }) => x.share === null)]).toEqual([0, true]);
  });
});
