import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { type CustomFieldDef, checkCustomValues, isWebLink } from '../../src/platform/resource/custom-values.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { checkLayout, type LayoutInput } from '../../src/process/card-designer.ts';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let managerId: number;
let goneId: number;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Дизайнер');
  const now = h.ctx.clock.now();
  managerId = await addUser(
    h.db,
    w.ws,
    { name: 'Мария Кузнецова', email: `m@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
    now,
  );
  goneId = await addUser(
    h.db,
    w.ws,
    { name: 'Пётр Ушедший', email: `g@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
    now,
  );
  await h.db.query(sql`update users set active = false where workspace_id = ${w.ws} and id = ${goneId}`);
});
afterAll(async () => {
  await h.close();
});

const put = (path: string, body: unknown, api = w.api) =>
  api.raw(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const codes = (r: { body: { error: { fields: { field: string; code: string }[] } } }) =>
  r.body.error.fields.map((f) => `${f.field}:${f.code}`).sort();

const def = (key: string, type: CustomFieldDef['type'], choices: string[] = []): [string, CustomFieldDef] => [
  key,
  { key, type, choices: choices.map((value) => ({ value })), label_ru: `Поле ${key}`, label_en: `Field ${key}` },
];

describe('values of the new custom field types', () => {
  const defs = new Map([def('tags', 'multi_choice', ['a', 'b']), def('curator', 'user'), def('site', 'link')]);
  const users = new Map([
    [7, true],
    [8, false],
  ]);
  const check = (values: Record<string, unknown>) =>
    checkCustomValues(defs, values, users).map((i) => `${i.field}:${i.code}:${typeof i.message === 'string' ? i.message : i.message.ru}`);

  it('a multi-choice is a list of distinct choice values', () => {
    expect(check({ tags: ['a', 'b'] })).toEqual([]);
    expect(check({ tags: [] })).toEqual([]);
    expect(check({ tags: ['a', 'zz'] })).toEqual(['custom.tags:unknown_choice:Поле tags: нет варианта «zz»; ожидались значения из: a, b']);
    expect(check({ tags: ['a', 'a'] })).toEqual(['custom.tags:duplicate:Поле tags: «a» выбрано дважды']);
    expect(check({ tags: 'a' })).toEqual(['custom.tags:invalid_type:Поле tags: ожидался список значений']);
    expect(check({ tags: [1] })).toEqual(['custom.tags:invalid_type:Поле tags: ожидался список значений']);
  });

  it('a user is an active user of the workspace', () => {
    expect(check({ curator: 7 })).toEqual([]);
    expect(check({ curator: 8 })).toEqual(['custom.curator:inactive_user:Поле curator: пользователь #8 отключён']);
    expect(check({ curator: 9 })).toEqual(['custom.curator:not_found:Поле curator: нет пользователя #9']);
    expect(check({ curator: '7' })).toEqual(['custom.curator:invalid_type:Поле curator: ожидался id пользователя']);
    expect(check({ curator: 1.5 })).toEqual(['custom.curator:invalid_type:Поле curator: ожидался id пользователя']);
  });

  it('a link is an http(s) address', () => {
    expect(check({ site: 'https://example.ru/путь?q=1' })).toEqual([]);
    expect(check({ site: 'http://localhost:8080' })).toEqual([]);
    for (const bad of ['javascript:alert(1)', 'ftp://example.ru', 'example.ru', 'https://', 'https://a b.ru', 42])
      expect(check({ site: bad }), String(bad)).toEqual([
        'custom.site:invalid_url:Поле site: ожидался адрес, начинающийся с http:// или https://',
      ]);
    expect(isWebLink(`https://x.ru/${'a'.repeat(2000)}`)).toBe(false);
  });

  it('null removes any value', () => {
    expect(check({ tags: null, curator: null, site: null })).toEqual([]);
  });
});

describe('checkLayout', () => {
  const blocks = [{ id: 1, name_ru: 'Деньги', name_en: 'Money', pinned: false, position: 1 }];
  const fields = [
    { id: 10, key: 'budget', label_ru: 'Бюджет', label_en: 'Budget', type: 'money' as const, choices: [], block_id: 1, position: 1 },
    { id: 11, key: 'source', label_ru: 'Источник', label_en: 'Source', type: 'text' as const, choices: [], block_id: null, position: 1 },
  ];
  const base = (): LayoutInput => ({
    version: 'x',
    blocks: [{ id: 1, name_ru: 'Деньги', name_en: 'Money', pinned: false, fields: ['budget'] }],
    loose: ['source'],
    fields: [],
  });
  it('accepts the layout as it is', () => expect(checkLayout(base(), blocks, fields)).toEqual([]));
  it('names each problem by its place', () => {
    const l = base();
    l.blocks.push({ id: 5, name_ru: 'деньги', name_en: 'Other', pinned: true, fields: ['budget', 'nope'] });
    l.loose = [];
    l.fields = [
      { key: 'budget', label_ru: 'Бюджет', label_en: 'Budget', type: 'text', choices: [] },
      { key: 'tags', label_ru: 'Теги', label_en: 'Tags', type: 'multi_choice', choices: [] },
      { key: 'site', label_ru: 'Сайт', label_en: 'Site', type: 'link', choices: [{ value: 'a', label_ru: 'a', label_en: 'a' }] },
    ];
    expect(checkLayout(l, blocks, fields).map((i) => `${i.field}:${i.code}`)).toEqual([
      'fields.0.type:immutable',
      'fields.1.choices:required',
      'fields.2.choices:invalid',
      'blocks.1.id:not_found',
      'blocks.1.name_ru:duplicate',
      'blocks.1.fields.0:duplicate',
      'blocks.1.fields.1:not_found',
      'blocks:required',
      'fields.1.key:required',
      'fields.2.key:required',
    ]);
  });
});

describe('the new types through the API', () => {
  let deal: number;
  beforeAll(async () => {
    for (const f of [
      {
        key: 'tags',
        label_ru: 'Теги',
        label_en: 'Tags',
        type: 'multi_choice',
        choices: ['crm', 'erp', 'bi'].map((v) => ({ value: v, label_ru: v.toUpperCase(), label_en: v })),
      },
      { key: 'curator', label_ru: 'Куратор', label_en: 'Curator', type: 'user' },
      { key: 'site', label_ru: 'Сайт', label_en: 'Site', type: 'link' },
    ])
      expect((await w.api.post('/custom-fields', { object_type: 'deal', ...f })).status).toBe(201);
    const created = await w.api.post('/deals', {
      title: 'Внедрение',
      custom: { tags: ['crm', 'bi'], curator: managerId, site: 'https://romashka.ru' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    deal = created.body.id;
    await w.api.post('/deals', { title: 'Другая', custom: { tags: ['erp'] } });
  });

  it('a multi-choice field needs choices, a link none', async () => {
    const r = await w.api.post('/custom-fields', {
      object_type: 'deal',
      key: 'kinds',
      label_ru: 'Виды',
      label_en: 'Kinds',
      type: 'multi_choice',
    });
    expect(r.status).toBe(400);
    expect(codes(r)).toEqual(['choices:required']);
    const l = await w.api.post('/custom-fields', {
      object_type: 'company',
      key: 'url',
      label_ru: 'Адрес',
      label_en: 'URL',
      type: 'link',
      choices: [{ value: 'a', label_ru: 'a', label_en: 'a' }],
    });
    expect(codes(l)).toEqual(['choices:invalid']);
  });

  it('stores valid values and refuses bad ones naming the field', async () => {
    const d = (await w.api.get(`/deals/${deal}`)).body;
    expect(d.custom).toEqual({ tags: ['crm', 'bi'], curator: managerId, site: 'https://romashka.ru' });
    const bad = await w.api.patch(`/deals/${deal}`, {
      version: d.version,
      custom: { tags: ['crm', 'sap'], curator: goneId, site: 'romashka.ru' },
    });
    expect(bad.status).toBe(400);
    expect(codes(bad)).toEqual(['custom.curator:inactive_user', 'custom.site:invalid_url', 'custom.tags:unknown_choice']);
    expect(bad.body.error.fields.find((f: { field: string }) => f.field === 'custom.curator').message).toMatch(/Curator|Куратор/);
  });

  it('filters lists: a multi-choice by any of its values, a user by id, a link by text', async () => {
    const titles = async (q: string) => ((await w.api.get(`/deals?${q}`)).body.items as { title: string }[]).map((x) => x.title).sort();
    expect(await titles('custom.tags=bi')).toEqual(['Внедрение']);
    expect(await titles('custom.tags=bi,erp')).toEqual(['Внедрение', 'Другая']);
    expect(await titles(`custom.curator=${managerId}`)).toEqual(['Внедрение']);
    expect(await titles('custom.site=romashka')).toEqual(['Внедрение']);
    const bad = await w.api.get('/deals?custom.tags=sap');
    expect(bad.status).toBe(400);
    expect((await w.api.get('/deals?custom.curator=maria')).status).toBe(400);
  });

  it('the deal card carries the new types in its blocks', async () => {
    const card = (await w.api.get(`/deals/${deal}/card`)).body;
    const fields = card.blocks.flatMap((b: { fields: { key: string; type: string }[] }) => b.fields);
    expect(fields.map((f: { key: string; type: string }) => `${f.key}:${f.type}`)).toEqual([
      'tags:multi_choice',
      'curator:user',
      'site:link',
    ]);
  });
});

describe('the card layout', () => {
  let smb: number;
  const layout = async (object = 'deal') => (await w.api.get(`/card-layouts/${object}`)).body;
  beforeAll(async () => {
    smb = (await w.api.post('/segments', { name: 'SMB' })).body.id;
    await w.api.post('/custom-fields', { object_type: 'deal', key: 'budget', label_ru: 'Бюджет', label_en: 'Budget', type: 'money' });
    await w.api.post('/stage-requirements', { stage_id: w.stage('Демо').id, field: 'custom.budget', segment_ids: [smb] });
  });

  it('reads blocks, loose fields and the stages that ask for each field', async () => {
    const l = await layout();
    expect(l.blocks).toEqual([]);
    expect(l.loose.map((f: { key: string }) => f.key)).toEqual(['tags', 'curator', 'site', 'budget']);
    expect(l.loose[3].required_by).toEqual([{ pipeline: 'Продажи', stage_id: w.stage('Демо').id, stage: 'Демо', segments: ['SMB'] }]);
    expect(l.loose[0].required_by).toEqual([]);
    expect(typeof l.version).toBe('string');
  });

  it('saves blocks, places, pins, a new field and a label in one step with one audit entry in words', async () => {
    const l = await layout();
    const first = await put('/card-layouts/deal', {
      version: l.version,
      blocks: [
        { id: null, name_ru: 'Квалификация', name_en: 'Qualification', pinned: false, fields: ['budget', 'tags'] },
        { id: null, name_ru: 'Деньги', name_en: 'Money', pinned: false, fields: [] },
      ],
      loose: ['curator', 'site'],
    });
    expect(first.status).toBe(200);
    const [q, money] = first.body.blocks;
    const audits = async () =>
      h.db.query<{ changes: Record<string, { from: unknown; to: unknown }>; entity_id: number }>(
        sql`select changes, entity_id from audit_log where workspace_id = ${w.ws} and entity = 'card_layout' order by id`,
      );
    // (jsonb keeps keys in its own order.)
    expect((await audits())[0].changes).toEqual({
      'Новый блок «Квалификация»': { from: null, to: 'Квалификация' },
      'Новый блок «Деньги»': { from: null, to: 'Деньги' },
      'Поле «Бюджет»: блок «без блока» → «Квалификация»': { from: 'без блока', to: 'Квалификация' },
      'Поле «Теги»: блок «без блока» → «Квалификация»': { from: 'без блока', to: 'Квалификация' },
    });
    const second = await put('/card-layouts/deal', {
      version: first.body.version,
      blocks: [
        { id: money.id, name_ru: 'Деньги', name_en: 'Money', pinned: true, fields: ['budget', 'deal_size'] },
        { id: q.id, name_ru: 'Квалификация', name_en: 'Qualification', pinned: false, fields: ['tags'] },
      ],
      loose: ['site', 'curator'],
      fields: [
        {
          key: 'deal_size',
          label_ru: 'Размер сделки',
          label_en: 'Deal size',
          type: 'choice',
          choices: [{ value: 's', label_ru: 'Малая', label_en: 'Small' }],
        },
        { key: 'site', label_ru: 'Сайт клиента', label_en: 'Site', type: 'link' },
      ],
    });
    expect(second.status).toBe(200);
    expect(
      second.body.blocks.map((b: { name_ru: string; pinned: boolean; fields: { key: string }[] }) => [
        b.name_ru,
        b.pinned,
        b.fields.map((f) => f.key),
      ]),
    ).toEqual([
      ['Деньги', true, ['budget', 'deal_size']],
      ['Квалификация', false, ['tags']],
    ]);
    expect(second.body.loose.map((f: { key: string; label_ru: string }) => `${f.key}:${f.label_ru}`)).toEqual([
      'site:Сайт клиента',
      'curator:Куратор',
    ]);
    const all = await audits();
    expect(all).toHaveLength(2);
    expect(all[1].entity_id).toBe(1);
    expect(all[1].changes).toEqual({
      'Блок «Деньги» закреплён': { from: false, to: true },
      'Порядок блоков': { from: 'Квалификация, Деньги', to: 'Деньги, Квалификация' },
      'Новое поле «Размер сделки» (список)': { from: null, to: 'Деньги' },
      'Поле «Сайт» переименовано в «Сайт клиента»': { from: 'Сайт', to: 'Сайт клиента' },
      'Поле «Бюджет»: блок «Квалификация» → «Деньги»': { from: 'Квалификация', to: 'Деньги' },
      'Порядок полей в блоке «без блока»': { from: 'Куратор, Сайт клиента', to: 'Сайт клиента, Куратор' },
    });
    // The card shows the pinned block first, in the new order.
    const deal = (await w.api.post('/deals', { title: 'Карточка' })).body.id;
    const card = (await w.api.get(`/deals/${deal}/card`)).body;
    expect(
      card.blocks.map((b: { name_ru: string; fields: { key: string }[] }) => `${b.name_ru}: ${b.fields.map((f) => f.key).join(' ')}`),
    ).toEqual(['Деньги: budget deal_size', 'Квалификация: tags', 'Прочее: site curator']);
    // Saving the same layout again changes nothing and audits nothing.
    const same = await put('/card-layouts/deal', {
      version: second.body.version,
      blocks: second.body.blocks.map((b: { id: number; name_ru: string; name_en: string; pinned: boolean; fields: { key: string }[] }) => ({
        ...b,
        fields: b.fields.map((f) => f.key),
      })),
      loose: ['site', 'curator'],
    });
    expect(same.status).toBe(200);
    expect(same.body.version).toBe(second.body.version);
    expect(await audits()).toHaveLength(2);
  });

  it('refuses a stale layout (409) and a removed block whose fields are not placed (400)', async () => {
    const l = await layout();
    const body = {
      version: l.version,
      blocks: l.blocks.map((b: { id: number; name_ru: string; name_en: string; pinned: boolean; fields: { key: string }[] }) => ({
        id: b.id,
        name_ru: b.name_ru,
        name_en: b.name_en,
        pinned: b.pinned,
        fields: b.fields.map((f) => f.key),
      })),
      loose: l.loose.map((f: { key: string }) => f.key),
    };
    // Someone relabels a field through the resource meanwhile.
    const f = (await w.api.get('/custom-fields?key=tags&object_type=deal')).body.items[0];
    expect((await w.api.patch(`/custom-fields/${f.id}`, { version: f.version, label_ru: 'Метки' })).status).toBe(200);
    const stale = await put('/card-layouts/deal', body);
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('VERSION_CONFLICT');
    const fresh = await layout();
    const dropped = await put('/card-layouts/deal', { ...body, version: fresh.version, blocks: body.blocks.slice(0, 1) });
    expect(dropped.status).toBe(400);
    expect(codes(dropped)).toEqual(['blocks:required']);
    // Removing the block once its field is placed elsewhere works.
    const removed = await put('/card-layouts/deal', {
      ...body,
      version: fresh.version,
      blocks: body.blocks.slice(0, 1),
      loose: [...body.loose, 'tags'],
    });
    expect(removed.status).toBe(200);
    expect(removed.body.blocks.map((b: { name_ru: string }) => b.name_ru)).toEqual(['Деньги']);
    const [last] = await h.db.query<{ changes: Record<string, unknown> }>(
      sql`select changes from audit_log where workspace_id = ${w.ws} and entity = 'card_layout' order by id desc limit 1`,
    );
    expect(Object.keys(last.changes).sort()).toEqual(['Блок «Квалификация» удалён', 'Поле «Метки»: блок «Квалификация» → «без блока»']);
  });

  it('is the head of sales’ and admins’ to change; a manager reads it', async () => {
    const t = await createApiToken(h.ctx, { workspaceId: w.ws, userId: managerId }, { name: 'm' });
    const m = apiClient(h.url, t.token);
    const l = (await m.get('/card-layouts/company')).body;
    expect(l).toMatchObject({ object_type: 'company', blocks: [], loose: [] });
    const r = await put('/card-layouts/company', { version: l.version, blocks: [] }, m);
    expect(r.status).toBe(403);
  });

  it('lays out companies, contacts and leads the same way', async () => {
    for (const object of ['company', 'contact', 'lead']) {
      const l = await layout(object);
      const r = await put(`/card-layouts/${object}`, {
        version: l.version,
        blocks: [{ id: null, name_ru: 'Главное', name_en: 'Main', pinned: true, fields: ['note'] }],
        fields: [{ key: 'note', label_ru: 'Заметка', label_en: 'Note', type: 'text' }],
      });
      expect(r.status, object).toBe(200);
      expect(r.body.blocks[0].fields[0]).toMatchObject({ key: 'note', type: 'text', required_by: [] });
    }
    expect((await w.api.get('/card-layouts/task')).status).toBe(400);
  });
});
