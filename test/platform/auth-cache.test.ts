import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../src/platform/workspaces.ts';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/**
 * The credential cache (docs/security.md): a resolved session or token is reused for at
 * most `authCacheMs` of the application clock, never past its own expiry, and any
 * successful write in the workspace — a revoked token, a sign-out, a changed user — takes
 * effect on the very next request.
 */
// Longer than a one-day token, so that the token's own expiry is what ends its entry.
const TTL = 2 * 86_400_000;
let h: Harness;
let w: SeededWorkspace;

beforeAll(async () => {
  h = await startHarness({ config: { authCacheMs: TTL } });
  w = await seedWorkspace(h, 'Кэш');
});
afterAll(async () => {
  await h.close();
});

describe('the credential cache', () => {
  it('does not read the credential again within its lifetime, and reads it again after', async () => {
    const created = await w.api.post('/auth/tokens', { name: 'скрипт' });
    expect(created.status).toBe(201);
    const api = apiClient(h.url, created.body.token);
    expect((await api.get('/segments')).status).toBe(200);
    // Revoked behind the API's back (another process, a DBA): still served from the cache …
    await h.db.query(sql`update api_tokens set revoked_at = ${h.clock.now()} where workspace_id = ${w.ws} and id = ${created.body.id}`);
    expect((await api.get('/segments')).status).toBe(200);
    h.clock.advance(TTL - 1);
    expect((await api.get('/segments')).status).toBe(200);
    // … but no longer than the cache lifetime.
    h.clock.advance(1);
    expect((await api.get('/segments')).status).toBe(401);
  });

  it('forgets a workspace’s credentials on any successful write in it: revocation is immediate', async () => {
    const created = await w.api.post('/auth/tokens', { name: 'BI' });
    const api = apiClient(h.url, created.body.token);
    expect((await api.get('/segments')).status).toBe(200);
    expect((await w.api.del(`/auth/tokens/${created.body.id}`)).status).toBe(204);
    expect((await api.get('/segments')).status).toBe(401);
  });

  it('applies a role change made through the API on the next request', async () => {
    const id = await addUser(
      h.db,
      w.ws,
      { name: 'Пётр', email: `petr@${w.ws}.test`, role: 'head_of_sales', password: 'long enough password' },
      h.clock.now(),
    );
    const login = await apiClient(h.url, null).post('/auth/login', { email: `petr@${w.ws}.test`, password: 'long enough password' });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const asPetr = apiClient(h.url, null);
    expect((await asPetr.get('/reports/funnel?from=2025-01-01&to=2025-02-01', { cookie })).status).toBe(200);
    const user = await w.api.get(`/users/${id}`);
    expect((await w.api.patch(`/users/${id}`, { role: 'service', version: user.body.version })).status).toBe(200);
    // A service user has no funnel reports (docs/security.md): refused at once, not after the cache expires.
    expect((await asPetr.get('/reports/funnel?from=2025-01-01&to=2025-02-01', { cookie })).status).toBe(403);
  });

  it('never serves a credential past its own expiry', async () => {
    const created = await w.api.post('/auth/tokens', { name: 'на день', expires_in_days: 1 });
    const api = apiClient(h.url, created.body.token);
    expect((await api.get('/segments')).status).toBe(200);
    h.clock.advance(86_400_000 - 1);
    expect((await api.get('/segments')).status).toBe(200);
    h.clock.advance(1);
    expect((await api.get('/segments')).status).toBe(401);
  });
});
