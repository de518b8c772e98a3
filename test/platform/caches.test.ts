import { createHash } from 'node:crypto';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companies } from '../../src/crm/companies.ts';
import { Caches } from '../../src/platform/cache/caches.ts';
import { RowJsonCache } from '../../src/platform/cache/row-json-cache.ts';
import { configFromEnv, dbSettingsFromEnv, defaultConfig } from '../../src/platform/context.ts';
import type { Queryable } from '../../src/platform/db/types.ts';
import { readInWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { listJson, listRecords, listVersions, pageEntries } from '../../src/platform/resource/resource.ts';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Кэши');
  for (const name of ['Альфа', 'Бета', 'Гамма']) expect((await w.api.post('/companies', { name })).status).toBe(201);
});
afterAll(async () => {
  await h.close();
});

const read = <T>(fn: (q: Queryable, extra: never[]) => Promise<T>) => readInWorkspace(h.db, w.ws, (q) => fn(q, []));

describe('the row JSON cache', () => {
  it('serves nothing kept from another server: transaction ids may repeat there', async () => {
    const query = { sort: 'name', limit: 50 };
    const v = await read((q) => listVersions(q, w.ws, companies, query));
    expect(pageEntries(v).ids).toHaveLength(3);
    expect(pageEntries(v).versions).toHaveLength(3);
    expect(v.server).toMatch(/^\d{4}-\d\d-\d\d /);
    expect(v.digest).toBe(createHash('sha256').update(v.entries).digest('base64'));
    const cache = new RowJsonCache(1 << 20);
    // A page kept under exactly these ids and versions, but while another server answered.
    cache.sameServer('2000-01-01 00:00:00+00');
    const key = { resource: companies.path, sort: 'name', ws: w.ws, limit: 50, digest: v.digest };
    cache.keepPage(key, Buffer.from('{"items":[],"next_cursor":"from another server"}'));
    expect(cache.page(key)).toBeDefined();
    const got = JSON.parse((await listJson(read, cache, w.ws, companies, query)).toString());
    const whole = await read((q) => listRecords(q, w.ws, companies, query));
    expect(got).toEqual({ items: whole.items.map((j) => JSON.parse(j)), next_cursor: null });
    expect(got.items.map((x: { name: string }) => x.name)).toEqual(['Альфа', 'Бета', 'Гамма']);
    // Now kept for this server, and served from it.
    expect(cache.page(key)).toBeDefined();
    const again = JSON.parse((await listJson(read, cache, w.ws, companies, query)).toString());
    expect(again).toEqual(got);
  });

  it('keeps the rows of a page in the order of the list, whatever the order of the statement', async () => {
    for (const sort of ['name', '-name', 'id', '-id', 'created_at', '-created_at']) {
      const v = pageEntries(await read((q) => listVersions(q, w.ws, companies, { sort, limit: 2 })));
      const whole = await read((q) => listRecords(q, w.ws, companies, { sort, limit: 2 }));
      expect(v.ids.slice(0, 2), sort).toEqual(whole.items.map((j) => JSON.parse(j).id));
      expect(v.ids).toHaveLength(3); // limit + 1: more follow
    }
    const [row] = await h.db.query<{ x: string }>(
      sql`select xmin::text || '.' || version as x from companies where workspace_id = ${w.ws} order by name limit 1`,
    );
    expect(pageEntries(await read((q) => listVersions(q, w.ws, companies, { sort: 'name', limit: 1 }))).versions[0]).toBe(row.x);
  });
});

