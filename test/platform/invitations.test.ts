/**
 * Invitations (issue 17): an admin makes a one-time link for a person; the link's page names the
 * workspace and the person; setting a (strong) password through it signs them in, and the link
 * then works no more; a newer link replaces an older one; a manager cannot invite; a link of one
 * workspace is no credential anywhere, and opens nothing in another.
 */
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let managerId: number;
let managerToken: string;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Приглашения');
  managerId = await addUser(h.db, w.ws, { name: 'Пётр Новиков', email: 'petr@firma.ru', role: 'manager' }, h.clock.now());
  const other = await addUser(
    h.db,
    w.ws,
    { name: 'Мария Кузнецова', email: 'maria@firma.ru', role: 'manager', password: 'correct horse battery' },
    h.clock.now(),
  );
  managerToken = (await createApiToken(h.ctx, { workspaceId: w.ws, userId: other }, { name: 't' })).token;
});
afterAll(async () => {
  await h?.close();
});
const req = (path: string, init: { method?: string; body?: unknown; token?: string; lang?: string } = {}) =>
  fetch(`${h.url}/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: {
      'accept-language': init.lang ?? 'ru',
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });

describe('invitations', () => {
  it('an admin’s link lets the person set a password once and signs them in', async () => {
    const made = await req(`/users/${managerId}/invitation`, { method: 'POST', token: w.token });
    expect(made.status).toBe(201);
    const inv = (await made.json()) as any;
    expect(inv.token).toMatch(new RegExp(`^vki_${w.ws}_[A-Za-z0-9_-]{43}$`));
    expect(inv.path).toBe(`/invite/${inv.token}`);
    expect(inv.email).toBe('petr@firma.ru');
    expect(new Date(inv.expires_at).getTime() - h.clock.now().getTime()).toBe(7 * 86_400_000);
    // Only the hash is kept.
    const [row] = await h.db.query<{ token_hash: string }>(
      sql`select token_hash from invitations where workspace_id = ${w.ws} and user_id = ${managerId}`,
    );
    expect(row.token_hash).not.toContain(inv.token.slice(-20));

    const page = (await (await req(`/invitations/${inv.token}`)).json()) as any;
    expect(page).toEqual({ workspace: 'Приглашения', name: 'Пётр Новиков', email: 'petr@firma.ru', purpose: 'invite' });
    // Not a credential.
    expect((await req('/auth/me', { token: inv.token })).status).toBe(401);

    const weak = await req(`/invitations/${inv.token}/accept`, { method: 'POST', body: { password: 'petr12345678' } });
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as any).error.fields[0].field).toBe('password');
    const ok = await req(`/invitations/${inv.token}/accept`, { method: 'POST', body: { password: 'зелёный-трамвай-88-вечер' } });
    expect(ok.status).toBe(200);
    const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0];
    const me = (await (await fetch(`${h.url}/api/v1/auth/me`, { headers: { cookie } })).json()) as any;
    expect(me.user).toMatchObject({ id: managerId, name: 'Пётр Новиков', role: 'manager' });
    const login = await req('/auth/login', { method: 'POST', body: { email: 'petr@firma.ru', password: 'зелёный-трамвай-88-вечер' } });
    expect(login.status).toBe(200);

    const again = await req(`/invitations/${inv.token}/accept`, { method: 'POST', body: { password: 'другой-трамвай-99-утро' } });
    expect(again.status).toBe(404);
    expect(((await again.json()) as any).error.message).toMatch(/^эта ссылка-приглашение не работает/);
    expect((await req(`/invitations/${inv.token}`)).status).toBe(404);
  });

  it('a newer link replaces the older; a manager cannot invite; a forged or foreign link opens nothing', async () => {
    const first = (await (await req(`/users/${managerId}/invitation`, { method: 'POST', token: w.token })).json()) as any;
    const second = (await (await req(`/users/${managerId}/invitation`, { method: 'POST', token: w.token })).json()) as any;
    expect((await req(`/invitations/${first.token}`)).status).toBe(404);
    expect((await req(`/invitations/${second.token}`)).status).toBe(200);

    const byManager = await req(`/users/${managerId}/invitation`, { method: 'POST', token: managerToken });
    expect(byManager.status).toBe(403);

    const other = await seedWorkspace(h, 'Другие');
    const foreign = second.token.replace(`vki_${w.ws}_`, `vki_${other.ws}_`);
    expect((await req(`/invitations/${foreign}`)).status).toBe(404);
    expect((await req('/invitations/vki_1_short')).status).toBe(404);
    const noEmail = await addUser(h.db, w.ws, { name: 'Без почты', role: 'manager' }, h.clock.now());
    const refused = await req(`/users/${noEmail}/invitation`, { method: 'POST', token: w.token, lang: 'en' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error.message).toBe('this person has no e-mail: add one first, it is what they sign in with');
  });
});
