import type { Sql } from 'sql-template-tag';
import sql, { raw } from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companies } from '../../src/crm/companies.ts';
import { deals } from '../../src/crm/deals.ts';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { RowJsonCache } from '../../src/platform/cache/row-json-cache.ts';
import { rowCacheMegabytes } from '../../src/platform/context.ts';
import type { Queryable } from '../../src/platform/db/types.ts';
import { inWorkspace, readInWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { listJson, listRecords, type Resource, toApi } from '../../src/platform/resource/resource.ts';
import { listedResources } from '../../src/platform/resource/resource-routes.ts';
import { openDemoDb } from '../support/demo-db.ts';
import { type ApiClient, apiClient, type Harness, seedWorkspace, startHarness } from '../support/harness.ts';

// Lists are written as JSON by SQL (`apiJsonSql`); the rest of the API (and the lists before)
// writes rows through `toApi`. Over the demo workspace (every record type, nulls, custom values,
// times, arrays), both must give the same objects for every resource that has a list.
const AS_OF = new Date('2026-11-20T12:00:00Z');

let h: Harness;
let api: ApiClient;
let ws: number;
beforeAll(async () => {
  const { db, demo } = await openDemoDb({ seed: 5, asOf: AS_OF, now: AS_OF });
  h = await startHarness({ db, clockAt: AS_OF });
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
      // The first pass reads every row's JSON from the database; the second answers the same pages
      // from the cache whole; the third, in pages cut elsewhere, builds new pages of cached rows.
      for (const [pass, limit] of [
        ['cold', 250],
        ['pages cached', 250],
        ['rows cached', 249],
      ] as const) {
        const byId = await listAll(r.path, 'id', limit);
        expect(byId.ids, `${r.path} ${pass}`).toEqual(expected.map((x) => x.id));
        for (const x of expected) expect(byId.byId.get(x.id), `${r.path} ${x.id} ${pass}`).toStrictEqual(x);
      }
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
    expect(h.app.caches.rows?.size).toBeGreaterThan(5_000);
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

  it('shows a row changed by anything — SQL by hand, the version untouched — on the next page, the cache warm', async () => {
    const page = async () =>
      (await api.get('/companies?sort=id&limit=5')).body as { items: { id: number; name: string; version: number }[] };
    const before = await page();
    await page(); // served from the cache
    const first = before.items[0];
    await h.db.run(sql`update companies set name = ${'Переименована вручную'} where workspace_id = ${ws} and id = ${first.id}`);
    const after = await page();
    expect(after.items[0]).toMatchObject({ id: first.id, name: 'Переименована вручную', version: first.version });
    expect(after.items.slice(1)).toEqual(before.items.slice(1));
  });

  describe('a row written between the page and its rows', () => {
    const read = <T>(fn: (q: Queryable, extra: Sql[]) => Promise<T>) => readInWorkspace(h.db, ws, (q) => fn(q, []));
    /** `read`, with `between` run after the page's versions were read, before the rows. */
    const racing = (between: () => Promise<unknown>) => {
      let n = 0;
      return async <T>(fn: (q: Queryable, extra: Sql[]) => Promise<T>) => {
        if (n++ === 1) await between();
        return read(fn);
      };
    };

    it('is read again in one statement when changed: the page shows one moment', async () => {
      const cache = new RowJsonCache(1 << 20);
      const byName = { sort: 'name', limit: 5 };
      const first = await readInWorkspace(h.db, ws, (q) => listRecords(q, ws, companies, byName));
      const moved = JSON.parse(first.items[2]).id as number;
      // Renamed between the reads so that it now sorts far after this page: the page must not show
      // it (in its old place, with its new name).
      const changed = racing(() => h.db.run(sql`update companies set name = ${'ЯЯЯ Изменена между чтениями'} where id = ${moved}`));
      const got = JSON.parse((await listJson(changed, cache, ws, companies, byName)).toString());
      const now = await readInWorkspace(h.db, ws, (q) => listRecords(q, ws, companies, byName));
      expect(got).toEqual({ items: now.items.map((j) => JSON.parse(j)), next_cursor: now.next_cursor });
      expect(got.items.map((x: { id: number }) => x.id)).not.toContain(moved);
      // The next read, undisturbed, gives the same page again (from the cache and the database).
      expect(JSON.parse((await listJson(read, cache, ws, companies, byName)).toString())).toEqual(got);
    });

    it('is read again in one statement when gone', async () => {
      const cache = new RowJsonCache(1 << 20);
      const [row] = await h.db.query<{ id: number }>(
        sql`insert into companies (workspace_id, name) values (${ws}, ${'Временная'}) returning id`,
      );
      const q = { sort: '-id', limit: 3 };
      const gone = racing(() => h.db.run(sql`delete from companies where id = ${row.id}`));
      const got = JSON.parse((await listJson(gone, cache, ws, companies, q)).toString());
      const expected = await readInWorkspace(h.db, ws, (x) => listRecords(x, ws, companies, q));
      expect(got.items.map((x: { id: number }) => x.id)).not.toContain(Number(row.id));
      expect(got).toEqual({ items: expected.items.map((j) => JSON.parse(j)), next_cursor: expected.next_cursor });
    });
  });

  it('keeps a page by its rows and its limit: the same rows cut at another limit are another page', async () => {
    const six = await h.db.query<{ id: number }>(sql`select id from companies where workspace_id = ${ws} order by id limit 6`);
    const path = `/companies?sort=id&id=${six.map((x) => x.id).join(',')}`;
    // Six rows at most 5 to a page: the database hands over six (the sixth says more follow).
    const five = (await api.get(`${path}&limit=5`)).body;
    expect(five.items).toHaveLength(5);
    expect(five.next_cursor).not.toBeNull();
    // The same six rows are all of the list at 6 to a page.
    const all = (await api.get(`${path}&limit=6`)).body;
    expect(all.items.map((x: { id: number }) => x.id)).toEqual(six.map((x) => Number(x.id)));
    expect(all.next_cursor).toBeNull();
    expect((await api.get(`${path}&limit=5`)).body).toEqual(five);
  });

  it('gives, page after page, the pages and cursors of the one-statement path in every order, cold and cached', async () => {
    // Five closed deals and five open ones: sorted by the time of closing, the nulls start mid-list.
    const mixed = await h.db.query<{ id: number }>(
      sql`(select id from deals where workspace_id = ${ws} and closed_at is not null order by id limit 5)
          union all (select id from deals where workspace_id = ${ws} and closed_at is null order by id limit 5)`,
    );
    const ten = mixed.map((x) => Number(x.id)).join(',');
    // Numbers, text, times, nullable columns (all null, or nulls reaching into the pages), both directions.
    const cases: [string, Record<string, string>, number][] = [
      ['amount_minor', {}, 7],
      ['-amount_minor', {}, 7],
      ['title', {}, 7],
      ['-created_at', {}, 7],
      ['region', {}, 7],
      ['-region', {}, 7],
      ['id', {}, 7],
      ['closed_at', { status: 'open' }, 7],
      ['closed_at', { id: ten }, 3],
      ['-closed_at', { id: ten }, 3],
    ];
    let pages = 0;
    for (const [sort, filter, limit] of cases)
      for (const pass of ['cold', 'cached']) {
        let cursor: string | null = null;
        for (let n = 0; n < 4; n++) {
          const query = { ...filter, sort, limit, ...(cursor ? { cursor } : {}) };
          const res: { status: number; body: { items: unknown[]; next_cursor: string | null } } = await api.get(
            `/deals?${new URLSearchParams({ ...filter, sort, limit: String(limit), ...(cursor ? { cursor } : {}) })}`,
          );
          expect(res.status).toBe(200);
          const one = await readInWorkspace(h.db, ws, (q) => listRecords(q, ws, deals, query));
          expect(res.body, `${sort} ${JSON.stringify(filter)}, page ${n + 1}, ${pass}`).toEqual({
            items: one.items.map((j) => JSON.parse(j)),
            next_cursor: one.next_cursor,
          });
          pages++;
          cursor = res.body.next_cursor;
        }
      }
    expect(pages).toBe(cases.length * 2 * 4);
  });

  it('keeps a page by its sort too: the same rows in the same order under two sorts page on', async () => {
    const six = await h.db.query<{ id: number }>(sql`select id from companies where workspace_id = ${ws} order by id limit 6`);
    const ids = six.map((x) => Number(x.id));
    // Created in the order of their ids: by id and by creation time, the same rows in the same order.
    for (const [i, id] of ids.entries())
      await h.db.run(
        sql`update companies set created_at = ${`2020-01-0${i + 1}T00:00:00Z`}::timestamptz where workspace_id = ${ws} and id = ${id}`,
      );
    for (const sort of ['id', 'created_at', 'id']) {
      const got = await listAll(`companies?id=${ids.join(',')}`, sort, 5);
      expect(got.ids, sort).toEqual(ids);
    }
  });

  it('answers a page seen before from the cache: one statement, the same bytes', async () => {
    const cache = new RowJsonCache(1 << 22);
    let statements = 0;
    const counting = <T>(fn: (q: Queryable, extra: Sql[]) => Promise<T>) => {
      statements++;
      return readInWorkspace(h.db, ws, (q) => fn(q, []));
    };
    const query = { sort: 'name', limit: 50 };
    const cold = await listJson(counting, cache, ws, companies, query);
    expect(statements).toBe(2); // the page's versions, then the 50 rows
    statements = 0;
    const warm = await listJson(counting, cache, ws, companies, query);
    expect(statements).toBe(1); // the versions only
    expect(warm.equals(cold)).toBe(true);
    const one = await readInWorkspace(h.db, ws, (q) => listRecords(q, ws, companies, query));
    expect(JSON.parse(warm.toString())).toEqual({ items: one.items.map((j) => JSON.parse(j)), next_cursor: one.next_cursor });
  });

  it('keeps workspaces apart: the same id written by the same transaction in two workspaces', async () => {
    const other = await seedWorkspace(h, 'Другая');
    const id = 900_000_001;
    await h.db.transaction(async (tx) => {
      await tx.run(sql`insert into companies (workspace_id, id, name) overriding system value values (${ws}, ${id}, ${'Своя'})`);
      await tx.run(sql`insert into companies (workspace_id, id, name) overriding system value values (${other.ws}, ${id}, ${'Чужая'})`);
    });
    const [a, b] = await h.db.query<{ x: string }>(
      sql`select xmin::text || '.' || version as x from companies where id = ${id} order by workspace_id`,
    );
    expect(a.x).toBe(b.x); // one key but for the workspace
    for (let pass = 0; pass < 2; pass++) {
      expect((await api.get(`/companies?id=${id}`)).body.items.map((x: { name: string }) => x.name)).toEqual(['Своя']);
      expect((await other.api.get(`/companies?id=${id}`)).body.items.map((x: { name: string }) => x.name)).toEqual(['Чужая']);
    }
  });

  it("shows a manager only the manager's rows after an admin's lists filled the cache", async () => {
    const [m] = await h.db.query<{ id: number }>(
      sql`select id from users where workspace_id = ${ws} and role = 'manager' and active order by id limit 1`,
    );
    const { token } = await createApiToken(h.ctx, { workspaceId: ws, userId: m.id }, { name: 'manager' });
    const manager = apiClient(h.url, token);
    const all = await listAll('deals', 'id'); // as the admin: every deal, now cached
    const visible = await h.db.query<{ id: number }>(
      sql`select id from deals where workspace_id = ${ws} and (owner_id = ${m.id} or ${m.id}::int8 = any(shared_with)) order by id`,
    );
    expect(visible.length).toBeGreaterThan(0);
    expect(visible.length).toBeLessThan(all.ids.length);
    const ids: number[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: number }[]; next_cursor: string | null } } = await manager.get(
        `/deals?sort=id&limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      ids.push(...res.body.items.map((x) => x.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(ids).toEqual(visible.map((x) => Number(x.id)));
  });
});

describe('VORONKA_ROW_CACHE_MB', () => {
  it('is megabytes, 0 turning the cache off; anything else is refused by name', () => {
    expect(rowCacheMegabytes({})).toBe(64);
    expect(rowCacheMegabytes({ VORONKA_ROW_CACHE_MB: '' })).toBe(64);
    expect(rowCacheMegabytes({ VORONKA_ROW_CACHE_MB: '0' })).toBe(0);
    expect(rowCacheMegabytes({ VORONKA_ROW_CACHE_MB: '256' })).toBe(256);
    for (const bad of ['abc', '-1', '0.5', 'Infinity'])
      expect(() => rowCacheMegabytes({ VORONKA_ROW_CACHE_MB: bad }), bad).toThrow(/VORONKA_ROW_CACHE_MB must be megabytes.*not "/);
  });
});
