import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectKpisClose } from '../support/funnel-data.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
const at = (iso: string) => h.clock.set(iso);
const PERIOD = 'from=2025-03-03&to=2025-03-10';
let anna: number;
let boris: number;

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Дисциплина');
  anna = (await w.api.post('/users', { name: 'Анна', role: 'manager', team: 'Север' })).body.id;
  boris = (await w.api.post('/users', { name: 'Борис', role: 'manager', team: 'Юг' })).body.id;
  expect([typeof anna, typeof boris]).toEqual(['number', 'number']);
  await w.api.post('/task-templates', {
    key: 'call1',
    stage_id: w.stage('Квалификация').id,
    title_ru: 'Позвонить',
    title_en: 'Call',
    type: 'call',
    due_days: 1,
  });
  await w.api.post('/task-templates', {
    key: 'meet',
    stage_id: w.stage('Встреча').id,
    title_ru: 'Встретиться',
    title_en: 'Meet',
    type: 'meeting',
    due_days: 2,
    on_stage_exit: 'keep_open',
  });
  await w.api.post('/stage-requirements', { stage_id: w.stage('Встреча').id, field: 'company_id' });
  const company = (await w.api.post('/companies', { name: 'ООО «Порядок»' })).body.id;

  at('2025-03-03T09:00:00Z'); // Monday
  const d1 = (await w.api.post('/deals', { title: 'on_time_then_late', owner_id: anna, company_id: company })).body.id;
  const d2 = (await w.api.post('/deals', { title: 'missed_and_forced', owner_id: boris })).body.id;
  const d3 = (await w.api.post('/deals', { title: 'atypical_overdue', owner_id: boris })).body.id;
  at('2025-03-03T10:00:00Z');
  await w.api.post(`/deals/${d1}/move`, { stage_id: w.stage('Квалификация').id });
  at('2025-03-03T11:00:00Z');
  await w.api.post(`/deals/${d2}/move`, { stage_id: w.stage('Квалификация').id });
  at('2025-03-03T12:00:00Z');
  await w.api.post(`/deals/${d3}/move`, { stage_id: w.stage('Квалификация').id });
  const v3 = (await w.api.get(`/deals/${d3}`)).body.version;
  expect((await w.api.patch(`/deals/${d3}`, { version: v3, atypical: true, atypical_reason: 'Госзакупка' })).status).toBe(200);
  at('2025-03-04T09:00:00Z');
  const [t1] = (await w.api.get(`/tasks?deal_id=${d1}`)).body.items;
  await w.api.patch(`/tasks/${t1.id}`, { version: t1.version, status: 'done' }); // due Tue 10:00: on time
  at('2025-03-04T12:00:00Z');
  await w.api.post(`/deals/${d1}/move`, { stage_id: w.stage('Встреча').id }); // meet due Thu 12:00
  at('2025-03-05T11:00:00Z');
  const forced = await w.api.post(`/deals/${d2}/move`, { stage_id: w.stage('Встреча').id, force: true, reason: 'Реквизиты позже' });
  expect(forced.status).toBe(200); // call1 (due Tue 11:00) skipped after its deadline; meet due Fri 11:00
  at('2025-03-07T12:00:00Z');
  const meet = (await w.api.get(`/tasks?deal_id=${d1}&type=meeting`)).body.items[0];
  await w.api.patch(`/tasks/${meet.id}`, { version: meet.version, status: 'done' }); // a day late
  at('2025-03-20T12:00:00Z');
});
afterAll(async () => {
  await h.close();
});

