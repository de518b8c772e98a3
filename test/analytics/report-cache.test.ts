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
