import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h);
});
afterAll(async () => {
  await h.close();
});

const anonymous = () => apiClient(h.url, null);

describe('authentication', () => {
  it('answers 401 without a session or token on every API route but health, sign-in, the first start, invitations and the OpenAPI document', async () => {
    const doc = (await anonymous().get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    // Open by design: the setup of an empty server (refused once it has a workspace, test/setup),
    // the password meter, and an invitation link's page (its secret is the credential, test/platform/invitations).
    const open = new Set([
      '/api/v1/health',
      '/api/v1/auth/login',
      '/api/v1/setup',
      '/api/v1/password-check',
      '/api/v1/invitations/{token}',
      '/api/v1/invitations/{token}/accept',
    ]);
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        if (open.has(path)) continue;
        const res = await anonymous().raw(path.replace('/api/v1', '').replace('{id}', '1'), {
          method: method.toUpperCase(),
          headers: method === 'get' || method === 'delete' ? {} : { 'content-type': 'application/json' },
          body: method === 'get' || method === 'delete' ? undefined : '{}',
        });
        expect(res.status, `${method.toUpperCase()} ${path}`).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHENTICATED');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect((await anonymous().get('/health')).status).toBe(200);
    expect((await anonymous().get('/deals/no-such-route/really')).status).toBe(401);
  });

  it('rejects a forged, malformed or revoked token', async () => {
    for (const t of ['garbage', `vkt_${w.ws}_${'A'.repeat(43)}`, `vks_${w.ws}_${'B'.repeat(43)}`, `vkt_999_${'C'.repeat(43)}`]) {
      expect((await apiClient(h.url, t).get('/deals')).status).toBe(401);
    }
    const created = await w.api.post('/auth/tokens', { name: 'script', expires_in_days: 30 });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^vkt_\d+_[A-Za-z0-9_-]{43}$/);
    const script = apiClient(h.url, created.body.token);
    expect((await script.get('/deals')).status).toBe(200);
    const list = await w.api.get('/auth/tokens');
    expect(list.body.items.map((t: { name: string }) => t.name)).toEqual(['tests', 'script']);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect((await w.api.del(`/auth/tokens/${created.body.id}`)).status).toBe(204);
    expect((await script.get('/deals')).status).toBe(401);
    expect((await w.api.del(`/auth/tokens/${created.body.id}`)).status).toBe(404);
  });

  it('expires tokens by the injected clock', async () => {
    const created = await w.api.post('/auth/tokens', { name: 'short', expires_in_days: 1 });
    const script = apiClient(h.url, created.body.token);
    expect((await script.get('/deals')).status).toBe(200);
    h.clock.advance(86_400_000 + 1000);
    try {
      expect((await script.get('/deals')).status).toBe(401);
    } finally {
      h.clock.advance(-(86_400_000 + 1000));
    }
  });

  it('signs in with a password into an HTTP-only, SameSite session cookie, and signs out', async () => {
    const bad = await anonymous().post('/auth/login', { email: `admin@${w.ws}.test`, password: 'wrong password' });
    expect(bad.status).toBe(401);
    expect(bad.body.error.message).toBe('wrong e-mail or password');
    const unknown = await anonymous().post(
      '/auth/login',
      { email: 'nobody@nowhere.test', password: 'whatever' },
      { 'accept-language': 'ru' },
    );
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe('неверный e-mail или пароль');

    const ok = await anonymous().post('/auth/login', { email: `ADMIN@${w.ws}.test`, password: 'correct horse battery' });
    expect(ok.status).toBe(200);
    expect(ok.body.user.role).toBe('admin');
    expect(ok.body.workspace).toEqual({ id: w.ws, name: 'Тест', currency: 'RUB', timezone: 'Europe/Moscow', locale: 'ru' });
    const cookie = ok.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^voronka_session=vks_\d+_[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const session = cookie.split(';')[0];
    const me = await anonymous().get('/auth/me', { cookie: session });
    expect(me.status).toBe(200);
    expect(me.body.user.name).toBe('Админ');
    expect((await anonymous().post('/auth/logout', undefined, { cookie: session, origin: h.url })).status).toBe(204);
    expect((await anonymous().get('/auth/me', { cookie: session })).status).toBe(401);
  });

  it('asks for the workspace when the password proves an e-mail that is in several', async () => {
    const other = await seedWorkspace(h, 'Второе');
    // The same e-mail and password in the second workspace.
    await h.db.query(
      `update users set email = $1, password_hash = (select password_hash from users where workspace_id = $2 and id = $3) where workspace_id = $4 and id = $5`,
      [`admin@${w.ws}.test`, w.ws, w.adminId, other.ws, other.adminId],
    );
    const ambiguous = await anonymous().post('/auth/login', { email: `admin@${w.ws}.test`, password: 'correct horse battery' });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.error.fields).toEqual([{ field: 'workspace', message: 'choose a workspace', code: 'ambiguous' }]);
    expect(ambiguous.body.error.workspaces).toEqual(['Тест', 'Второе']);
    const chosen = await anonymous().post('/auth/login', {
      email: `admin@${w.ws}.test`,
      password: 'correct horse battery',
      workspace: 'второе',
    });
    expect(chosen.status).toBe(200);
    expect(chosen.body.workspace.id).toBe(other.ws);
  });

  it('lets only an admin manage users, and never returns password hashes', async () => {
    const created = await w.api.post('/users', {
      name: 'Мария',
      email: 'maria@example.ru',
      role: 'manager',
      password: 'long enough password',
    });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('password');
    expect(JSON.stringify(created.body)).not.toContain('argon2');
    const login = await anonymous().post('/auth/login', { email: 'maria@example.ru', password: 'long enough password' });
    expect(login.status).toBe(200);
    const maria = apiClient(h.url, null);
    const session = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const refused = await maria.post('/users', { name: 'X', role: 'admin' }, { cookie: session });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    const short = await w.api.post('/users', { name: 'Y', role: 'manager', password: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error.fields[0].field).toBe('password');
  });
});
