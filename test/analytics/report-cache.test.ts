import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness({ config: { reportCacheMs: 600_000 } });
  w = await seedWorkspace(h, 'Кэш');
});
afterAll(async () => {
  await h.close();
});

const PERIOD = '/reports/funnel?from=2025-03-01&to=2025-03-10';

describe('the report cache', () => {
  it('reuses a computed report until a write in the workspace, and never across scopes', async () => {
    await w.api.post('/deals', { title: 'Первая', amount_minor: 100, stage_id: w.stage('Квалификация').id });
    h.clock.advance(60_000);
    const first = await w.api.get(PERIOD);
    expect(first.body.deals_created).toBe(1);
    // A change made behind the API's back is not seen: the answer comes from the cache.
    await h.db.query(sql`update deals set amount_minor = 999 where workspace_id = ${w.ws}`);
    expect((await w.api.get(PERIOD)).body).toEqual(first.body);
    // A write through the API drops the workspace's cached reports.
    await w.api.post('/deals', { title: 'Вторая', amount_minor: 100, stage_id: w.stage('Квалификация').id });
    h.clock.advance(60_000);
    const second = await w.api.get(PERIOD);
    expect(second.body.deals_created).toBe(2);
    // A manager's report is their own, never the cached workspace one.
    const id = await addUser(
      h.db,
      w.ws,
      { name: 'Менеджер', email: `m@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
      h.clock.now(),
    );
    const manager = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: id }, { name: 't' })).token);
    expect((await manager.get(PERIOD)).body.deals_created).toBe(0);
  });
});

describe('WorkspaceCache (reports)', () => {
  it('shares a computation under way within a generation, never across a write', async () => {
    const { WorkspaceCache } = await import('../../src/platform/cache/workspace-cache.ts');
    const { WorkspaceWrites } = await import('../../src/platform/cache/workspace-writes.ts');
    const writes = new WorkspaceWrites();
    const cache = new WorkspaceCache(writes, 600_000, 10);
    const started: number[] = [];
    const release: (() => void)[] = [];
    const compute = (n: number) => () =>
      new Promise<{ n: number }>((resolve) => {
        started.push(n);
        release.push(() => resolve({ n }));
      });
    const a = cache.get(1, 'funnel', compute(1));
    const b = cache.get(1, 'funnel', compute(2)); // same generation: waits for the first
    writes.written(1); // a write: later requests must not get a computation that began before it
    const c = cache.get(1, 'funnel', compute(3));
    expect(started).toEqual([1, 3]);
    for (const r of release) r();
    expect(await a).toEqual({ n: 1 });
    expect(await b).toEqual({ n: 1 });
    expect(await c).toEqual({ n: 3 });
    expect(await cache.get(1, 'funnel', compute(4))).toEqual({ n: 3 }); // cached for the new generation
  });

  it('lets a failed computation fail its waiters and be tried again', async () => {
    const { WorkspaceCache } = await import('../../src/platform/cache/workspace-cache.ts');
    const { WorkspaceWrites } = await import('../../src/platform/cache/workspace-writes.ts');
    const writes = new WorkspaceWrites();
    const cache = new WorkspaceCache(writes, 600_000, 10);
    const failing = cache.get(2, 'x', () => Promise.reject(new Error('database gone')));
    const waiting = cache.get(2, 'x', () => Promise.resolve({ never: true }));
    await expect(failing).rejects.toThrow('database gone');
    await expect(waiting).rejects.toThrow('database gone');
    expect(await cache.get(2, 'x', () => Promise.resolve({ ok: true }))).toEqual({ ok: true });
  });
});
