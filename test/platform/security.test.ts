import { Writable } from 'node:stream';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, LOCKOUT } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let log = '';
const anonymous = () => apiClient(h.url, null);
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      log += chunk.toString();
      done();
    },
  });
  h = await startHarness({ logStream: sink });
  w = await seedWorkspace(h, 'Безопасность');
});
afterAll(async () => {
  await h.close();
});

async function signIn(email: string, password = PASSWORD) {
  const r = await anonymous().post('/auth/login', { email, password });
  return {
    status: r.status,
    body: r.body,
    cookie: (r.headers.get('set-cookie') ?? '').split(';')[0],
    raw: r.headers.get('set-cookie') ?? '',
  };
}

describe('sessions, tokens and sign-in', () => {
  it('sets a strict, HTTP-only session cookie and refuses cross-site writes carried by it', async () => {
    await addUser(h.db, w.ws, { name: 'Ирина', email: `irina@${w.ws}.test`, role: 'admin', password: PASSWORD }, h.clock.now());
    const s = await signIn(`irina@${w.ws}.test`);
    expect(s.status).toBe(200);
    expect(s.raw).toMatch(/HttpOnly/i);
    expect(s.raw).toMatch(/SameSite=Strict/i);
    const body = { name: 'Из формы' };
    const api = anonymous();
    // No Origin and no Fetch Metadata (a script replaying the cookie), or another site: refused.
    const bare = await api.post('/segments', body, { cookie: s.cookie });
    expect(bare.status).toBe(403);
    const crossSite = await api.post('/segments', body, { cookie: s.cookie, 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const evil = await api.post('/segments', body, { cookie: s.cookie, origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(await h.db.query(sql`select 1 from segments where workspace_id = ${w.ws} and name = 'Из формы'`)).toEqual([]);
    // From the app's own pages: accepted. Reads need no proof.
    const own = await api.post('/segments', body, { cookie: s.cookie, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(201);
    const origin = await api.post('/segments', { name: 'С того же адреса' }, { cookie: s.cookie, origin: h.url });
    expect(origin.status).toBe(201);
    expect((await api.get('/segments', { cookie: s.cookie })).status).toBe(200);
  });

  it('gives API tokens scopes and an expiry; a read-only token cannot write', async () => {
    const created = await w.api.post('/auth/tokens', { name: 'Отчёты BI', scopes: ['read'], expires_in_days: 30 });
    expect(created.status).toBe(201);
    expect(created.body.scopes).toEqual(['read']);
    const [stored] = await h.db.query<{ token_hash: string }>(
      sql`select token_hash from api_tokens where workspace_id = ${w.ws} and id = ${created.body.id}`,
    );
    expect(stored.token_hash).not.toContain(created.body.token.split('_').pop());
    const reader = apiClient(h.url, created.body.token);
    expect((await reader.get('/deals')).status).toBe(200);
    const write = await reader.post('/segments', { name: 'Нельзя' });
    expect(write.status).toBe(403);
    expect(write.body.error.message).toMatch(/write/);
    const listed = await w.api.get('/auth/tokens');
    expect(listed.body.items.find((t: { id: number }) => t.id === created.body.id)).toMatchObject({ scopes: ['read'], name: 'Отчёты BI' });
    // Thirty-one days later the token no longer works.
    h.clock.advance(31 * 86_400_000);
    expect((await reader.get('/deals')).status).toBe(401);
    h.clock.advance(-31 * 86_400_000);
    expect((await w.api.post('/auth/tokens', { name: 'x', scopes: ['admin'] })).status).toBe(400);
  });

  it('locks an account after repeated wrong passwords until an admin resets it; rate-limits sign-in', async () => {
    const email = `oleg@${w.ws}.test`;
    const id = await addUser(h.db, w.ws, { name: 'Олег', email, role: 'manager', password: PASSWORD }, h.clock.now());
    const first = await signIn(email);
    expect(first.status).toBe(200);
    for (let i = 0; i < LOCKOUT.attempts; i++) expect((await signIn(email, 'wrong password')).status).toBe(401);
    const locked = await signIn(email);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('RATE_LIMITED');
    // The admin sets a new password: the lock is lifted and the old sessions end.
    const reset = await w.api.patch(`/users/${id}`, { password: 'a brand new password', version: 1 });
    expect(reset.status).toBe(200);
    expect((await anonymous().get('/auth/me', { cookie: first.cookie })).status).toBe(401);
    expect((await signIn(email)).status).toBe(401);
    expect((await signIn(email, 'a brand new password')).status).toBe(200);
    // The audit log records the reset without the password or its hash.
    const [entry] = await h.db.query<{ changes: Record<string, unknown> }>(
      sql`select changes from audit_log where workspace_id = ${w.ws} and entity = 'users' and entity_id = ${id} and action = 'update'`,
    );
    expect(entry.changes).toEqual({ password_hash: { from: '***', to: '***' } });

    // An e-mail nobody has locks the same way (issue 14.10); per address and e-mail, the eleventh
    // attempt within a minute is refused by the rate limit before anything is counted.
    const stranger = `nobody-${w.ws}@example.test`;
    const answers: { status: number; body: { error: Record<string, unknown> } }[] = [];
    for (let i = 0; i < h.ctx.config.loginAttemptsPerMinute + 1; i++) answers.push(await signIn(stranger, 'guess'));
    expect(answers.map((a) => a.status)).toEqual([
      ...Array(LOCKOUT.attempts).fill(401),
      ...Array(h.ctx.config.loginAttemptsPerMinute - LOCKOUT.attempts + 1).fill(429),
    ]);
    expect(answers.at(-2)?.body.error).toHaveProperty('retry_at');
    expect(answers.at(-1)?.body.error).toHaveProperty('retry_after_s');
  });

  it('keeps secrets out of the log', async () => {
    const token = (await w.api.post('/auth/tokens', { name: 'лог' })).body.token as string;
    await apiClient(h.url, token).get('/deals');
    await signIn(`irina@${w.ws}.test`);
    expect(log).toContain('/api/v1/deals');
    expect(log).not.toContain(token);
    expect(log).not.toContain(w.token);
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toMatch(/vks_\d+_[A-Za-z0-9_-]{20}/);
  });
});

describe('the audit log', () => {
  it('records who changed what for records and configuration, readable and exportable by admins only', async () => {
    const deal = await w.api.post('/deals', { title: 'Под аудитом', amount_minor: 100, stage_id: w.stage('Квалификация').id });
    await w.api.patch(`/deals/${deal.body.id}`, { amount_minor: 250, version: deal.body.version });
    await w.api.raw('/calendar/2026-12-31', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'holiday', note: 'Новый год' }),
    });
    const log = await w.api.get(`/audit-log?entity=deals&entity_id=${deal.body.id}`);
    expect(log.status).toBe(200);
    expect(log.body.items.map((i: { action: string }) => i.action)).toEqual(['update', 'create']);
    expect(log.body.items[0]).toMatchObject({ user: 'Админ', changes: { amount_minor: { from: 100, to: 250 } } });
    const calendar = await w.api.get('/audit-log?entity=calendar');
    expect(calendar.body.items[0]).toMatchObject({ entity_id: 20261231, changes: { kind: { from: null, to: 'holiday' } } });
    const csv = await fetch(`${h.url}/api/v1/audit-log?entity=deals&entity_id=${deal.body.id}&format=csv&lang=ru`, {
      headers: { authorization: `Bearer ${w.token}` },
    });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.split('\r\n')[0]).toBe('№;Когда;Кто;Объект;ID;Действие;Изменения');
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(3);
    const managerId = await addUser(
      h.db,
      w.ws,
      { name: 'Пётр', email: `petr@${w.ws}.test`, role: 'head_of_sales', password: PASSWORD },
      h.clock.now(),
    );
    const hos = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: managerId }, { name: 't' })).token);
    expect((await hos.get('/audit-log')).status).toBe(403);
    // The stage history stays append-only: no route rewrites it, and the database refuses.
    await expect(h.db.query(sql`update stage_events set entered_at = now() where workspace_id = ${w.ws}`)).rejects.toThrow();
    await expect(h.db.query(sql`delete from stage_events where workspace_id = ${w.ws}`)).rejects.toThrow();
  });
});
