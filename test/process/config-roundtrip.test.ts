import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/**
 * The card designer's work is carried by the config document: a workspace laid out through the
 * routes the screen uses (blocks, pinned, moved fields, fields of the new types, requirements)
 * exports a document that, imported into a fresh workspace, exports the same again; and imported
 * into its own workspace changes nothing.
 */
let h: Harness;
let a: SeededWorkspace;
let b: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  a = await seedWorkspace(h, 'Образец');
  b = await seedWorkspace(h, 'Копия');
});
afterAll(async () => {
  await h.close();
});

const put = (w: SeededWorkspace, path: string, body: unknown) =>
  w.api.raw(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const choices = (...vs: string[]) => vs.map((v) => ({ value: v, label_ru: `Вариант ${v}`, label_en: `Option ${v}` }));

/** Every version of every block and field of a workspace: what "changes nothing" compares. */
const versions = async (ws: number) =>
  h.db.query(sql`select 'b' || id || ':' || version as v from field_blocks where workspace_id = ${ws}
                 union all select 'f' || id || ':' || version from custom_fields where workspace_id = ${ws} order by 1`);

describe('the card designer in the config document', () => {
  it('export → import into a fresh workspace → export is the same document; importing it again changes nothing', async () => {
    const smb = (await a.api.post('/segments', { name: 'SMB' })).body.id;
    await a.api.post('/custom-fields', { object_type: 'deal', key: 'budget', label_ru: 'Бюджет', label_en: 'Budget', type: 'money' });
    await a.api.post('/custom-fields', {
      object_type: 'company',
      key: 'industry_tags',
      label_ru: 'Отрасли',
      label_en: 'Industries',
      type: 'multi_choice',
      choices: choices('it', 'retail'),
    });
    const deal = (await a.api.get('/card-layouts/deal')).body;
    const d = await put(a, '/card-layouts/deal', {
      version: deal.version,
      blocks: [
        { id: null, name_ru: 'Деньги', name_en: 'Money', pinned: true, fields: ['size', 'budget'] },
        { id: null, name_ru: 'Квалификация', name_en: 'Qualification', pinned: false, fields: ['curator'] },
        { id: null, name_ru: 'Пустой', name_en: 'Empty', pinned: false, fields: [] },
      ],
      loose: ['site'],
      fields: [
        { key: 'size', label_ru: 'Размер', label_en: 'Size', type: 'choice', choices: choices('s', 'm') },
        { key: 'curator', label_ru: 'Куратор', label_en: 'Curator', type: 'user' },
        { key: 'site', label_ru: 'Сайт', label_en: 'Site', type: 'link' },
      ],
    });
    expect(d.status).toBe(200);
    // A field moved between blocks afterwards, and a block unpinned.
    const moved = await put(a, '/card-layouts/deal', {
      version: d.body.version,
      blocks: [
        { id: d.body.blocks[0].id, name_ru: 'Деньги', name_en: 'Money', pinned: false, fields: ['size'] },
        { id: d.body.blocks[1].id, name_ru: 'Квалификация', name_en: 'Qualification', pinned: true, fields: ['budget', 'curator'] },
        { id: d.body.blocks[2].id, name_ru: 'Пустой', name_en: 'Empty', pinned: false, fields: [] },
      ],
      loose: ['site'],
    });
    expect(moved.status).toBe(200);
    const company = (await a.api.get('/card-layouts/company')).body;
    expect(
      (
        await put(a, '/card-layouts/company', {
          version: company.version,
          blocks: [{ id: null, name_ru: 'Профиль', name_en: 'Profile', pinned: true, fields: ['industry_tags', 'web'] }],
          fields: [{ key: 'web', label_ru: 'Сайт', label_en: 'Website', type: 'link' }],
        })
      ).status,
    ).toBe(200);
    const lead = (await a.api.get('/card-layouts/lead')).body;
    expect(
      (
        await put(a, '/card-layouts/lead', {
          version: lead.version,
          blocks: [],
          loose: ['interest'],
          fields: [{ key: 'interest', label_ru: 'Интерес', label_en: 'Interest', type: 'multi_choice', choices: choices('a', 'b') }],
        })
      ).status,
    ).toBe(200);
    await a.api.post('/stage-requirements', { stage_id: a.stage('Демо').id, field: 'custom.budget', segment_ids: [smb] });
    await a.api.post('/stage-requirements', { stage_id: a.stage('КП отправлено').id, field: 'custom.size' });

    const exported = (await a.api.get('/config')).body;
    expect(exported.deal_fields.map((f: { key: string; type: string }) => `${f.key}:${f.type}`)).toEqual([
      'size:choice',
      'budget:money',
      'curator:user',
      'site:link',
    ]);
    expect(exported.blocks).toEqual({
      deal: [
        { name_ru: 'Деньги', name_en: 'Money', pinned: false, fields: ['size'] },
        { name_ru: 'Квалификация', name_en: 'Qualification', pinned: true, fields: ['budget', 'curator'] },
        { name_ru: 'Пустой', name_en: 'Empty', pinned: false, fields: [] },
      ],
      company: [{ name_ru: 'Профиль', name_en: 'Profile', pinned: true, fields: ['industry_tags', 'web'] }],
      contact: [],
      lead: [],
    });
    expect(exported.fields.company.map((f: { key: string }) => f.key)).toEqual(['industry_tags', 'web']);
    expect(exported.fields.lead).toEqual([
      { key: 'interest', label_ru: 'Интерес', label_en: 'Interest', type: 'multi_choice', choices: choices('a', 'b') },
    ]);
    expect(exported.fields.contact).toEqual([]);

    const into = await put(b, '/config', exported);
    expect(into.status, JSON.stringify(into.body)).toBe(200);
    expect(into.body.fields_created).toBe(7);
    const again = (await b.api.get('/config')).body;
    expect(again).toEqual(exported);
    // The copy's cards read as the original's.
    const layoutOf = async (w: SeededWorkspace, o: string) => {
      const l = (await w.api.get(`/card-layouts/${o}`)).body;
      return {
        blocks: l.blocks.map((x: { name_ru: string; pinned: boolean; fields: { key: string; required_by: { stage: string }[] }[] }) => ({
          name: x.name_ru,
          pinned: x.pinned,
          fields: x.fields.map((f) => `${f.key}<${f.required_by.map((r) => r.stage).join()}`),
        })),
        loose: l.loose.map((f: { key: string }) => f.key),
      };
    };
    for (const o of ['deal', 'company', 'contact', 'lead']) expect(await layoutOf(b, o), o).toEqual(await layoutOf(a, o));

    // Importing a workspace's own export changes nothing: no row gets a new version.
    const before = await versions(a.ws);
    const self = await put(a, '/config', exported);
    expect(self.status).toBe(200);
    expect(self.body.fields_created).toBe(0);
    expect(await versions(a.ws)).toEqual(before);
    expect((await a.api.get('/config')).body).toEqual(exported);
  });

  it('a document without blocks keeps the cards as they are (documents from before the designer)', async () => {
    const doc = (await b.api.get('/config')).body;
    const before = await versions(b.ws);
    const { blocks: _blocks, fields: _fields, ...old } = doc;
    expect((await put(b, '/config', old)).status).toBe(200);
    expect(await versions(b.ws)).toEqual(before);
  });

  it('names every problem of the cards part and writes nothing', async () => {
    const doc = (await b.api.get('/config')).body;
    const before = await versions(b.ws);
    doc.fields.company.push({ key: 'web', label_ru: 'Ещё сайт', label_en: 'Web', type: 'link', choices: [] });
    doc.fields.lead[0].choices = [];
    doc.blocks.deal[1].fields.push('size', 'nope');
    doc.blocks.deal.push({ name_ru: 'деньги', name_en: 'x', pinned: false, fields: [] });
    const r = await put(b, '/config', doc);
    expect(r.status).toBe(400);
    expect(r.body.error.fields.map((f: { field: string; code: string }) => `${f.field}:${f.code}`).sort()).toEqual([
      'blocks.deal.1.fields.2:duplicate',
      'blocks.deal.1.fields.3:not_found',
      'blocks.deal.3.name_ru:duplicate',
      'fields.company.2.key:duplicate',
      'fields.lead.0.choices:required',
    ]);
    expect(await versions(b.ws)).toEqual(before);
    const typed = (await b.api.get('/config')).body;
    typed.deal_fields[0].type = 'multi_choice';
    const t = await put(b, '/config', typed);
    expect(t.status).toBe(400);
    expect(t.body.error.fields[0].field).toBe('deal_fields.0.type');
  });
});
