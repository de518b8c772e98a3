import sql, { raw } from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/**
 * Two workspaces; every API route is tried from the second with the first's ids
 * (as an attacker would guess them): nothing of the first is visible, and nothing
 * of it changes. Underneath, row-level security holds even for SQL that forgets
 * its workspace condition.
 */
let h: Harness;
let one: SeededWorkspace;
let two: SeededWorkspace;
const firstIds: Record<string, number> = {};

async function tables(): Promise<string[]> {
  const rows = await h.db.query<{ table_name: string }>(sql`
    select c.table_name from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
     where c.table_schema = current_schema() and c.column_name = 'workspace_id' and t.table_type = 'BASE TABLE'
     order by 1`);
  return rows.map((r) => r.table_name);
}

/** Everything of a workspace, as one hash per table. */
async function fingerprint(ws: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of await tables()) {
    const [r] = await h.db.query<{ n: number; h: string | null }>(
      sql`select count(*)::int as n, md5(string_agg(x::text, '|' order by x::text)) as h from ${raw(t)} x where x.workspace_id = ${ws}`,
    );
    out[t] = `${r.n}:${r.h}`;
  }
  return out;
}

beforeAll(async () => {
  h = await startHarness();
  one = await seedWorkspace(h, 'Первая');
  two = await seedWorkspace(h, 'Вторая');
  const make = async (key: string, path: string, body: Record<string, unknown>) => {
    const r = await one.api.post(path, body);
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(201);
    firstIds[key] = r.body.id;
  };
  await make('companies', '/companies', { name: 'Тайная компания' });
  await make('contacts', '/contacts', { name: 'Тайный контакт', company_id: firstIds.companies });
  await make('segments', '/segments', { name: 'Тайный сегмент' });
  await make('channels', '/channels', { name: 'Тайный канал' });
  await make('deals', '/deals', {
    title: 'Тайная сделка',
    stage_id: one.stage('Квалификация').id,
    company_id: firstIds.companies,
    amount_minor: 1,
  });
  await make('leads', '/leads', { title: 'Тайный лид' });
  await make('activities', '/activities', { type: 'call', at: h.clock.now().toISOString(), deal_id: firstIds.deals });
  await make('tasks', '/tasks', { title: 'Тайная задача', deal_id: firstIds.deals });
  await make('field-blocks', '/field-blocks', { object_type: 'deal', name_ru: 'Тайное', name_en: 'Secret' });
  await make('custom-fields', '/custom-fields', {
    object_type: 'deal',
    key: 'secret',
    type: 'text',
    label_ru: 'Тайна',
    label_en: 'Secret',
  });
  await make('stage-requirements', '/stage-requirements', { stage_id: one.stage('Демо').id, field: 'company_id' });
  await make('task-templates', '/task-templates', {
    key: 'secret',
    stage_id: one.stage('Демо').id,
    title_ru: 'Тайно',
    title_en: 'Secret',
    type: 'call',
    due_days: 1,
  });
  await make('saved-views', '/saved-views', { object_type: 'deal', name: 'Тайный вид', query: 'status=open' });
  firstIds.pipelines = one.pipelineId;
  firstIds.stages = one.stage('Квалификация').id;
  firstIds.users = one.adminId;
  h.clock.advance(3_600_000);
});
afterAll(async () => {
  await h.close();
});

