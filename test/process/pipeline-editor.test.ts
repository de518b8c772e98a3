import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Редактор воронок');
});
afterAll(async () => {
  await h.close();
});

const stageRow = async (id: number) => (await w.api.get(`/stages/${id}`)).body;
const fieldOf = (r: { body: { error: { fields?: { field: string; code?: string }[] } } }) => r.body.error.fields?.[0];

describe('stage archive', () => {
  it('moves the open deals through the ordinary move, records the skipped requirements as forced, and keeps the history in reports', async () => {
    const demo = w.stage('Демо');
    const proposal = w.stage('КП отправлено');
    // Forward into the target, which requires a company the deals lack: the administrative move passes and says so.
    await w.api.post('/stage-requirements', { stage_id: proposal.id, field: 'company_id' });
    await w.api.post('/task-templates', {
      stage_id: proposal.id,
      title_ru: 'Отправить КП',
      title_en: 'Send the proposal',
      type: 'call',
      due_days: 1,
    });
    const ids: number[] = [];
    for (const title of ['Архив 1', 'Архив 2']) {
      const d = await w.api.post('/deals', { title, amount_minor: 100_00, stage_id: w.stage('Новый лид').id });
      expect((await w.api.post(`/deals/${d.body.id}/move`, { stage_id: demo.id })).status).toBe(200);
      ids.push(d.body.id);
    }
    h.clock.advance(3_600_000);
    const before = await w.api.get(`/pipelines/${w.pipelineId}`);
    expect(before.body.stages.find((s: { id: number }) => s.id === demo.id)).toMatchObject({
      open_deals: 2,
      has_history: true,
      archived: false,
    });
    const funnelBefore = await w.api.get('/reports/funnel?from=2025-03-01&to=2025-03-10');
    const enteredBefore = funnelBefore.body.stage_conversion.find((s: { stage: string }) => s.stage === 'Демо')?.entered;
    expect(enteredBefore).toBe(2);

    const st = await stageRow(demo.id);
    const noTarget = await w.api.post(`/stages/${demo.id}/archive`, { version: st.version });
    expect(noTarget.status).toBe(400);
    expect(fieldOf(noTarget)).toMatchObject({ field: 'move_open_to', code: 'required' });
    const same = await w.api.post(`/stages/${demo.id}/archive`, { version: st.version, move_open_to: demo.id });
    expect(fieldOf(same)).toMatchObject({ field: 'move_open_to', code: 'same' });
    const won = await w.api.post(`/stages/${demo.id}/archive`, { version: st.version, move_open_to: w.stage('Успешно реализовано').id });
    expect(fieldOf(won)).toMatchObject({ field: 'move_open_to', code: 'not_open' });
    const stale = await w.api.post(`/stages/${demo.id}/archive`, { version: st.version + 5, move_open_to: proposal.id });
    expect(stale.status).toBe(409);

    const archived = await w.api.post(
      `/stages/${demo.id}/archive`,
      { version: st.version, move_open_to: proposal.id },
      { 'accept-language': 'ru' },
    );
    expect(archived.status, JSON.stringify(archived.body)).toBe(200);
    expect(archived.body.moved).toBe(2);
    expect(archived.body.stage.archived_at).toBe(new Date(h.clock.now()).toISOString());
    expect(archived.body.stage.archived_by).toBe(w.adminId);
    for (const id of ids) {
      const deal = (await w.api.get(`/deals/${id}`)).body;
      expect(deal.stage_id).toBe(proposal.id);
      const [entry] = await h.db.query(sql`
        select stage_id, reason, forced, required_total, required_filled from stage_events
         where workspace_id = ${w.ws} and deal_id = ${id} order by entered_at desc, id desc limit 1`);
      expect(entry).toEqual({ stage_id: proposal.id, reason: 'этап в архиве', forced: true, required_total: 1, required_filled: 0 });
      // The target's playbook ran as for any move.
      const [task] = await h.db.query(
        sql`select title from tasks where workspace_id = ${w.ws} and deal_id = ${id} and template_id is not null`,
      );
      expect(task).toEqual({ title: 'Отправить КП' });
    }
    const [auditRow] = await h.db.query(
      sql`select action, changes from audit_log where workspace_id = ${w.ws} and entity = 'stages' and entity_id = ${demo.id} order by id desc limit 1`,
    );
    expect(auditRow.action).toBe('archive');
    expect(auditRow.changes).toMatchObject({ open_deals: { from: 2, to: 0 }, move_open_to: { from: null, to: proposal.id } });

    // Gone from the board and refused as a target; still in the history and the past period's report.
    const board = await w.api.get(`/board?pipeline_id=${w.pipelineId}`);
    expect(board.body.columns.map((c: { name: string }) => c.name)).not.toContain('Демо');
    expect(board.body.columns.find((c: { stage_id: number }) => c.stage_id === proposal.id).count).toBe(2);
    const refused = await w.api.post(`/deals/${ids[0]}/move`, { stage_id: demo.id });
    expect(refused.status).toBe(422);
    expect(fieldOf(refused)).toMatchObject({ field: 'stage_id', code: 'archived' });
    const history = await w.api.get(`/deals/${ids[0]}/history`);
    expect(history.body.items.map((e: { stage_name: string }) => e.stage_name)).toEqual(['Новый лид', 'Демо', 'КП отправлено']);
    h.clock.advance(3_600_000);
    const funnelAfter = await w.api.get('/reports/funnel?from=2025-03-01&to=2025-03-10');
    expect(funnelAfter.body.stage_conversion.find((s: { stage: string }) => s.stage === 'Демо')?.entered).toBe(2);

    // Restored: a target again.
    const again = await w.api.post(`/stages/${demo.id}/archive`, { version: archived.body.stage.version, move_open_to: proposal.id });
    expect(again.status).toBe(409);
    const restored = await w.api.post(`/stages/${demo.id}/restore`, { version: archived.body.stage.version });
    expect(restored.status).toBe(200);
    expect(restored.body.archived_at).toBeNull();
    expect((await w.api.post(`/deals/${ids[0]}/move`, { stage_id: demo.id })).status).toBe(200);
  });

  it('refuses to archive the last open stage or the only won or lost stage, naming the field', async () => {
    const p = await w.api.post('/pipelines', {
      name: 'Короткая',
      stages: [
        { name: 'Работа', kind: 'open' },
        { name: 'Да', kind: 'won' },
        { name: 'Нет', kind: 'lost' },
      ],
    });
    expect(p.status).toBe(201);
    for (const s of p.body.stages) {
      const r = await w.api.post(`/stages/${s.id}/archive`, { version: s.version }, { 'accept-language': 'ru' });
      expect(r.status).toBe(400);
      expect(fieldOf(r)).toMatchObject({ field: 'id', code: 'last_of_kind' });
    }
    const other = await w.api.post(`/stages/${w.stage('Квалификация').id}/archive`, {
      version: (await stageRow(w.stage('Квалификация').id)).version,
      move_open_to: p.body.stages[0].id,
    });
    expect(fieldOf(other)).toMatchObject({ field: 'move_open_to', code: 'stage_not_in_pipeline' });
  });
});

