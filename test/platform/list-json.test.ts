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

async function listAll(path: string, sort: string): Promise<{ ids: number[]; byId: Map<number, unknown> }> {
  const ids: number[] = [];
  const byId = new Map<number, unknown>();
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: { id: number }[]; next_cursor: string | null } } = await api.get(
      `/${path}?limit=500&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`,
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
      // Descending by a time: the cursor carries the time from SQL and still visits every row once.
      if ('created_at' in r.fields && r.fields.created_at.sort) {
        const desc = await listAll(r.path, '-created_at');
        expect(
          [...desc.ids].sort((a, b) => a - b),
          `${r.path} by -created_at`,
        ).toEqual(expected.map((x) => x.id));
      }
    }
    // The demo has thousands of records; a comparison of empty lists would prove nothing.
    expect(compared).toBeGreaterThan(5_000);
  }, 120_000);
});
