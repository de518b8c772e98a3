import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../src/platform/workspaces.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let smb: number;
let ent: number;
let fixedOwner: number;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Предпросмотр');
  smb = (await w.api.post('/segments', { name: 'SMB' })).body.id;
  ent = (await w.api.post('/segments', { name: 'Enterprise' })).body.id;
  fixedOwner = await addUser(h.db, w.ws, { name: 'Ольга Юрист', email: `lawyer@${w.ws}.test`, role: 'manager' }, h.clock.now());
});
afterAll(async () => {
  await h.close();
});

const MSK = (local: string) => new Date(`${local}+03:00`).toISOString();
const template = (body: Record<string, unknown>) => w.api.post('/task-templates', { stage_id: w.stage('Демо').id, type: 'call', ...body });

describe('the playbook preview', () => {
  it('lists the requirements and the tasks a deal entering a stage gets, with the very dates the entry gives them', async () => {
    await w.api.post('/calendar/import', { csv: 'Дата;Тип;Примечание\n10.03.2025;выходной;Перенос праздника\n08.03.2025;рабочий;\n' });
    await w.api.post('/custom-fields', { object_type: 'deal', key: 'budget', type: 'money', label_ru: 'Бюджет', label_en: 'Budget' });
    await w.api.post('/stage-requirements', { stage_id: w.stage('Демо').id, field: 'company_id' });
    await w.api.post('/stage-requirements', { stage_id: w.stage('Демо').id, field: 'custom.budget', segment_ids: [smb] });
    await w.api.post('/stage-requirements', { stage_id: w.stage('Демо').id, field: 'region', segment_ids: [ent] });
    const demo = await template({ title_ru: 'Провести демо', title_en: 'Run the demo', type: 'meeting', due_days: 3 });
    await template({ title_ru: 'Позвонить', title_en: 'Call', due_days: 1, segment_id: smb, owner_rule: 'user', owner_id: fixedOwner });
    await template({ title_ru: 'Только Enterprise', title_en: 'Enterprise only', due_days: 1, segment_id: ent });
    await template({ title_ru: 'Выключенная', title_en: 'Inactive', due_days: 1, active: false });
    await template({
      title_ru: 'Неделя',
      title_en: 'A week',
      type: 'other',
      due_days: 7,
      day_kind: 'calendar',
      on_stage_exit: 'keep_open',
    });
    const follow = await template({
      title_ru: 'Фоллоу-ап',
      title_en: 'Follow-up',
      type: 'follow_up',
      due_days: 2,
      anchor_template_id: demo.body.id,
    });
    await template({ title_ru: 'Второй фоллоу-ап', title_en: 'Second follow-up', due_days: 5, anchor_template_id: follow.body.id });

    // Friday 7 March 2025, 12:00 in Moscow: Sat 8 is a moved working day, Mon 10 a holiday.
    const entered = MSK('2025-03-07T12:00:00');
    const r = await w.api.get(
      `/playbook-preview?stage_id=${w.stage('Демо').id}&segment_id=${smb}&entered_at=${encodeURIComponent(entered)}`,
    );
    expect(r.status).toBe(200);
    expect(r.body.stage).toEqual({ id: w.stage('Демо').id, name: 'Демо', kind: 'open', pipeline_id: w.pipelineId });
    expect(r.body.segment).toEqual({ id: smb, name: 'SMB' });
    expect(r.body.entered_at).toBe(new Date(entered).toISOString());
    expect(r.body.requirements).toEqual([
      { field: 'company_id', label_ru: 'Компания', label_en: 'Company' },
      { field: 'custom.budget', label_ru: 'Бюджет', label_en: 'Budget' },
    ]);
    const byTitle = Object.fromEntries(
      r.body.tasks.map((t: Record<string, unknown>) => [t.title_ru, [t.due_day, t.due_at, t.owner_rule, t.owner_name, t.on_stage_exit]]),
    );
    expect(byTitle).toEqual({
      // Sat (working) 1, Sun off, Mon holiday, Tue 2, Wed 3.
      'Провести демо': ['2025-03-12', MSK('2025-03-12T12:00:00'), 'deal_owner', null, 'skip'],
      Позвонить: ['2025-03-08', MSK('2025-03-08T12:00:00'), 'user', 'Ольга Юрист', 'skip'],
      Неделя: ['2025-03-14', MSK('2025-03-14T12:00:00'), 'deal_owner', null, 'keep_open'],
    });
    expect(r.body.anchored.map((a: Record<string, unknown>) => [a.title_ru, a.anchor_title_ru, a.due_days, a.day_kind, a.type])).toEqual([
      ['Фоллоу-ап', 'Провести демо', 2, 'business', 'follow_up'],
      ['Второй фоллоу-ап', 'Фоллоу-ап', 5, 'business', 'call'],
    ]);

    // A real deal of that segment entering at that instant gets exactly those tasks and dates.
    h.clock.set(MSK('2025-03-06T12:00:00'));
    const company = await w.api.post('/companies', { name: 'ООО «Превью»' });
    const deal = await w.api.post('/deals', {
      title: 'Превью',
      segment_id: smb,
      company_id: company.body.id,
      custom: { budget: 100_00 },
      stage_id: w.stage('Встреча').id,
    });
    h.clock.set(entered);
    expect((await w.api.post(`/deals/${deal.body.id}/move`, { stage_id: w.stage('Демо').id })).status).toBe(200);
    const created = await h.db.query<{ title: string; due_at: Date; owner_id: number | null }>(
      sql`select title, due_at, owner_id from tasks where workspace_id = ${w.ws} and deal_id = ${deal.body.id} order by title`,
    );
    expect(created.map((t) => [t.title, t.due_at.toISOString()]).sort()).toEqual(
      r.body.tasks.map((t: { title_ru: string; due_at: string }) => [t.title_ru, t.due_at]).sort(),
    );
    expect(created.find((t) => t.title === 'Позвонить')?.owner_id).toBe(fixedOwner);
  });

  it('takes a day alone at the present time of day, and a deal without a segment gets only the common part', async () => {
    h.clock.set(MSK('2025-03-20T15:45:00'));
    const r = await w.api.get(`/playbook-preview?stage_id=${w.stage('Демо').id}&entered_at=2025-03-07`);
    expect(r.status).toBe(200);
    expect(r.body.segment).toBeNull();
    expect(r.body.entered_at).toBe(MSK('2025-03-07T15:45:00'));
    expect(r.body.requirements.map((q: { field: string }) => q.field)).toEqual(['company_id']);
    expect(r.body.tasks.map((t: { title_ru: string; due_at: string }) => [t.title_ru, t.due_at])).toEqual([
      ['Провести демо', MSK('2025-03-12T15:45:00')],
      ['Неделя', MSK('2025-03-14T15:45:00')],
    ]);
    expect(r.body.draft).toBeNull();
    // A template not yet saved: its deadline from the same planning.
    const draft = await w.api.get(`/playbook-preview?stage_id=${w.stage('Демо').id}&entered_at=2025-03-07&due_days=2&day_kind=business`);
    expect(draft.body.draft).toEqual({ due_at: MSK('2025-03-11T15:45:00'), due_day: '2025-03-11' });
    const bad = await w.api.get(`/playbook-preview?stage_id=${w.stage('Демо').id}&due_days=400`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe('due_days');
    // Without entered_at the entry is now.
    const now = await w.api.get(`/playbook-preview?stage_id=${w.stage('Демо').id}&segment_id=${ent}`);
    expect(now.body.entered_at).toBe(MSK('2025-03-20T15:45:00'));
    expect(now.body.tasks.map((t: { title_ru: string }) => t.title_ru)).toEqual(['Провести демо', 'Только Enterprise', 'Неделя']);
    expect(now.body.requirements.map((q: { field: string }) => q.field)).toEqual(['company_id', 'region']);
  });

  it('drops an anchored task whose anchor is inactive, and lists no tasks for a closed stage', async () => {
    const all = (await w.api.get(`/task-templates?stage_id=${w.stage('Демо').id}&limit=100`)).body.items;
    const demo = all.find((t: { title_ru: string }) => t.title_ru === 'Провести демо');
    expect((await w.api.patch(`/task-templates/${demo.id}`, { version: demo.version, active: false })).status).toBe(200);
    const r = await w.api.get(`/playbook-preview?stage_id=${w.stage('Демо').id}`);
    expect(r.body.tasks.map((t: { title_ru: string }) => t.title_ru)).toEqual(['Неделя']);
    expect(r.body.anchored).toEqual([]);
    const won = await w.api.get(`/playbook-preview?stage_id=${w.stage('Успешно реализовано').id}`);
    expect(won.body).toMatchObject({ tasks: [], anchored: [], requirements: [] });
  });

  it('names the bad field: an unknown stage, segment or date', async () => {
    const stage = await w.api.get('/playbook-preview?stage_id=999999', { 'accept-language': 'ru' });
    expect(stage.status).toBe(400);
    expect(stage.body.error.fields[0]).toMatchObject({ field: 'stage_id', code: 'not_found', message: 'нет этапа 999999' });
    const seg = await w.api.get(`/playbook-preview?stage_id=${w.stage('Демо').id}&segment_id=999999`);
    expect(seg.status).toBe(400);
    expect(seg.body.error.fields[0]).toMatchObject({ field: 'segment_id', code: 'not_found' });
    const day = await w.api.get(`/playbook-preview?stage_id=${w.stage('Демо').id}&entered_at=2025-02-30`);
    expect(day.status).toBe(400);
    expect(day.body.error.fields[0].field).toBe('entered_at');
  });
});

describe('the fields a stage may require', () => {
  it('lists the standard deal fields with their labels, then the custom deal fields', async () => {
    const r = await w.api.get('/requirement-fields');
    expect(r.status).toBe(200);
    expect(r.body.items[0]).toEqual({ field: 'title', label_ru: 'Название', label_en: 'Title', custom: false });
    expect(r.body.items.filter((f: { custom: boolean }) => !f.custom).map((f: { field: string }) => f.field)).toEqual([
      'title',
      'amount_minor',
      'company_id',
      'contact_id',
      'lead_id',
      'segment_id',
      'channel_id',
      'region',
    ]);
    expect(r.body.items.filter((f: { custom: boolean }) => f.custom)).toEqual([
      { field: 'custom.budget', label_ru: 'Бюджет', label_en: 'Budget', custom: true },
    ]);
  });
});

describe('removing a requirement', () => {
  it('is version-checked, audited with what it was, and the stage no longer requires the field', async () => {
    const [req] = (await w.api.get(`/stage-requirements?stage_id=${w.stage('Демо').id}&limit=100`)).body.items.filter(
      (r: { field: string }) => r.field === 'region',
    );
    const stale = await w.api.del(`/stage-requirements/${req.id}?version=${req.version + 1}`);
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('VERSION_CONFLICT');
    expect((await w.api.del(`/stage-requirements/${req.id}?version=${req.version}`)).status).toBe(204);
    expect((await w.api.del(`/stage-requirements/${req.id}?version=${req.version}`)).status).toBe(404);
    const r = await w.api.get(`/playbook-preview?stage_id=${w.stage('Демо').id}&segment_id=${ent}`);
    expect(r.body.requirements.map((q: { field: string }) => q.field)).toEqual(['company_id']);
    const [a] = await h.db.query<{ action: string; changes: unknown }>(
      sql`select action, changes from audit_log where workspace_id = ${w.ws} and entity = 'stage_requirements' and entity_id = ${req.id} and action = 'delete'`,
    );
    expect(a.changes).toEqual({
      stage_id: { from: w.stage('Демо').id, to: null },
      field: { from: 'region', to: null },
      segment_ids: { from: [ent], to: null },
    });
  });
});

describe('the calendar import dry run and audit', () => {
  it('counts what an import would change without writing, then writes and audits from → to', async () => {
    const csv = 'Дата;Тип;Примечание\n10.03.2025;выходной;Перенос праздника\n08.03.2025;рабочий;Суббота\n12.06.2025;выходной;День России\n';
    const before = await w.api.get('/calendar?year=2025');
    const dry = await w.api.post('/calendar/import', { csv, dry_run: true });
    expect(dry.body).toEqual({ added: 1, changed: 1, unchanged: 1, dry_run: true });
    expect((await w.api.get('/calendar?year=2025')).body).toEqual(before.body);
    const real = await w.api.post('/calendar/import', { csv });
    expect(real.body).toEqual({ added: 1, changed: 1, unchanged: 1, dry_run: false });
    expect((await w.api.get('/calendar?year=2025')).body.items).toEqual([
      { day: '2025-03-08', kind: 'workday', note: 'Суббота' },
      { day: '2025-03-10', kind: 'holiday', note: 'Перенос праздника' },
      { day: '2025-06-12', kind: 'holiday', note: 'День России' },
    ]);
    const bad = await w.api.post('/calendar/import', { csv: 'date;kind\n2025-01-01;holiday\n2025-01-02;отгул\n', dry_run: true });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/line 3, column kind/);

    expect(
      (
        await w.api.raw('/calendar/2025-06-12', {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ kind: 'workday', note: null }),
        })
      ).status,
    ).toBe(200);
    expect((await w.api.del('/calendar/2025-06-12')).status).toBe(204);
    expect((await w.api.del('/calendar/2025-02-30')).status).toBe(400);
    const audits = await h.db.query<{ action: string; changes: unknown }>(
      sql`select action, changes from audit_log where workspace_id = ${w.ws} and entity = 'calendar' and entity_id = 20250612 order by id`,
    );
    expect(audits).toEqual([
      {
        action: 'update',
        changes: { kind: { from: 'holiday', to: 'workday' }, note: { from: 'День России', to: null } },
      },
      { action: 'delete', changes: { kind: { from: 'workday', to: null }, note: { from: null, to: null } } },
    ]);
  });
});
