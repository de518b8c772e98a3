/**
 * User administration (issue 17): an admin lists a person's sessions and ends one or all (audited;
 * the caller's own is marked); deactivating ends sessions and revokes tokens in the same write; a
 * password reset is a one-time 24-hour link whose page says so, and setting the password through
 * it ends the old sessions and revokes the tokens; a handover moves a person's records to another
 * as owner changes — version bumped, audited owner A → B, the deal's visits following, refused for
 * the same or a deactivated target — with counts for the dialog first.
 */
import sql, { raw } from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/history/check-history.ts';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Команда');
});
afterAll(async () => {
  await h?.close();
});

const person = async (name: string, email: string, role: 'manager' | 'team_lead' = 'manager') =>
  addUser(h.db, w.ws, { name, email, role, password: PASSWORD }, h.clock.now());
/** Signs in by password; the session cookie. */
const signIn = async (email: string, password = PASSWORD) => {
  const r = await fetch(`${h.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(r.status).toBe(200);
  return (r.headers.get('set-cookie') ?? '').split(';')[0];
};
const meStatus = async (cookie: string) => (await fetch(`${h.url}/api/v1/auth/me`, { headers: { cookie } })).status;
const tokenOf = async (userId: number) => (await createApiToken(h.ctx, { workspaceId: w.ws, userId }, { name: 'скрипт' })).token;
const audits = async (entity: string) =>
  h.db.query<{ entity_id: number; action: string; user_id: number; changes: Record<string, { from: unknown; to: unknown }> }>(
    sql`select entity_id, action, user_id, changes from audit_log where workspace_id = ${w.ws} and entity = ${entity} order by id`,
  );

describe('sessions of a person', () => {
  it('lists them (the caller’s own marked), ends one and all, audited; a manager may not', async () => {
    const annaId = await person('Анна Смирнова', 'anna@firma.ru');
    const first = await signIn('anna@firma.ru');
    h.clock.advance(60_000);
    const second = await signIn('anna@firma.ru');
    const adminCookie = await signIn(`admin@${w.ws}.test`);

    const listed = await w.api.get(`/users/${annaId}/sessions`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(2);
    const [newer, older] = listed.body.items;
    expect(newer).toMatchObject({ created_at: h.clock.now().toISOString(), current: false });
    expect(new Date(newer.expires_at).getTime() - new Date(newer.created_at).getTime()).toBe(h.ctx.config.sessionTtlHours * 3_600_000);
    expect(older.id).toBeLessThan(newer.id);
    // Through the admin's own session, that one is marked as the caller's.
    const own = (await (await fetch(`${h.url}/api/v1/users/${w.adminId}/sessions`, { headers: { cookie: adminCookie } })).json()) as any;
    expect(own.items.map((s: { current: boolean }) => s.current)).toEqual([true]);

    const ended = await w.api.del(`/users/${annaId}/sessions/${older.id}`);
    expect(ended.status).toBe(204);
    expect(await meStatus(first)).toBe(401);
    expect(await meStatus(second)).toBe(200);
    expect((await w.api.del(`/users/${annaId}/sessions/${older.id}`)).status).toBe(404);
    // Another person's session is not reached through this person.
    expect((await w.api.del(`/users/${w.adminId}/sessions/${newer.id}`)).status).toBe(404);

    const manager = apiClient(h.url, await tokenOf(annaId));
    expect((await manager.get(`/users/${annaId}/sessions`)).status).toBe(403);
    expect((await manager.del(`/users/${annaId}/sessions`)).status).toBe(403);

    const all = await w.api.del(`/users/${annaId}/sessions`);
    expect(all.body).toEqual({ ended: 1 });
    expect(await meStatus(second)).toBe(401);
    expect((await w.api.get(`/users/${annaId}/sessions`)).body.items).toEqual([]);
    expect((await audits('sessions')).map((a) => [Number(a.entity_id), a.action, Number(a.user_id), a.changes])).toEqual([
      [older.id, 'delete', w.adminId, { user_id: { from: annaId, to: null } }],
      [newer.id, 'delete', w.adminId, { user_id: { from: annaId, to: null } }],
    ]);
    expect((await w.api.get('/users/999999/sessions')).status).toBe(404);
  });

  it('deactivating a person ends their sessions and revokes their API tokens in the same write', async () => {
    const id = await person('Олег Иванов', 'oleg@firma.ru');
    const cookie = await signIn('oleg@firma.ru');
    const token = await tokenOf(id);
    const [{ version }] = await h.db.query<{ version: number }>(sql`select version from users where workspace_id = ${w.ws} and id = ${id}`);
    const off = await w.api.patch(`/users/${id}`, { version, active: false });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    const [{ n }] = await h.db.query<{ n: number }>(
      sql`select count(*)::int8 as n from sessions where workspace_id = ${w.ws} and user_id = ${id}`,
    );
    expect(n).toBe(0);
    const [t] = await h.db.query<{ revoked_at: Date | null }>(
      sql`select revoked_at from api_tokens where workspace_id = ${w.ws} and user_id = ${id}`,
    );
    expect(t.revoked_at?.toISOString()).toBe(h.clock.now().toISOString());
    // Activated again, neither the old cookie nor the old token works.
    const on = await w.api.patch(`/users/${id}`, { version: off.body.version, active: true });
    expect(on.status).toBe(200);
    expect(await meStatus(cookie)).toBe(401);
    expect((await apiClient(h.url, token).get('/auth/me')).status).toBe(401);
  });
});

describe('password reset by link', () => {
  it('a 24-hour link says it resets; setting the password ends the old sessions, revokes tokens and signs in', async () => {
    const id = await person('Пётр Новиков', 'petr@firma.ru');
    const oldCookie = await signIn('petr@firma.ru');
    const token = await tokenOf(id);
    const invite = (await w.api.post(`/users/${id}/invitation`)).body;

    const made = await w.api.post(`/users/${id}/password-reset`);
    expect(made.status).toBe(201);
    expect(made.body.token).toMatch(new RegExp(`^vki_${w.ws}_[A-Za-z0-9_-]{43}$`));
    expect(made.body.path).toBe(`/invite/${made.body.token}`);
    expect(new Date(made.body.expires_at).getTime() - h.clock.now().getTime()).toBe(24 * 3_600_000);
    // The newer link replaces the invitation made before it.
    expect((await fetch(`${h.url}/api/v1/invitations/${invite.token}`)).status).toBe(404);
    const page = await (await fetch(`${h.url}/api/v1/invitations/${made.body.token}`)).json();
    expect(page).toEqual({ workspace: 'Команда', name: 'Пётр Новиков', email: 'petr@firma.ru', purpose: 'reset' });
    // The old password still works until the link is used.
    expect(await meStatus(oldCookie)).toBe(200);

    const ok = await fetch(`${h.url}/api/v1/invitations/${made.body.token}/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'синий-паровоз-42-рассвет' }),
    });
    expect(ok.status).toBe(200);
    const fresh = (ok.headers.get('set-cookie') ?? '').split(';')[0];
    expect(await meStatus(fresh)).toBe(200);
    expect(await meStatus(oldCookie)).toBe(401);
    expect((await apiClient(h.url, token).get('/auth/me')).status).toBe(401);
    expect((await w.api.get(`/users/${id}/sessions`)).body.items).toHaveLength(1);
    const bad = await fetch(`${h.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'petr@firma.ru', password: PASSWORD }),
    });
    expect(bad.status).toBe(401);
    const userAudit = (await audits('users')).filter((a) => Number(a.entity_id) === id).map((a) => Object.keys(a.changes));
    expect(userAudit).toEqual([['invitation'], ['password_reset'], ['password_hash']]);
  });

  it('a link expires after 24 hours; the admin’s direct PATCH of a password still works', async () => {
    const id = await person('Ирина Волкова', 'irina@firma.ru');
    const made = await w.api.post(`/users/${id}/password-reset`);
    h.clock.advance(24 * 3_600_000);
    expect((await fetch(`${h.url}/api/v1/invitations/${made.body.token}`)).status).toBe(404);
    const cookie = await signIn('irina@firma.ru');
    const [{ version }] = await h.db.query<{ version: number }>(sql`select version from users where workspace_id = ${w.ws} and id = ${id}`);
    const patched = await w.api.patch(`/users/${id}`, { version, password: 'жёлтый-самокат-17-полдень' });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(await meStatus(cookie)).toBe(401);
    await signIn('irina@firma.ru', 'жёлтый-самокат-17-полдень');
    const manager = apiClient(h.url, await tokenOf(id));
    expect((await manager.post(`/users/${id}/password-reset`)).status).toBe(403);
  });
});

describe('handover', () => {
  let fromId: number;
  let toId: number;
  let from: ApiClient;
  const ids: Record<string, number[]> = {};
  const made = async (api: ApiClient, path: string, body: Record<string, unknown>) => {
    const r = await api.post(path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    ids[path] = [...(ids[path] ?? []), r.body.id];
    return r.body as { id: number; version: number };
  };
  const owners = async (table: string, list: number[]) =>
    (
      await h.db.query<{ owner_id: number; version: number }>(
        sql`select owner_id, version from ${raw(table)} where workspace_id = ${w.ws} and id = any(${list}::int8[]) order by id`,
      )
    ).map((r) => [Number(r.owner_id), r.version]);

  beforeAll(async () => {
    fromId = await person('Уходящий Менеджер', 'leaving@firma.ru');
    toId = await person('Новый Менеджер', 'new@firma.ru');
    from = apiClient(h.url, await tokenOf(fromId));
    for (const title of ['Открытая 1', 'Открытая 2', 'Выигранная']) await made(from, '/deals', { title, amount_minor: 100_000 });
    const won = ids['/deals'][2];
    const moved = await from.post(`/deals/${won}/move`, { stage_id: w.stage('Успешно реализовано').id, version: 1 });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    await made(from, '/companies', { name: 'ООО Передача', owner_id: fromId });
    await made(from, '/contacts', { name: 'Иван Контактов', owner_id: fromId });
    await made(from, '/leads', { title: 'Лид в работе', owner_id: fromId });
    await made(from, '/leads', { title: 'Отказ', status: 'disqualified', owner_id: fromId });
    await made(from, '/tasks', { title: 'Позвонить', deal_id: ids['/deals'][0] });
    const done = await made(from, '/tasks', { title: 'Сделано', status: 'done' });
    expect(done.id).toBeGreaterThan(0);
  });

  it('counts what a person owns, open and all', async () => {
    const r = await w.api.get(`/users/${fromId}/owned`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      deals: { open: 2, total: 3 },
      companies: { open: 1, total: 1 },
      contacts: { open: 1, total: 1 },
      leads: { open: 1, total: 2 },
      tasks: { open: 1, total: 2 },
    });
  });

  it('refuses the same person, an unknown or a deactivated target, naming to_user_id; a manager may not', async () => {
    const before = await owners('deals', ids['/deals']);
    const same = await w.api.post(`/users/${fromId}/handover`, { to_user_id: fromId }, { 'accept-language': 'en' });
    expect(same.status).toBe(400);
    expect(same.body.error.fields).toEqual([
      { field: 'to_user_id', code: 'same', message: 'choose another person: this is the one handing over' },
    ]);
    expect((await w.api.post(`/users/${fromId}/handover`, { to_user_id: 999_999 })).body.error.fields[0]).toMatchObject({
      field: 'to_user_id',
      code: 'not_found',
    });
    const offId = await person('Отключённый', 'off@firma.ru');
    await h.db.query(sql`update users set active = false where workspace_id = ${w.ws} and id = ${offId}`);
    const off = await w.api.post(`/users/${fromId}/handover`, { to_user_id: offId }, { 'accept-language': 'ru' });
    expect(off.status).toBe(400);
    expect(off.body.error.fields[0]).toMatchObject({
      field: 'to_user_id',
      code: 'inactive',
      message: 'этот пользователь отключён: передайте тому, кто работает',
    });
    expect((await w.api.post(`/users/${fromId}/handover`, { to_user_id: toId, objects: [] })).status).toBe(400);
    expect((await from.post(`/users/${fromId}/handover`, { to_user_id: toId })).status).toBe(403);
    expect(await owners('deals', ids['/deals'])).toEqual(before);
  });

  it('moves the open records as owner changes: versions bumped, audited A → B, visits follow, a stale edit answers 409', async () => {
    const [open1, open2, won] = ids['/deals'];
    const stale = (await w.api.get(`/deals/${open1}`)).body.version;
    const r = await w.api.post(`/users/${fromId}/handover`, { to_user_id: toId, open_only: true });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ to_user_id: toId, open_only: true, moved: { deals: 2, companies: 1, contacts: 1, leads: 1, tasks: 1 } });

    expect(await owners('deals', [open1, open2, won])).toEqual([
      [toId, 2],
      [toId, 2],
      [fromId, 2],
    ]);
    expect(await owners('leads', ids['/leads'])).toEqual([
      [toId, 2],
      [fromId, 1],
    ]);
    const [ownerAudit] = await h.db.query<{ user_id: number; changes: unknown; version: number }>(
      sql`select user_id, changes, version from audit_log where workspace_id = ${w.ws} and entity = 'deals' and entity_id = ${open1}
           and action = 'update' order by id desc limit 1`,
    );
    expect(ownerAudit).toMatchObject({ changes: { owner_id: { from: fromId, to: toId } }, version: 2 });
    expect(Number(ownerAudit.user_id)).toBe(w.adminId);
    // The card's history names both people.
    const card = await w.api.get(`/deals/${open1}/card`);
    const edit = card.body.timeline.find((t: { kind: string }) => t.kind === 'edit');
    expect(edit.changes).toEqual([
      { field: 'owner_id', from: fromId, to: toId, from_name: 'Уходящий Менеджер', to_name: 'Новый Менеджер' },
    ]);
    // An edit made on the version read before the handover is stale, and says who changed what.
    const conflict = await w.api.patch(`/deals/${open1}`, { version: stale, title: 'Поздно' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.changes[0]).toMatchObject({ field: 'owner_id', from: fromId, to: toId });
    // The deal's visits carry the new owner, and every derived copy agrees with its source.
    const visits = await h.db.query<{ owner_id: number }>(
      sql`select distinct owner_id from stage_visits where workspace_id = ${w.ws} and deal_id = ${open1}`,
    );
    expect(visits.map((v) => Number(v.owner_id))).toEqual([toId]);
    const checks = await inWorkspace(h.db, w.ws, (tx) => checkHistory(tx, w.ws));
    expect(checks.filter((c) => c.problems > 0)).toEqual([]);
    // The new owner was told, as with any owner change.
    const [{ n }] = await h.db.query<{ n: number }>(
      sql`select count(*)::int8 as n from notifications where workspace_id = ${w.ws} and user_id = ${toId} and kind = 'deal_assigned'`,
    );
    expect(n).toBe(2);
    expect((await w.api.get(`/users/${fromId}/owned`)).body).toEqual({
      deals: { open: 0, total: 1 },
      companies: { open: 0, total: 0 },
      contacts: { open: 0, total: 0 },
      leads: { open: 0, total: 1 },
      tasks: { open: 0, total: 1 },
    });
  });

  it('hands over all of the chosen kinds, closed ones too, and nothing else', async () => {
    const r = await w.api.post(`/users/${fromId}/handover`, { to_user_id: toId, objects: ['deals'], open_only: false });
    expect(r.body.moved).toEqual({ deals: 1, companies: 0, contacts: 0, leads: 0, tasks: 0 });
    expect((await w.api.get(`/users/${fromId}/owned`)).body).toMatchObject({
      deals: { open: 0, total: 0 },
      leads: { total: 1 },
      tasks: { total: 1 },
    });
    const checks = await inWorkspace(h.db, w.ws, (tx) => checkHistory(tx, w.ws));
    expect(checks.filter((c) => c.problems > 0)).toEqual([]);
  });
});
