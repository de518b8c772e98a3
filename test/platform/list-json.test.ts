import sql, { raw } from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../../src/demo/load-demo.ts';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { type Resource, toApi } from '../../src/platform/resource/resource.ts';
import { listedResources } from '../../src/platform/resource/resource-routes.ts';
import { type ApiClient, apiClient, type Harness, startHarness } from '../support/harness.ts';

// Lists are written as JSON by SQL (`apiJsonSql`); the rest of the API (and the lists before)
// writes rows through `toApi`. Over the demo workspace (every record type, nulls, custom values,
// times, arrays), both must give the same objects for every resource that has a list.
const AS_OF = new Date('2026-11-20T12:00:00Z');

let h: Harness;
let api: ApiClient;
let ws: number;
beforeAll(async () => {
  h = await startHarness({ clockAt: AS_OF });
  const demo = await loadDemo(h.db, { seed: 5, asOf: AS_OF, now: AS_OF });
  ws = demo.workspaceId;
  const [admin] = await h.db.query<{ id: number }>(sql`select id from users where workspace_id = ${ws} and role = 'admin' limit 1`);
  const { token } = await createApiToken(h.ctx, { workspaceId: ws, userId: admin.id }, { name: 'list-json' });
  api = apiClient(h.url, token);
}, 120_000);
afterAll(async () => {
  await h.close();
});

async function listAll(path: string, sort: string, limit = 250): Promise<{ ids: number[]; byId: Map<number, unknown> }> {
  const ids: number[] = [];
  const byId = new Map<number, unknown>();
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: { id: number }[]; next_cursor: string | null } } = await api.get(
      `/${path}${path.includes('?') ? '&' : '?'}limit=${limit}&sort=${sort}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status, `${path}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(200);
    for (const item of res.body.items) {
      ids.push(item.id);
      byId.set(item.id, item);
    }
    cursor = res.body.next_cursor;
  } while (cursor);
  return { ids, byId };
}

describe('lists written by SQL', () => {
  it('covers the resources of the API', () => {
    expect([...listedResources].map((r) => r.path)).toEqual(
      expect.arrayContaining(['deals', 'companies', 'contacts', 'leads', 'activities', 'tasks', 'users', 'segments', 'channels']),
    );
  });

  it('give every resource the same objects as toApi, in the order asked, every row once', async () => {
    let compared = 0;
    for (const r of listedResources as Set<Resource>) {
      const rows = await inWorkspace(h.db, ws, (tx) => tx.query(sql`select * from ${raw(r.table)} where workspace_id = ${ws} order by id`));
      const expected = rows.map((row) => JSON.parse(JSON.stringify(toApi(r, row))));
      const byId = await listAll(r.path, 'id');
      expect(byId.ids, r.path).toEqual(expected.map((x) => x.id));
      for (const x of expected) expect(byId.byId.get(x.id), `${r.path} ${x.id}`).toStrictEqual(x);
      compared += expected.length;
      // Descending by a time, page after page: exactly the database's order.
      if ('created_at' in r.fields && r.fields.created_at.sort) {
        const desc = await listAll(r.path, '-created_at');
        const order = await inWorkspace(h.db, ws, (tx) =>
          tx.query<{ id: number }>(sql`select id from ${raw(r.table)} where workspace_id = ${ws} order by created_at desc, id desc`),
        );
        expect(desc.ids, `${r.path} by -created_at`).toEqual(order.map((x) => Number(x.id)));
      }
    }
    // The demo has thousands of records; a comparison of empty lists would prove nothing.
    expect(compared).toBeGreaterThan(5_000);
  }, 120_000);

  it('pages by a time that rows share to the millisecond, differing in microseconds, without skipping or repeating', async () => {
    const picked = await h.db.query<{ id: number }>(sql`select id from deals where workspace_id = ${ws} order by id limit 6`);
    const ids = picked.map((x) => Number(x.id));
    const times = ['.123456', '.123456', '.123789', '.123001', '.123999', '.124000'];
    for (const [i, id] of ids.entries())
      await h.db.run(
        sql`update deals set created_at = ${`2026-01-01 10:00:00${times[i]}+00`}::timestamptz where workspace_id = ${ws} and id = ${id}`,
      );
    const order = await h.db.query<{ id: number }>(
      sql`select id from deals where workspace_id = ${ws} and id = any(${ids}::int8[]) order by created_at desc, id desc`,
    );
    for (const limit of [1, 2, 4]) {
      const got = await listAll(`deals?id=${ids.join(',')}`, '-created_at', limit);
      expect(got.ids, `limit ${limit}`).toEqual(order.map((x) => Number(x.id)));
      const asc = await listAll(`deals?id=${ids.join(',')}`, 'created_at', limit);
      expect(asc.ids, `ascending, limit ${limit}`).toEqual(order.map((x) => Number(x.id)).reverse());
    }
  });
});
