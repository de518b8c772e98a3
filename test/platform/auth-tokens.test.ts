import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/** API tokens against the session cookie, password resets and admins (issue 14, items 11 and 12). */
let h: Harness;
let w: SeededWorkspace;
const anonymous = () => apiClient(h.url, null);
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Токены');
});
afterAll(async () => {
  await h.close();
});

describe('the session cookie carries sessions only', () => {
  it('refuses an API token sent as the session cookie, for reads and for cross-site writes', async () => {
    const token = (await w.api.post('/auth/tokens', { name: 'в cookie' })).body.token as string;
    const cookie = `voronka_session=${token}`;
    const write = await anonymous().post('/segments', { name: 'С чужого сайта' }, { cookie, origin: 'http://evil.example' });
    expect(write.status).toBe(401);
    expect(write.body.error.code).toBe('UNAUTHENTICATED');
    expect(await h.db.query(sql`select 1 from segments where workspace_id = ${w.ws} and name = 'С чужого сайта'`)).toEqual([]);
    expect((await anonymous().get('/segments', { cookie })).status).toBe(401);
    // The same token as a bearer token works, and a real session in the cookie still does.
    expect((await apiClient(h.url, token).post('/segments', { name: 'Скриптом' })).status).toBe(201);
    const login = await anonymous().post('/auth/login', { email: `admin@${w.ws}.test`, password: PASSWORD });
    const session = (login.headers.get('set-cookie') ?? '').split(';')[0];
    expect((await anonymous().get('/segments', { cookie: session })).status).toBe(200);
  });
});

/** A manager with a password, a session and two API tokens. */
async function person(email: string) {
  const id = await addUser(h.db, w.ws, { name: 'Пётр', email, role: 'manager', password: PASSWORD }, h.clock.now());
  const login = await anonymous().post('/auth/login', { email, password: PASSWORD });
  expect(login.status).toBe(200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const first = await createApiToken(h.ctx, { workspaceId: w.ws, userId: id }, { name: 'выгрузка' });
  const second = await createApiToken(h.ctx, { workspaceId: w.ws, userId: id }, { name: 'бот', scopes: ['read'] });
  return { id, cookie, first, second };
}

const revocations = (tokenIds: number[]) =>
  h.db.query<{ user_id: number; entity_id: number; action: string; changes: Record<string, unknown> }>(
    sql`select user_id, entity_id, action, changes from audit_log
         where workspace_id = ${w.ws} and entity = 'api_tokens' and entity_id = any(${tokenIds}::int8[]) order by entity_id`,
  );

describe("a person's API tokens", () => {
  it('end with a password reset, like the sessions', async () => {
    const p = await person(`reset@${w.ws}.test`);
    const script = apiClient(h.url, p.first.token);
    expect((await script.get('/deals')).status).toBe(200);
    const reset = await w.api.patch(`/users/${p.id}`, { password: 'a fresh reset passphrase', version: 1 });
    expect(reset.status).toBe(200);
    expect((await script.get('/deals')).status).toBe(401);
    expect((await apiClient(h.url, p.second.token).get('/deals')).status).toBe(401);
    expect((await anonymous().get('/auth/me', { cookie: p.cookie })).status).toBe(401);
    // Recorded: who revoked which token, when.
    const at = h.clock.now().toISOString();
    expect(await revocations([p.first.id, p.second.id])).toEqual([
      { user_id: w.adminId, entity_id: p.first.id, action: 'update', changes: { revoked_at: { from: null, to: at } } },
      { user_id: w.adminId, entity_id: p.second.id, action: 'update', changes: { revoked_at: { from: null, to: at } } },
    ]);
    // The admin's own token is untouched.
    expect((await w.api.get('/auth/tokens')).status).toBe(200);
  });

  it('are listed and revoked one by one by an admin, without deactivating the person', async () => {
    const p = await person(`listed@${w.ws}.test`);
    const listed = await w.api.get(`/users/${p.id}/tokens`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      { id: p.first.id, name: 'выгрузка', scopes: ['read', 'write'], created_at: p.first.created_at, expires_at: null, last_used_at: null },
      { id: p.second.id, name: 'бот', scopes: ['read'], created_at: p.second.created_at, expires_at: null, last_used_at: null },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(p.first.token);
    expect((await w.api.del(`/users/${p.id}/tokens/${p.first.id}`)).status).toBe(204);
    expect((await apiClient(h.url, p.first.token).get('/deals')).status).toBe(401);
    expect((await apiClient(h.url, p.second.token).get('/deals')).status).toBe(200);
    expect((await anonymous().get('/auth/me', { cookie: p.cookie })).status).toBe(200);
    expect((await w.api.get(`/users/${p.id}/tokens`)).body.items.map((t: { id: number }) => t.id)).toEqual([p.second.id]);
    expect(await revocations([p.first.id])).toEqual([
      {
        user_id: w.adminId,
        entity_id: p.first.id,
        action: 'update',
        changes: { revoked_at: { from: null, to: h.clock.now().toISOString() } },
      },
    ]);
    // Once; only under its owner; only in this workspace; only users that exist.
    expect((await w.api.del(`/users/${p.id}/tokens/${p.first.id}`)).status).toBe(404);
    expect((await w.api.del(`/users/${w.adminId}/tokens/${p.second.id}`)).status).toBe(404);
    expect((await w.api.get('/users/999999/tokens')).status).toBe(404);
    const other = await seedWorkspace(h, 'Чужое');
    const theirs = await createApiToken(h.ctx, { workspaceId: other.ws, userId: other.adminId }, { name: 'чужой' });
    expect((await w.api.del(`/users/${other.adminId}/tokens/${theirs.id}`)).status).toBe(404);
    expect((await apiClient(h.url, theirs.token).get('/deals')).status).toBe(200);
    // Not for anyone but an admin, even a person's own tokens (those are under /auth/tokens).
    const own = apiClient(h.url, p.second.token);
    const writer = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: p.id }, { name: 'пишет' })).token);
    expect((await own.get(`/users/${p.id}/tokens`)).status).toBe(403);
    expect((await writer.del(`/users/${w.adminId}/tokens/${p.second.id}`)).status).toBe(403);
    expect((await apiClient(h.url, p.second.token).get('/deals')).status).toBe(200);
  });

  it('are documented in the OpenAPI document', async () => {
    const doc = (await anonymous().get('/openapi.json')).body as {
      paths: Record<string, Record<string, { tags: string[]; summary: string; responses: Record<string, unknown> }>>;
    };
    expect(doc.paths['/api/v1/users/{id}/tokens'].get).toMatchObject({ tags: ['auth'] });
    expect(Object.keys(doc.paths['/api/v1/users/{id}/tokens'].get.responses)).toContain('200');
    expect(doc.paths['/api/v1/users/{id}/tokens/{token_id}'].delete).toMatchObject({ tags: ['auth'] });
    expect(Object.keys(doc.paths['/api/v1/users/{id}/tokens/{token_id}'].delete.responses)).toContain('204');
  });
});
