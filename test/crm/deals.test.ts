import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recountCounters } from '../../src/history/stage-history.ts';
import { countRows, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let other: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Основное');
  other = await seedWorkspace(h, 'Чужое');
});
afterAll(async () => {
  await h.close();
});

/** The cached current stage must always equal the last entry of the history. */
async function assertCacheMatchesHistory(ws: number) {
  const rows = await h.db.query(sql`
    select d.id from deals d
     where d.workspace_id = ${ws}
       and row(d.stage_id, d.stage_entered_at) is distinct from (
         select row(e.stage_id, e.entered_at) from stage_events e join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
          where e.workspace_id = d.workspace_id and e.deal_id = d.id order by e.entered_at desc, s.position desc, e.id desc limit 1)`);
  expect(rows).toEqual([]);
}

/** funnel_counters, maintained move by move, must equal a full recount. */
async function assertCountersMatchRecount(ws: number, pipelineId: number) {
  const read = () =>
    h.db.query(sql`select stage_id, segment_key, finished, won, closed, current_closed from funnel_counters
                    where workspace_id = ${ws} and pipeline_id = ${pipelineId} and (finished, won, closed, current_closed) <> (0, 0, 0, 0) order by 1, 2`);
  const maintained = await read();
  await h.db.transaction((tx) => recountCounters(tx, ws, pipelineId));
  expect(maintained).toEqual(await read());
  expect(maintained.length).toBeGreaterThan(0);
}