describe('the discipline report', () => {
  it('computes every key exactly, leaving out the atypical deal awaiting review', async () => {
    const r = await w.api.get(`/reports/discipline?${PERIOD}`);
    expect(r.status).toBe(200);
    expectKpisClose(r.body, {
      report: 'discipline',
      // call1 of both typical deals (one on time, one skipped after its deadline), meet of both.
      tasks_due: 4,
      tasks_on_time: 1,
      on_time_rate: 0.25,
      // missed_and_forced's meeting, still open after Friday.
      overdue_open: 1,
      mean_delay_days: 0.5,
      // Two entries into Встреча: one with the company filled, one forced without it.
      card_completeness: 0.5,
      discipline_score: 0.6 * 0.25 + 0.4 * 0.5,
    });
  });

  it('breaks down per owner and team, and lists the tasks behind each figure', async () => {
    const r = await w.api.get(`/reports/discipline?${PERIOD}&by=owner`);
    expect(r.body.groups.map((g: { key: string }) => g.key)).toEqual(['Анна', 'Борис']);
    expectKpisClose(r.body.groups, [
      {
        key: 'Анна',
        tasks_due: 2,
        tasks_on_time: 1,
        on_time_rate: 0.5,
        overdue_open: 0,
        mean_delay_days: 0.5,
        card_completeness: 1,
        discipline_score: 0.7,
      },
      {
        key: 'Борис',
        tasks_due: 2,
        tasks_on_time: 0,
        on_time_rate: 0,
        overdue_open: 1,
        mean_delay_days: null,
        card_completeness: 0,
        discipline_score: 0,
      },
    ]);
    const teams = await w.api.get(`/reports/discipline?${PERIOD}&by=team`);
    expect(teams.body.groups.map((g: { key: string; tasks_due: number }) => [g.key, g.tasks_due])).toEqual([
      ['Север', 2],
      ['Юг', 2],
    ]);
    const late = await w.api.get(`/reports/discipline/tasks?${PERIOD}&metric=tasks_late`);
    expect(late.body.total).toBe(3);
    // Skipped a day after its deadline; done a day late; open 2 days 10 hours past it at as-of (Sunday 24:00 Moscow).
    expectKpisClose(
      late.body.items.map((t: { title: string; delay_days: number | null }) => [t.title, t.delay_days]),
      [
        ['Позвонить', 1],
        ['Встретиться', 1],
        ['Встретиться', 2 + 10 / 24],
      ],
    );
    const overdue = await w.api.get(`/reports/discipline/tasks?${PERIOD}&metric=overdue_open&owner=Борис`);
    expect(overdue.body.items.map((t: { deal: string }) => t.deal)).toEqual(['missed_and_forced']);
  });

  it('counts the atypical deal once the head of sales has reviewed it as typical', async () => {
    const [queued] = (await w.api.get('/review-queue')).body.items;
    expect(queued).toMatchObject({ title: 'atypical_overdue', atypical: true, atypical_reason: 'Госзакупка', review_decision: null });
    const reviewed = await w.api.post(`/deals/${queued.id}/review`, { decision: 'typical', version: queued.version });
    expect(reviewed.body).toMatchObject({ review_decision: 'typical' });
    expect((await w.api.get('/review-queue')).body.items).toEqual([]);
    const r = await w.api.get(`/reports/discipline?${PERIOD}`);
    expect(r.body).toMatchObject({ tasks_due: 5, tasks_on_time: 1, overdue_open: 2 });
    const noReason = await w.api.patch(`/deals/${queued.id}`, { version: reviewed.body.version, atypical_reason: null });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.fields[0].field).toBe('atypical_reason');
  });

  it('shows last month as it was: a changed playbook does not change it', async () => {
    const before = (await w.api.get(`/reports/discipline?${PERIOD}&as_of=2025-03-15`)).body;
    const [tpl] = (await w.api.get('/task-templates?key=call1')).body.items;
    await w.api.patch(`/task-templates/${tpl.id}`, { version: tpl.version, due_days: 10, title_ru: 'Позвонить (новый срок)' });
    const after = (await w.api.get(`/reports/discipline?${PERIOD}&as_of=2025-03-15`)).body;
    expect(after).toEqual(before);
  });

  it('suggests SLAs from won deals (n ≥ 10) and applies one to the playbook in one call', async () => {
    const [tpl] = (await w.api.get('/task-templates?key=call1')).body.items;
    const tooEarly = await w.api.post(`/task-templates/${tpl.id}/apply-suggestion`, { version: tpl.version });
    expect(tooEarly.status).toBe(422);
    expect(tooEarly.body.error.code).toBe('NOT_ENOUGH_DATA');
    for (let i = 0; i < 10; i++) {
      at(`2025-04-0${(i % 5) + 1}T08:00:00Z`);
      at(new Date(new Date(`2025-04-0${(i % 5) + 1}T08:00:00Z`).getTime() + i * 60_000).toISOString());
      const d = (await w.api.post('/deals', { title: `won_${i}`, owner_id: anna, stage_id: w.stage('Квалификация').id })).body.id;
      const [t] = (await w.api.get(`/tasks?deal_id=${d}`)).body.items;
      h.clock.advance((i + 1) * 3_600_000); // done 1…10 hours after the stage entry
      await w.api.patch(`/tasks/${t.id}`, { version: t.version, status: 'done' });
      h.clock.advance(60_000);
      expect((await w.api.post(`/deals/${d}/move`, { stage_id: w.stage('Успешно реализовано').id })).status).toBe(200);
    }
    at('2025-05-01T00:00:00Z');
    const r = await w.api.get('/reports/discipline?from=2025-04-01&to=2025-05-01');
    expectKpisClose(r.body.suggested_due_days, [
      {
        stage: 'Квалификация',
        stage_id: w.stage('Квалификация').id,
        segment: null,
        segment_id: null,
        type: 'call',
        n: 10,
        median_days: 5.5 / 24,
      },
    ]);
    const applied = await w.api.post(`/task-templates/${tpl.id}/apply-suggestion`, { version: tpl.version });
    expect(applied.status).toBe(200);
    expect(applied.body.template).toMatchObject({ due_days: 1, day_kind: 'calendar', version: tpl.version + 1 });
  });
});
