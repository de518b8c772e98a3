/**
 * Bulk actions (issue 16): a new owner, a move to a stage, a task on each selected deal, and a new
 * owner for companies, contacts and leads — all or nothing, refusals naming the record.
 */
import sql, { raw } from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let other: SeededWorkspace;
let manager: ApiClient;
let managerId: number;
let seniorId: number;

const post = async (api: ApiClient, path: string, body: unknown) => {
  const r = await api.post(path, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as number;
};
/** The deals' owner, stage and version as stored. */
const state = async (ids: number[]) =>
  (
    await h.db.query<{ id: number; owner_id: number; stage_id: number; version: number }>(
      sql`select id, owner_id, stage_id, version from deals where workspace_id = ${w.ws} and id = any(${ids}::int8[]) order by id`,
    )
  ).map((r) => ({ id: Number(r.id), owner_id: Number(r.owner_id), stage_id: Number(r.stage_id), version: r.version }));
const audits = async (entity: string, ids: number[]) =>
  (
    await h.db.query<{ entity_id: number; changes: Record<string, { from: unknown; to: unknown }> }>(
      sql`select entity_id, changes from audit_log where workspace_id = ${w.ws} and entity = ${entity} and action = 'update'
            and entity_id = any(${ids}::int8[]) order by entity_id, id`,
    )
  ).map((a) => ({ id: Number(a.entity_id), changes: a.changes }));

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Массовые');
  other = await seedWorkspace(h, 'Чужой');
  const now = h.ctx.clock.now();
  managerId = await addUser(
    h.db,
    w.ws,
    { name: 'Мария', email: `m@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
    now,
  );
  seniorId = await addUser(
    h.db,
    w.ws,
    { name: 'Сергей', email: `s@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
    now,
  );
  manager = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: managerId }, { name: 't' })).token);
});
afterAll(async () => {
  await h.close();
});