describe('moving deals through the pipeline', () => {
  it('appends each move to the history and keeps visits, status and closing time', async () => {
    const deal = await w.api.post('/deals', { title: 'Лифты для ЖК', amount_minor: 2_500_000_00 });
    expect(deal.body).toMatchObject({ status: 'open', stage_id: w.stage('Новый лид').id, closed_at: null, version: 1 });
    const id = deal.body.id;
    const steps: [string, number][] = [
      ['Квалификация', 86_400_000],
      ['Встреча', 2 * 86_400_000],
      ['Квалификация', 3_600_000],
      ['Встреча', 86_400_000],
      ['Закрыто и не реализовано', 86_400_000],
      ['Демо', 30 * 86_400_000],
      ['Успешно реализовано', 86_400_000],
    ];
    let version = 1;
    for (const [stage, wait] of steps) {
      h.clock.advance(wait);
      const moved = await w.api.post(`/deals/${id}/move`, {
        stage_id: w.stage(stage).id,
        version,
        reason: stage.startsWith('Закрыто') ? 'Выбрали конкурента' : undefined,
      });
      expect(moved.status, stage).toBe(200);
      expect(moved.body.deal.version).toBe(version + 1);
      version = moved.body.deal.version;
    }
    const final = await w.api.get(`/deals/${id}`);
    expect(final.body).toMatchObject({
      status: 'won',
      stage_id: w.stage('Успешно реализовано').id,
      closed_at: h.clock.now().toISOString(),
    });
    const history = await w.api.get(`/deals/${id}/history`);
    expect(history.body.items.map((e: { stage_name: string }) => e.stage_name)).toEqual(['Новый лид', ...steps.map(([s]) => s)]);
    expect(history.body.items.map((e: { duration_days: number | null }) => e.duration_days)).toEqual([1, 2, 1 / 24, 1, 1, 30, 1, null]);
    expect(history.body.items[5]).toMatchObject({ stage_kind: 'lost', reason: 'Выбрали конкурента', user_id: w.adminId, source: 'api' });
    const visits = await h.db.query<{ visit_no: number; next_stage_id: number | null }>(
      sql`select visit_no, next_stage_id from stage_visits where workspace_id = ${w.ws} and deal_id = ${id} order by visit_no`,
    );
    expect(visits.map((v) => v.visit_no)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(visits[7].next_stage_id).toBeNull();
    await assertCacheMatchesHistory(w.ws);
    await assertCountersMatchRecount(w.ws, w.pipelineId);
  });

  it('refuses bad moves with a clear error and writes nothing', async () => {
    const deal = await w.api.post('/deals', { title: 'Проверка', amount_minor: 1 });
    const id = deal.body.id;
    const before = await countRows(h.db, 'stage_events', w.ws);
    const otherPipeline = await w.api.post('/pipelines', {
      name: 'Сервис',
      stages: [
        { name: 'Заявка', kind: 'open' },
        { name: 'Готово', kind: 'won' },
        { name: 'Отказ', kind: 'lost' },
      ],
    });
    const foreign = await w.api.post(`/deals/${id}/move`, { stage_id: otherPipeline.body.stages[0].id });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error).toMatchObject({
      code: 'STAGE_NOT_IN_PIPELINE',
      fields: [{ field: 'stage_id', code: 'stage_not_in_pipeline' }],
    });
    const otherWorkspaceStage = other.stage('Встреча').id;
    const guessed = await w.api.post(`/deals/${id}/move`, { stage_id: otherWorkspaceStage });
    expect(guessed.status).toBe(400);
    expect(guessed.body.error.fields).toEqual([
      { field: 'stage_id', message: `no stage ${otherWorkspaceStage} in this workspace`, code: 'not_found' },
    ]);
    const same = await w.api.post(`/deals/${id}/move`, { stage_id: w.stage('Новый лид').id });
    expect(same.status).toBe(422);
    expect(same.body.error.code).toBe('INVALID_MOVE');
    const past = await w.api.post(`/deals/${id}/move`, { stage_id: w.stage('Встреча').id, at: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(422);
    expect(past.body.error.message).toMatch(/cannot be rewritten/);
    const future = await w.api.post(`/deals/${id}/move`, { stage_id: w.stage('Встреча').id, at: '2099-01-01T00:00:00Z' });
    expect(future.status).toBe(422);
    const stale = await w.api.post(`/deals/${id}/move`, { stage_id: w.stage('Встреча').id, version: 7 });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'VERSION_CONFLICT', current_version: 1, your_version: 7 });
    const notMine = await other.api.post(`/deals/${id}/move`, { stage_id: otherWorkspaceStage });
    expect(notMine.status).toBe(404);
    const missing = await w.api.post('/deals/987654321/move', { stage_id: w.stage('Встреча').id });
    expect(missing.status).toBe(404);
    expect(await countRows(h.db, 'stage_events', w.ws)).toBe(before);
    expect((await w.api.get(`/deals/${id}`)).body.version).toBe(1);
  });

  it('answers 409 to one of two concurrent updates of one deal, losing nothing', async () => {
    const deal = await w.api.post('/deals', { title: 'Гонка', amount_minor: 100 });
    const id = deal.body.id;
    const [a, b] = await Promise.all([
      w.api.patch(`/deals/${id}`, { version: 1, amount_minor: 200 }),
      w.api.patch(`/deals/${id}`, { version: 1, title: 'Гонка (исправлено)' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const winner = a.status === 200 ? a : b;
    const loser = a.status === 200 ? b : a;
    expect(loser.body.error).toMatchObject({ code: 'VERSION_CONFLICT', current_version: 2, your_version: 1 });
    const now = await w.api.get(`/deals/${id}`);
    expect(now.body).toEqual(winner.body);
    expect(now.body.version).toBe(2);
  });

  it('serialises concurrent moves of one deal: each lands in the history or is refused with 409', async () => {
    const deal = await w.api.post('/deals', { title: 'Толпа', amount_minor: 100 });
    const id = deal.body.id;
    const targets = ['Квалификация', 'Встреча', 'Демо', 'КП отправлено', 'Квалификация', 'Встреча', 'Демо', 'КП отправлено'];
    const results = await Promise.all(targets.map((t) => w.api.post(`/deals/${id}/move`, { stage_id: w.stage(t).id, version: 1 })));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(targets.length - 1);
    const unversioned = await Promise.all(
      ['Квалификация', 'Встреча', 'Демо'].map((t) => w.api.post(`/deals/${id}/move`, { stage_id: w.stage(t).id })),
    );
    const landed = unversioned.filter((r) => r.status === 200).length;
    const history = await w.api.get(`/deals/${id}/history`);
    expect(history.body.items).toHaveLength(2 + landed);
    await assertCacheMatchesHistory(w.ws);
    await assertCountersMatchRecount(w.ws, w.pipelineId);
  });

  it('keeps status and stage out of PATCH, and other workspaces out of reach', async () => {
    const deal = await w.api.post('/deals', { title: 'Только move', amount_minor: 1 });
    const res = await w.api.patch(`/deals/${deal.body.id}`, { version: 1, status: 'won', stage_id: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['stage_id', 'status']);
    expect((await other.api.get(`/deals/${deal.body.id}`)).status).toBe(404);
    expect((await other.api.patch(`/deals/${deal.body.id}`, { version: 1, title: 'угон' })).status).toBe(404);
    const fk = await other.api.post('/deals', {
      title: 'Чужая компания',
      company_id: (await w.api.post('/companies', { name: 'Моя' })).body.id,
    });
    expect(fk.status).toBe(400);
    expect(fk.body.error.fields[0]).toMatchObject({ field: 'company_id', code: 'not_found' });
    const otherCurrency = await w.api.post('/deals', { title: 'В долларах', currency: 'USD' });
    expect(otherCurrency.status).toBe(400);
    expect(otherCurrency.body.error.fields[0].field).toBe('currency');
  });
});