describe('tenant isolation', () => {
  it('every route from another workspace sees and changes nothing of the first, even with its ids', async () => {
    const doc = (await two.api.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const before = await fingerprint(one.ws);
    let tried = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      const rel = path.replace('/api/v1', '');
      const resource = rel.split('/')[1];
      for (const method of Object.keys(ops)) {
        if (rel.startsWith('/auth/') || rel === '/openapi.json') continue;
        const id = firstIds[resource];
        const url = rel.includes('{id}') ? (id ? rel.replace('{id}', String(id)) : null) : rel;
        if (!url || url.includes('{')) continue;
        tried++;
        const res =
          method === 'get'
            ? await two.api.get(
                url.includes('reports/') ? `${url}?from=2025-01-01&to=2026-01-01&metric=deals_created&stage=Квалификация` : url,
              )
            : await two.api.raw(url, {
                method: method.toUpperCase(),
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(
                  method === 'patch'
                    ? { version: 1, name: 'взлом', title: 'взлом' }
                    : { stage_id: firstIds.stages, version: 1, decision: 'typical' },
                ),
              });
        expect(res.status, `${method.toUpperCase()} ${url}: ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(500);
        if (rel.includes('{id}')) expect([400, 403, 404], `${method.toUpperCase()} ${url}`).toContain(res.status);
        // Nothing the first workspace named may appear in any answer of the second.
        expect(JSON.stringify(res.body), `${method.toUpperCase()} ${url}`).not.toMatch(/Тайн|Secret/);
        if (method === 'get' && Array.isArray(res.body?.items)) {
          for (const item of res.body.items) {
            if (typeof item.id !== 'number' || !resource || !firstIds[resource]) continue;
            const table = resource.replace(/-/g, '_');
            const [row] = await h.db.query<{ workspace_id: number }>(
              sql`select workspace_id from ${raw(table)} where id = ${item.id} and workspace_id = ${two.ws}`,
            );
            expect(row, `${url} returned id ${item.id} not of the second workspace`).toBeDefined();
          }
        }
      }
    }
    expect(tried).toBeGreaterThan(50);
    // References to the first workspace's records are refused on create.
    const refs = await two.api.post('/deals', { title: 'Ссылки', stage_id: firstIds.stages, company_id: firstIds.companies });
    expect(refs.status).toBe(400);
    expect(refs.body.error.fields.map((f: { field: string }) => f.field)).toContain('company_id');
    const stage = await two.api.post('/deals', { title: 'Чужой этап', stage_id: firstIds.stages });
    expect(stage.status).toBe(400);
    expect(stage.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['stage_id']);
    const task = await two.api.post('/tasks', { title: 'Ссылка', deal_id: firstIds.deals });
    expect(task.status).toBe(400);
    expect(await fingerprint(one.ws)).toEqual(before);
  });

  it('row-level security: the request role sees only its workspace even without a workspace condition', async () => {
    const all = await tables();
    const counted = await inWorkspace(h.db, two.ws, async (tx) => {
      const [who] = await tx.query<{ u: string; bypass: boolean; sup: boolean }>(
        sql`select current_user as u, r.rolbypassrls as bypass, r.rolsuper as sup from pg_roles r where r.rolname = current_user`,
      );
      expect(who).toEqual({ u: 'voronka_app', bypass: false, sup: false });
      const out: Record<string, number> = {};
      for (const t of all) {
        const [r] = await tx.query<{ n: number; other: number }>(
          sql`select count(*)::int as n, count(*) filter (where workspace_id <> ${two.ws})::int as other from ${raw(t)}`,
        );
        expect(r.other, t).toBe(0);
        out[t] = r.n;
      }
      return out;
    });
    expect(counted.deals).toBe(0);
    expect(counted.stages).toBe(two.stages.length);
    // Writing into another workspace is refused by the policy, and updates cannot reach it.
    await expect(
      inWorkspace(h.db, two.ws, (tx) => tx.query(sql`insert into segments (workspace_id, name) values (${one.ws}, 'Подброшенный')`)),
    ).rejects.toThrow(/row-level security/);
    const changed = await inWorkspace(h.db, two.ws, (tx) =>
      tx.run(sql`update companies set name = 'взлом' where id = ${firstIds.companies}`),
    );
    expect(changed).toBe(0);
    const [name] = await h.db.query<{ name: string }>(
      sql`select name from companies where workspace_id = ${one.ws} and id = ${firstIds.companies}`,
    );
    expect(name.name).toBe('Тайная компания');
  });

  it('every table keyed by workspace_id has row-level security with the isolation policy', async () => {
    const rows = await h.db.query<{ t: string; rls: boolean; policies: number }>(sql`
      select c.relname as t, c.relrowsecurity as rls,
             (select count(*)::int from pg_policies p where p.schemaname = current_schema() and p.tablename = c.relname and p.policyname = 'workspace_isolation') as policies
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = current_schema() and c.relkind = 'r'
         and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'workspace_id' and not a.attisdropped)
       order by 1`);
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.filter((r) => !r.rls || r.policies !== 1)).toEqual([]);
  });
});