describe('stages without history', () => {
  it('may change kind and be deleted; a stage with history may neither', async () => {
    const created = await w.api.post('/stages', { pipeline_id: w.pipelineId, name: 'Пилот', kind: 'open' });
    expect(created.status).toBe(201);
    const kinded = await w.api.patch(`/stages/${created.body.id}`, { version: created.body.version, kind: 'won' });
    expect(kinded.status, JSON.stringify(kinded.body)).toBe(200);
    expect(kinded.body.kind).toBe('won');
    // Won stages sit after the open ones.
    const view = await w.api.get(`/pipelines/${w.pipelineId}`);
    const kinds = view.body.stages.map((s: { kind: string }) => s.kind);
    expect(kinds.indexOf('won')).toBeGreaterThan(kinds.lastIndexOf('open'));
    expect(view.body.stages.find((s: { id: number }) => s.id === created.body.id)).toMatchObject({ has_history: false, open_deals: 0 });

    const d = await w.api.post('/deals', { title: 'История', stage_id: w.stage('Квалификация').id });
    expect(d.status).toBe(201);
    const withHistory = await stageRow(w.stage('Квалификация').id);
    const refusedKind = await w.api.patch(`/stages/${withHistory.id}`, { version: withHistory.version, kind: 'lost' });
    expect(refusedKind.status).toBe(400);
    expect(fieldOf(refusedKind)).toMatchObject({ field: 'kind', code: 'immutable' });
    const refusedDelete = await w.api.del(`/stages/${withHistory.id}?version=${withHistory.version}`);
    expect(refusedDelete.status).toBe(409);

    const current = await stageRow(created.body.id);
    const staleDelete = await w.api.del(`/stages/${created.body.id}?version=${current.version - 1}`);
    expect(staleDelete.status).toBe(409);
    const deleted = await w.api.del(`/stages/${created.body.id}?version=${current.version}`);
    expect(deleted.status).toBe(204);
    expect((await w.api.get(`/stages/${created.body.id}`)).status).toBe(404);
    const positions = (await w.api.get(`/pipelines/${w.pipelineId}`)).body.stages.map((s: { position: number }) => s.position);
    expect(positions).toEqual(positions.map((_: number, i: number) => i + 1));
  });

  it('lets only the admin and the head of sales archive, restore or delete', async () => {
    const manager = await w.api.post('/users', {
      name: 'Менеджер М',
      email: `mm@${w.ws}.test`,
      role: 'manager',
      password: 'manager password 1',
    });
    const { createApiToken } = await import('../../src/platform/auth/auth-service.ts');
    const { apiClient } = await import('../support/harness.ts');
    const { token } = await createApiToken(h.ctx, { workspaceId: w.ws, userId: manager.body.id }, { name: 't' });
    const asManager = apiClient(h.url, token);
    const st = await stageRow(w.stage('Встреча').id);
    expect((await asManager.post(`/stages/${st.id}/archive`, { version: st.version, move_open_to: w.stage('Демо').id })).status).toBe(403);
    expect((await asManager.del(`/stages/${st.id}?version=${st.version}`)).status).toBe(403);
  });
});