describe('Caches', () => {
  it('are made from the configuration: no row cache with 0 MB', () => {
    expect(new Caches({ rowCacheMb: 64, reportCacheMs: 1, authCacheMs: 1 }).rows).toBeInstanceOf(RowJsonCache);
    expect(new Caches({ rowCacheMb: 0, reportCacheMs: 1, authCacheMs: 1 }).rows).toBeUndefined();
    expect(() => new Caches({ rowCacheMb: -1, reportCacheMs: 1, authCacheMs: 1 })).toThrow(/rowCacheMb/);
  });

  it("give ETags that name the server process, whose code writes the bytes: another process's tag for the same digests differs", () => {
    const settings = { rowCacheMb: 1, reportCacheMs: 1, authCacheMs: 1 };
    const one = new Caches(settings);
    expect(one.etag('AbC+/=', 'x_y-z')).toBe(one.etag('AbC+/=', 'x_y-z'));
    expect(one.etag('AbC+/=', 'x_y-z')).toMatch(/^"[A-Za-z0-9_-]{8}\.AbC\+\/=\.x_y-z"$/);
    one.clear();
    expect(one.etag('d')).toBe(one.etag('d'));
    expect(new Caches(settings).etag('d')).not.toBe(one.etag('d'));
  });

  it('turn off and on again for the bench, each by name, emptied when turned off', async () => {
    const c = new Caches({ rowCacheMb: 1, reportCacheMs: 60_000, authCacheMs: 60_000 });
    const rows = c.rows as RowJsonCache;
    rows.keepRow({ resource: 'companies', ws: 1, id: 1, version: '5.1' }, '{}');
    expect(await c.reports.get(1, 'r', async () => ({ n: 1 }))).toEqual({ n: 1 });
    c.switch(['rows'], false);
    expect(c.rows).toBeUndefined();
    expect(c.cards).toBe(rows); // the others stay
    expect(rows.size).toBe(0);
    expect(await c.reports.get(1, 'r', async () => ({ n: 2 }))).toEqual({ n: 1 });
    c.switch(['reports'], false);
    expect(await c.reports.get(1, 'r', async () => ({ n: 3 }))).toEqual({ n: 3 });
    c.switch(['rows', 'reports'], true);
    expect(c.rows).toBe(rows);
    expect(await c.reports.get(1, 'r', async () => ({ n: 4 }))).toEqual({ n: 4 }); // emptied when off
    expect(await c.reports.get(1, 'r', async () => ({ n: 5 }))).toEqual({ n: 4 });
    c.written(1); // a write in workspace 1
    expect(await c.reports.get(1, 'r', async () => ({ n: 6 }))).toEqual({ n: 6 });
  });

  it('are the server’s own, on the app: a server made with no row cache has none', async () => {
    expect(h.app.caches.rows).toBeInstanceOf(RowJsonCache);
    const off = await startHarness({ db: h.db, config: { rowCacheMb: 0 } });
    try {
      expect(off.app.caches.rows).toBeUndefined();
      expect(off.app.caches).not.toBe(h.app.caches);
      const page = await apiClient(off.url, w.token).get('/companies?sort=name');
      expect(page.status).toBe(200);
      expect(page.body.items.map((x: { name: string }) => x.name)).toEqual(['Альфа', 'Бета', 'Гамма']);
    } finally {
      await off.app.close();
    }
  });
});

describe('configuration from the environment', () => {
  it('reads every setting by name, with the defaults when unset', () => {
    expect(configFromEnv({})).toEqual(defaultConfig);
    expect(
      configFromEnv({
        VORONKA_SECURE_COOKIES: '1',
        VORONKA_REPORT_TIMEOUT_MS: '0',
        VORONKA_ROW_CACHE_MB: '0',
        VORONKA_BENCH_CACHE_SWITCH: '1',
      }),
    ).toEqual({ ...defaultConfig, secureCookies: true, reportTimeoutMs: 0, rowCacheMb: 0, benchCacheSwitch: true });
    expect(dbSettingsFromEnv({})).toEqual({ poolSize: undefined, sessionScopes: true, slowQueryMs: 0 });
    expect(dbSettingsFromEnv({ VORONKA_PG_POOL: '7', VORONKA_PG_SESSION_SCOPES: 'off', VORONKA_SLOW_QUERY_MS: '250' })).toEqual({
      poolSize: 7,
      sessionScopes: false,
      slowQueryMs: 250,
    });
  });

  it('refuses a bad value, naming the variable', () => {
    expect(() => configFromEnv({ VORONKA_REPORT_TIMEOUT_MS: '-1' })).toThrow(/VORONKA_REPORT_TIMEOUT_MS must be whole milliseconds/);
    expect(() => configFromEnv({ VORONKA_ROW_CACHE_MB: 'lots' })).toThrow(/VORONKA_ROW_CACHE_MB must be megabytes/);
    for (const bad of ['0', '201', '2.5', 'many'])
      expect(() => dbSettingsFromEnv({ VORONKA_PG_POOL: bad }), bad).toThrow(/VORONKA_PG_POOL must be a whole number from 1 to 200, not "/);
    expect(() => dbSettingsFromEnv({ VORONKA_PG_SESSION_SCOPES: 'maybe' })).toThrow(/VORONKA_PG_SESSION_SCOPES must be on or off/);
  });
});
