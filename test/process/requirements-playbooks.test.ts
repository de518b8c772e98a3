import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Регламент');
});
afterAll(async () => {
  await h.close();
});

const MSK = (local: string) => new Date(`${local}+03:00`).toISOString();

describe('stage requirements', () => {
  it('refuse a forward move with the missing fields in both languages, allow back moves, accept filled or forced moves', async () => {
    const seg = await w.api.post('/segments', { name: 'Enterprise' });
    const field = await w.api.post('/custom-fields', {
      object_type: 'deal',
      key: 'budget',
      type: 'money',
      label_ru: 'Бюджет',
      label_en: 'Budget',
    });
    expect(field.status).toBe(201);
    const r1 = await w.api.post('/stage-requirements', { stage_id: w.stage('Встреча').id, field: 'company_id' });
    expect(r1.status).toBe(201);
    expect(r1.body.pipeline_id).toBe(w.pipelineId);
    const r2 = await w.api.post('/stage-requirements', {
      stage_id: w.stage('Встреча').id,
      field: 'custom.budget',
      segment_ids: [seg.body.id],
    });
    expect(r2.body).toMatchObject({ field: 'custom.budget', segment_ids: [seg.body.id] });
    const unknown = await w.api.post('/stage-requirements', { stage_id: w.stage('Демо').id, field: 'custom.nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.fields[0]).toMatchObject({ field: 'field', code: 'not_found' });
    const onLost = await w.api.post('/stage-requirements', { stage_id: w.stage('Закрыто и не реализовано').id, field: 'region' });
    expect(onLost.status).toBe(400);

    const deal = await w.api.post('/deals', {
      title: 'Требования',
      amount_minor: 100,
      segment_id: seg.body.id,
      stage_id: w.stage('Квалификация').id,
    });
    const id = deal.body.id;
    const refused = await w.api.post(`/deals/${id}/move`, { stage_id: w.stage('Встреча').id }, { 'accept-language': 'ru' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('STAGE_REQUIREMENTS_MISSING');
    expect(refused.body.error.message).toBe('чтобы перейти на этап «Встреча», заполните: Компания, Бюджет');
    expect(refused.body.error.missing).toEqual([
      { field: 'company_id', label_ru: 'Компания', label_en: 'Company' },
      { field: 'custom.budget', label_ru: 'Бюджет', label_en: 'Budget' },
    ]);
    expect(refused.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['company_id', 'custom.budget']);
    // Losing is never blocked; moving back neither.
    expect((await w.api.post(`/deals/${id}/move`, { stage_id: w.stage('Новый лид').id })).status).toBe(200);
    // Fill the fields and move in one request.
    const company = await w.api.post('/companies', { name: 'АО «Заполнено»' });
    const filled = await w.api.post(`/deals/${id}/move`, {
      stage_id: w.stage('Встреча').id,
      set: { company_id: company.body.id, custom: { budget: 5_000_000_00 } },
    });
    expect(filled.status).toBe(200);
    expect(filled.body.deal).toMatchObject({
      company_id: company.body.id,
      custom: { budget: 5_000_000_00 },
      stage_id: w.stage('Встреча').id,
    });
    const [entry] = await h.db.query(
      sql`select required_total, required_filled, forced from stage_events where workspace_id = ${w.ws} and id = ${filled.body.event_id}`,
    );
    expect(entry).toEqual({ required_total: 2, required_filled: 2, forced: false });
    // A requirement for another segment does not apply.
    const smb = await w.api.post('/deals', { title: 'Без сегмента', stage_id: w.stage('Квалификация').id });
    const smbRefused = await w.api.post(`/deals/${smb.body.id}/move`, { stage_id: w.stage('Встреча').id });
    expect(smbRefused.body.error.missing.map((m: { field: string }) => m.field)).toEqual(['company_id']);
  });

  it('lets only the head of sales or an admin force a move, with a reason that is recorded', async () => {
    const manager = await w.api.post('/users', {
      name: 'Менеджер',
      email: `m@${w.ws}.test`,
      role: 'manager',
      password: 'manager password 1',
    });
    // The manager's own deal: they see it, yet may not force it.
    const deal = await w.api.post('/deals', { title: 'Принудительно', stage_id: w.stage('Квалификация').id, owner_id: manager.body.id });
    const login = await apiClient(h.url, null).post('/auth/login', { email: `m@${w.ws}.test`, password: 'manager password 1' });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const asManager = await apiClient(h.url, null).post(
      `/deals/${deal.body.id}/move`,
      { stage_id: w.stage('Встреча').id, force: true, reason: 'срочно' },
      { cookie, origin: h.url },
    );
    expect(asManager.status).toBe(403);
    expect(asManager.body.error.message).toMatch(/force|принудительно|head of sales|РОП/i);
    expect(manager.status).toBe(201);
    const noReason = await w.api.post(`/deals/${deal.body.id}/move`, { stage_id: w.stage('Встреча').id, force: true });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.fields[0].field).toBe('reason');
    const forced = await w.api.post(`/deals/${deal.body.id}/move`, {
      stage_id: w.stage('Встреча').id,
      force: true,
      reason: 'Клиент торопит, реквизиты завтра',
    });
    expect(forced.status).toBe(200);
    const [entry] = await h.db.query(
      sql`select required_total, required_filled, forced, reason from stage_events where workspace_id = ${w.ws} and id = ${forced.body.event_id}`,
    );
    expect(entry).toEqual({ required_total: 1, required_filled: 0, forced: true, reason: 'Клиент торопит, реквизиты завтра' });
  });
});

describe('playbooks and the business calendar', () => {
  it('creates stage tasks with due dates over weekends, holidays and moved working Saturdays', async () => {
    const cal = await w.api.post('/calendar/import', {
      csv: 'Дата;Тип;Примечание\n10.03.2025;выходной;Перенос праздника\n08.03.2025;рабочий;Перенесённая суббота\n',
    });
    expect(cal.body).toEqual({ added: 2, changed: 0, unchanged: 0, dry_run: false });
    const t1 = await w.api.post('/task-templates', {
      key: 'qualify',
      stage_id: w.stage('Демо').id,
      title_ru: 'Квалифицировать',
      title_en: 'Qualify',
      type: 'call',
      due_days: 1,
    });
    expect(t1.status).toBe(201);
    await w.api.post('/task-templates', {
      key: 'meet',
      stage_id: w.stage('Демо').id,
      title_ru: 'Встретиться',
      title_en: 'Meet',
      type: 'meeting',
      due_days: 3,
      on_stage_exit: 'keep_open',
    });
    await w.api.post('/task-templates', {
      key: 'cal',
      stage_id: w.stage('Демо').id,
      title_ru: 'Календарные',
      title_en: 'Calendar',
      type: 'other',
      due_days: 3,
      day_kind: 'calendar',
    });
    h.clock.set(MSK('2025-03-06T12:00:00'));
    const deal = await w.api.post('/deals', { title: 'Задачи', stage_id: w.stage('КП отправлено').id });
    h.clock.set(MSK('2025-03-07T12:00:00')); // Friday
    const moved = await w.api.post(`/deals/${deal.body.id}/move`, { stage_id: w.stage('Демо').id });
    expect(moved.status).toBe(200);
    const list = await w.api.get(`/tasks?deal_id=${deal.body.id}&sort=title`);
    const due = Object.fromEntries(list.body.items.map((t: { title: string; due_at: string }) => [t.title, t.due_at]));
    expect(due).toEqual({
      // Saturday 8 March is a moved working day.
      Квалифицировать: MSK('2025-03-08T12:00:00'),
      // Sat (working) 1, Sun off, Mon 10 March holiday, Tue 2, Wed 3.
      Встретиться: MSK('2025-03-12T12:00:00'),
      Календарные: MSK('2025-03-10T12:00:00'),
    });
    // Leaving the stage: «skip» templates are skipped, «keep_open» stays open.
    h.clock.set(MSK('2025-03-11T10:00:00'));
    await w.api.post(`/deals/${deal.body.id}/move`, { stage_id: w.stage('КП отправлено').id });
    const after = await w.api.get(`/tasks?deal_id=${deal.body.id}&sort=title`);
    expect(after.body.items.map((t: { title: string; status: string }) => [t.title, t.status])).toEqual([
      ['Встретиться', 'open'],
      ['Календарные', 'skipped'],
      ['Квалифицировать', 'skipped'],
    ]);
  });

  it('creates a task counted from another being done, and refuses cycles and absurd offsets', async () => {
    const proposal = await w.api.post('/task-templates', {
      key: 'kp',
      stage_id: w.stage('Встреча').id,
      title_ru: 'Отправить КП',
      title_en: 'Send proposal',
      type: 'proposal',
      due_days: 3,
    });
    const follow = await w.api.post('/task-templates', {
      key: 'kp.follow',
      stage_id: w.stage('Встреча').id,
      title_ru: 'Follow-up',
      title_en: 'Follow-up',
      type: 'follow_up',
      due_days: 5,
      day_kind: 'calendar',
      anchor_template_id: proposal.body.id,
    });
    expect(follow.status).toBe(201);
    const cycle = await w.api.patch(`/task-templates/${proposal.body.id}`, {
      version: proposal.body.version,
      anchor_template_id: follow.body.id,
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error.fields[0]).toMatchObject({ field: 'anchor_template_id', code: 'cycle' });
    const self = await w.api.patch(`/task-templates/${proposal.body.id}`, {
      version: proposal.body.version,
      anchor_template_id: proposal.body.id,
    });
    expect(self.body.error.fields[0].code).toBe('cycle');
    const otherStage = await w.api.post('/task-templates', {
      stage_id: w.stage('Демо').id,
      title_ru: 'x',
      title_en: 'x',
      due_days: 1,
      anchor_template_id: proposal.body.id,
    });
    expect(otherStage.status).toBe(400);
    for (const bad of [-1, 366, 1.5]) {
      const r = await w.api.post('/task-templates', { stage_id: w.stage('Демо').id, title_ru: 'x', title_en: 'x', due_days: bad });
      expect(r.status, String(bad)).toBe(400);
      expect(r.body.error.fields[0].field).toBe('due_days');
    }
    h.clock.set(MSK('2025-04-01T10:00:00'));
    const company = await w.api.post('/companies', { name: 'ООО «Фоллоу»' });
    const deal = await w.api.post('/deals', { title: 'Фоллоу-ап', company_id: company.body.id, stage_id: w.stage('Квалификация').id });
    await w.api.post(`/deals/${deal.body.id}/move`, { stage_id: w.stage('Встреча').id });
    const [kp] = (await w.api.get(`/tasks?deal_id=${deal.body.id}&type=proposal`)).body.items;
    expect((await w.api.get(`/tasks?deal_id=${deal.body.id}&type=follow_up`)).body.items).toEqual([]);
    h.clock.set(MSK('2025-04-02T16:30:00'));
    const done = await w.api.patch(`/tasks/${kp.id}`, { version: kp.version, status: 'done' });
    expect(done.status).toBe(200);
    const [fu] = (await w.api.get(`/tasks?deal_id=${deal.body.id}&type=follow_up`)).body.items;
    expect(fu).toMatchObject({ title: 'Follow-up', status: 'open', due_at: MSK('2025-04-07T16:30:00') });
    const early = await w.api.patch(`/tasks/${fu.id}`, { version: fu.version, status: 'done', done_at: '2025-01-01T00:00:00Z' });
    expect(early.status).toBe(400);
    expect(early.body.error.fields[0].field).toBe('done_at');
  });

  it('never rewrites past tasks when a template changes', async () => {
    const [t] = (await w.api.get('/task-templates?key=kp')).body.items;
    const before = await h.db.query(
      sql`select id, title, due_at from tasks where workspace_id = ${w.ws} and template_id = ${t.id} order by id`,
    );
    expect(before.length).toBeGreaterThan(0);
    const changed = await w.api.patch(`/task-templates/${t.id}`, { version: t.version, title_ru: 'Отправить КП (новое)', due_days: 1 });
    expect(changed.status).toBe(200);
    expect(
      await h.db.query(sql`select id, title, due_at from tasks where workspace_id = ${w.ws} and template_id = ${t.id} order by id`),
    ).toEqual(before);
  });

  it('imports a calendar with clear errors for overlaps and unknown kinds', async () => {
    const overlap = await w.api.post('/calendar/import', {
      csv: 'date,kind\n2025-05-01,holiday\n2025-05-02,holiday\n2025-05-01,workday\n',
    });
    expect(overlap.status).toBe(400);
    expect(overlap.body.error.message).toBe('calendar, line 4, column date: 2025-05-01 is already listed on line 2');
    const kind = await w.api.post('/calendar/import', { csv: 'date,kind\n2025-05-01,отгул\n' });
    expect(kind.body.error.message).toMatch(/line 2, column kind/);
    const date = await w.api.post('/calendar/import', { csv: 'date,kind\n2025-02-30,holiday\n' });
    expect(date.body.error.message).toMatch(/line 2, column date: "2025-02-30" is not a date/);
    const year = await w.api.get('/calendar?year=2025');
    expect(year.body.items).toEqual([
      { day: '2025-03-08', kind: 'workday', note: 'Перенесённая суббота' },
      { day: '2025-03-10', kind: 'holiday', note: 'Перенос праздника' },
    ]);
  });
});
