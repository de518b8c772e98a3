/**
 * The first start without the demo (issue 17): on an empty server the setup creates the workspace,
 * its first admin and its standard (the B2B template in Russian or English, or an empty start with
 * one small pipeline) in one transaction and signs the admin in; a weak password, an unknown
 * currency or zone are 400s naming the field with nothing created; once set up, the setup answers
 * 409. The password check gives a strength meter the same rule as every password.
 */
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspaceWithAdmin } from '../../src/setup/setup.ts';
import { type Harness, startHarness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${h.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-language': 'ru', ...headers },
    body: JSON.stringify(body),
  });
const FORM = {
  workspace: { name: 'Ромашка', currency: 'RUB', timezone: 'Europe/Moscow', locale: 'ru' },
  admin: { name: 'Ольга Иванова', email: 'olga@romashka.ru', password: 'ракета-сосна-облако-7' },
  template: 'b2b-ru',
};
const count = async (table: string) => Number((await h.db.query<{ n: string }>(`select count(*)::text as n from ${table}`))[0].n);

describe('setup of an empty server', () => {
  it('says it is needed, and refuses bad input by field with nothing created', async () => {
    const s = await fetch(`${h.url}/api/v1/setup`);
    expect(await s.json()).toEqual({ needed: true, templates: ['b2b-ru', 'b2b-en', 'empty'] });

    const weak = await post('/setup', { ...FORM, admin: { ...FORM.admin, password: 'olga12345678' } });
    expect(weak.status).toBe(400);
    const w = (await weak.json()) as any;
    expect(w.error.fields.map((f: { field: string }) => f.field)).toEqual(['admin.password']);
    expect(w.error.fields[0].message).toMatch(/^пароль слишком легко подобрать/);

    const zone = await post('/setup', { ...FORM, workspace: { ...FORM.workspace, currency: 'RUR', timezone: 'Europe/Moskva' } });
    expect(zone.status).toBe(400);
    const z = (await zone.json()) as any;
    expect(z.error.fields.map((f: { field: string }) => f.field)).toEqual(['workspace.currency', 'workspace.timezone']);
    expect(z.error.fields[1].message).toBe('«Europe/Moskva» — не часовой пояс IANA вроде Europe/Moscow');

    const email = await post('/setup', { ...FORM, admin: { ...FORM.admin, email: 'olga' } });
    expect(email.status).toBe(400);
    expect(((await email.json()) as any).error.fields[0].field).toBe('admin.email');
    expect(await count('workspaces')).toBe(0);
    expect(await count('users')).toBe(0);
  });

  it('creates the workspace, the admin and the Russian standard, and signs the admin in', async () => {
    const r = await post('/setup', FORM);
    expect(r.status).toBe(201);
    const body = (await r.json()) as any;
    expect(body.template).toBe('b2b-ru');
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/^voronka_session=vks_/);
    const me = (await (await fetch(`${h.url}/api/v1/auth/me`, { headers: { cookie } })).json()) as any;
    expect(me.user).toMatchObject({ name: 'Ольга Иванова', email: 'olga@romashka.ru', role: 'admin' });
    expect(me.workspace).toMatchObject({ name: 'Ромашка', currency: 'RUB', timezone: 'Europe/Moscow', locale: 'ru' });
    const stages = await h.db.query<{ name: string; kind: string }>(
      sql`select s.name, s.kind from stages s join pipelines p on p.id = s.pipeline_id where p.workspace_id = ${body.workspace_id} order by s.position`,
    );
    expect(stages.map((s) => s.name)).toEqual([
      'Новый лид',
      'Квалификация',
      'Встреча',
      'Демо',
      'КП отправлено',
      'Переговоры',
      'Договор',
      'Успешно реализовано',
      'Закрыто и не реализовано',
    ]);
    const tasks = await h.db.query<{ n: number }>(
      sql`select count(*)::int as n from task_templates where workspace_id = ${body.workspace_id}`,
    );
    expect(tasks[0].n).toBeGreaterThan(10);
    const audit = await h.db.query<{ entity: string; action: string }>(
      sql`select entity, action from audit_log where workspace_id = ${body.workspace_id} and entity = 'workspaces'`,
    );
    expect(audit).toEqual([{ entity: 'workspaces', action: 'create' }]);

    expect(await (await fetch(`${h.url}/api/v1/setup`)).json()).toMatchObject({ needed: false });
    const again = await post('/setup', { ...FORM, workspace: { ...FORM.workspace, name: 'Другая' } });
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).error.message).toBe(
      'этот сервер уже настроен: войдите или попросите администратора пригласить вас',
    );
    expect(await count('workspaces')).toBe(1);
  });

  it('an English standard, an empty start, and a name already taken (as bin/voronka workspace create does)', async () => {
    const now = h.ctx.clock.now();
    const en = await createWorkspaceWithAdmin(
      h.db,
      {
        ...FORM,
        workspace: { ...FORM.workspace, name: 'Acme', currency: 'USD', timezone: 'America/New_York', locale: 'en' },
        admin: { ...FORM.admin, email: 'o@acme.test' },
        template: 'b2b-en',
      } as any,
      now,
      { onlyIfEmpty: false },
    );
    const names = async (ws: number) =>
      (
        await h.db.query<{ name: string }>(
          sql`select s.name from stages s join pipelines p on p.id = s.pipeline_id where p.workspace_id = ${ws} order by s.position`,
        )
      ).map((s) => s.name);
    expect(await names(en.workspaceId)).toEqual([
      'New lead',
      'Qualification',
      'Meeting',
      'Demo',
      'Proposal sent',
      'Negotiation',
      'Contract',
      'Won',
      'Lost',
    ]);
    const segs = await h.db.query<{ name: string }>(sql`select name from segments where workspace_id = ${en.workspaceId} order by name`);
    expect(segs.map((s) => s.name)).toEqual(['Atypical', 'Enterprise', 'Mid-market', 'SMB']);

    const empty = await createWorkspaceWithAdmin(
      h.db,
      {
        ...FORM,
        workspace: { ...FORM.workspace, name: 'Пусто' },
        admin: { ...FORM.admin, email: 'o@pusto.test' },
        template: 'empty',
      } as any,
      now,
      { onlyIfEmpty: false },
    );
    expect(await names(empty.workspaceId)).toEqual(['Новая', 'В работе', 'Успешно', 'Не реализовано']);

    await expect(
      createWorkspaceWithAdmin(h.db, { ...FORM, workspace: { ...FORM.workspace, name: 'ромашка' } } as any, now, { onlyIfEmpty: false }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { fields: [{ field: 'workspace.name' }] },
    });
  });

  it('checks a password for a strength meter by the same rule', async () => {
    const ok = (await (await post('/password-check', { password: 'ракета-сосна-облако-7', inputs: ['Ольга Иванова'] })).json()) as any;
    expect(ok).toEqual({ ok: true, code: null, message: null, min_length: 10 });
    const short = (await (await post('/password-check', { password: 'abc' })).json()) as any;
    expect(short).toEqual({ ok: false, code: 'too_short', message: 'не короче 10 символов', min_length: 10 });
    const name = (await (
      await post('/password-check', { password: 'olgaivanova', inputs: ['olga@ivanova.ru'] }, { 'accept-language': 'en' })
    ).json()) as any;
    expect(name.ok).toBe(false);
    expect(name.code).toBe('weak_password');
  });
});