describe('bulk actions on deals', () => {
  it('reassigns three deals in one request, each with its audit entry', async () => {
    const ids = [
      await post(w.api, '/deals', { title: 'А' }),
      await post(w.api, '/deals', { title: 'Б' }),
      await post(w.api, '/deals', { title: 'В' }),
    ];
    const r = await w.api.post('/deals/bulk', { ids, set: { owner_id: seniorId } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ updated: ids.map((id) => ({ id, version: 2 })), tasks_created: 0 });
    expect((await state(ids)).map((d) => d.owner_id)).toEqual([seniorId, seniorId, seniorId]);
    expect(await audits('deals', ids)).toEqual(ids.map((id) => ({ id, changes: { owner_id: { from: w.adminId, to: seniorId } } })));
  });

  it('moves deals through the move logic and adds a task to each', async () => {
    const ids = [await post(w.api, '/deals', { title: 'Г' }), await post(w.api, '/deals', { title: 'Д' })];
    const qual = w.stage('Квалификация').id;
    const r = await w.api.post('/deals/bulk', {
      ids,
      set: { stage_id: qual },
      add_task: { title: 'Позвонить', type: 'call', due_at: '2025-03-05T09:00:00Z' },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.tasks_created).toBe(2);
    expect((await state(ids)).map((d) => d.stage_id)).toEqual([qual, qual]);
    const events = await h.db.query<{ deal_id: number }>(
      sql`select deal_id from stage_events where workspace_id = ${w.ws} and stage_id = ${qual} and deal_id = any(${ids}::int8[]) order by deal_id`,
    );
    expect(events.map((e) => Number(e.deal_id))).toEqual(ids);
    const tasks = await h.db.query<{ deal_id: number; title: string; owner_id: number }>(
      sql`select deal_id, title, owner_id from tasks where workspace_id = ${w.ws} and deal_id = any(${ids}::int8[]) and title = 'Позвонить' order by deal_id`,
    );
    expect(tasks.map((t) => [Number(t.deal_id), t.title, Number(t.owner_id)])).toEqual(ids.map((id) => [id, 'Позвонить', w.adminId]));
  });

  it('a move refused for one deal rolls back all, naming that deal and the missing field', async () => {
    const meeting = w.stage('Встреча');
    expect((await w.api.post('/stage-requirements', { stage_id: meeting.id, field: 'region' })).status).toBe(201);
    const ok = await post(w.api, '/deals', { title: 'С регионом', region: 'Сибирь' });
    const bad = await post(w.api, '/deals', { title: 'Без региона' });
    const before = await state([ok, bad]);
    const r = await w.api.post('/deals/bulk?lang=ru', { ids: [ok, bad], set: { stage_id: meeting.id, owner_id: seniorId } });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('STAGE_REQUIREMENTS_MISSING');
    expect(r.body.error.errors).toHaveLength(1);
    expect(r.body.error.errors[0]).toMatchObject({ id: bad, code: 'STAGE_REQUIREMENTS_MISSING' });
    expect(r.body.error.errors[0].message).toContain('Встреча');
    expect(r.body.error.message).toContain(`ничего не изменено, отказано: 1 — сделка ${bad}: чтобы перейти на этап «Встреча»`);
    expect(await state([ok, bad])).toEqual(before);
    expect(await audits('deals', [ok, bad])).toEqual([]);
  });

  it('an id of another workspace answers 404 naming it, and nothing changes', async () => {
    const mine = await post(w.api, '/deals', { title: 'Моя' });
    const foreign = await post(other.api, '/deals', { title: 'Чужая' });
    const before = await state([mine]);
    const r = await w.api.post('/deals/bulk', { ids: [mine, foreign], set: { owner_id: seniorId } });
    expect(r.status).toBe(404);
    expect(r.body.error.errors).toEqual([{ id: foreign, code: 'NOT_FOUND', message: `no deal ${foreign} here` }]);
    expect(await state([mine])).toEqual(before);
    const [f] = await h.db.query<{ owner_id: number }>(sql`select owner_id from deals where id = ${foreign}`);
    expect(Number(f.owner_id)).toBe(other.adminId);
  });

  it('a manager cannot bulk-edit a deal they cannot see: 404 for it, theirs unchanged', async () => {
    const theirs = await post(w.api, '/deals', { title: 'Марии', owner_id: managerId });
    const hidden = await post(w.api, '/deals', { title: 'Админа' });
    const before = await state([theirs, hidden]);
    const r = await manager.post('/deals/bulk', { ids: [theirs, hidden], set: { stage_id: w.stage('Квалификация').id } });
    expect(r.status).toBe(404);
    expect(r.body.error.errors.map((e: { id: number; code: string }) => [e.id, e.code])).toEqual([[hidden, 'NOT_FOUND']]);
    expect(await state([theirs, hidden])).toEqual(before);
    // Nor give their own deal to someone outside their scope.
    const give = await manager.post('/deals/bulk', { ids: [theirs], set: { owner_id: seniorId } });
    expect(give.status, JSON.stringify(give.body)).toBe(403);
    expect(give.body.error.errors[0]).toMatchObject({ id: theirs, code: 'FORBIDDEN' });
    expect(await state([theirs])).toEqual([before[0]]);
  });

  it('a stale version answers 409 for that deal and changes nothing', async () => {
    const a = await post(w.api, '/deals', { title: 'Версия А' });
    const b = await post(w.api, '/deals', { title: 'Версия Б' });
    expect((await w.api.patch(`/deals/${b}`, { version: 1, region: 'Урал' })).status).toBe(200);
    const before = await state([a, b]);
    const r = await w.api.post('/deals/bulk', {
      ids: [
        { id: a, version: 1 },
        { id: b, version: 1 },
      ],
      set: { owner_id: seniorId },
    });
    expect(r.status).toBe(409);
    expect(r.body.error.errors.map((e: { id: number; code: string }) => [e.id, e.code])).toEqual([[b, 'VERSION_CONFLICT']]);
    expect(await state([a, b])).toEqual(before);
  });

  it('refuses more than 500 ids, repeated ids and an empty action, naming the field', async () => {
    const many = await w.api.post('/deals/bulk', { ids: Array.from({ length: 501 }, (_, i) => i + 1), set: { owner_id: seniorId } });
    expect(many.status).toBe(400);
    expect(many.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['ids']);
    const twice = await w.api.post('/deals/bulk', { ids: [1, 1], set: { owner_id: seniorId } });
    expect(twice.status).toBe(400);
    expect(twice.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['ids']);
    const nothing = await w.api.post('/deals/bulk', { ids: [1], set: {} });
    expect(nothing.status).toBe(400);
    expect(nothing.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['set']);
    const stage = await w.api.post('/companies/bulk', { ids: [1], set: { stage_id: 1 } });
    expect(stage.status).toBe(400);
  });
});

describe('bulk owner change on companies, contacts and leads', () => {
  it('reassigns each kind with its audit entries', async () => {
    for (const [path, table, body] of [
      ['/companies', 'companies', { name: 'Ромашка' }],
      ['/contacts', 'contacts', { name: 'Козлова' }],
      ['/leads', 'leads', { title: 'Заявка' }],
    ] as const) {
      const ids = [await post(w.api, path, body), await post(w.api, path, body)];
      const r = await w.api.post(`${path}/bulk`, { ids, set: { owner_id: managerId } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.updated.map((u: { id: number }) => u.id)).toEqual(ids);
      const owners = await h.db.query<{ owner_id: number }>(
        sql`select owner_id from ${raw(table)} where id = any(${ids}::int8[]) order by id`,
      );
      expect(owners.map((o) => Number(o.owner_id))).toEqual([managerId, managerId]);
      expect((await audits(table, ids)).map((a) => [a.id, a.changes.owner_id?.to])).toEqual(ids.map((id) => [id, managerId]));
    }
  });
});
