import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/demo/demo-plan.ts';
import { AppError } from '../../src/platform/errors.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/** New passwords pass one check, wherever they are set (issue 14, item 10). */
let h: Harness;
let w: SeededWorkspace;
const anonymous = () => apiClient(h.url, null);
const WEAK = ['          ', 'aaaaaaaaaa', '1234567890', 'qwertyuiop', 'password123', 'P@ssw0rd2024'];

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Пароли');
});
afterAll(async () => {
  await h.close();
});

describe('password strength', () => {
  it('refuses easily guessed passwords for a new user, naming the field in English and Russian', async () => {
    for (const [i, password] of WEAK.entries()) {
      const email = `weak${i}@${w.ws}.test`;
      const res = await w.api.post('/users', { name: 'Слабый', email, role: 'manager', password });
      expect(res.status, JSON.stringify(password)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.fields).toHaveLength(1);
      expect(res.body.error.fields[0]).toMatchObject({ field: 'password', code: 'weak_password' });
      expect(res.body.error.fields[0].message).toMatch(/^too easy to guess/);
      expect(await h.db.query(sql`select 1 from users where workspace_id = ${w.ws} and email = ${email}`)).toEqual([]);
    }
    const ru = await w.api.post('/users', { name: 'Слабый', role: 'manager', password: 'aaaaaaaaaa' }, { 'accept-language': 'ru' });
    expect(ru.status).toBe(400);
    expect(ru.body.error.fields[0]).toEqual({
      field: 'password',
      code: 'weak_password',
      message:
        'пароль слишком легко подобрать: повторы вроде «aaa» легко подобрать; возьмите фразу подлиннее из нескольких не связанных слов',
    });
    expect(ru.body.error.message).toBe(`password: ${ru.body.error.fields[0].message}`);
  });

  it("refuses the person's own e-mail or name as a password", async () => {
    const res = await w.api.post('/users', {
      name: 'Светлана Кравец',
      email: 'svetlana.kravets@example.ru',
      role: 'manager',
      password: 'svetlana.kravets@example.ru',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.fields[0]).toMatchObject({ field: 'password', code: 'weak_password' });
    expect(res.body.error.fields[0].message).toContain("the person's name or e-mail");
  });

  it('refuses a weak password in an admin reset, and keeps the old one', async () => {
    const email = `reset@${w.ws}.test`;
    const created = await w.api.post('/users', { name: 'Сброс', email, role: 'manager', password: 'an honest first passphrase' });
    expect(created.status).toBe(201);
    const reset = await w.api.patch(`/users/${created.body.id}`, { password: '1234567890', version: created.body.version });
    expect(reset.status).toBe(400);
    expect(reset.body.error.fields[0]).toMatchObject({ field: 'password', code: 'weak_password' });
    expect((await anonymous().post('/auth/login', { email, password: 'an honest first passphrase' })).status).toBe(200);
    const good = await w.api.patch(`/users/${created.body.id}`, { password: 'a second honest passphrase', version: created.body.version });
    expect(good.status).toBe(200);
    expect((await anonymous().post('/auth/login', { email, password: 'a second honest passphrase' })).status).toBe(200);
  });

  it('applies the same check to users added outside the API (command line, demo, import)', async () => {
    const err = await addUser(
      h.db,
      w.ws,
      { name: 'Консоль', email: `cli@${w.ws}.test`, role: 'manager', password: 'aaaaaaaaaa' },
      h.clock.now(),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('VALIDATION_FAILED');
    expect((err as AppError).details.fields?.[0]).toMatchObject({ field: 'password', code: 'weak_password' });
    expect(await h.db.query(sql`select 1 from users where workspace_id = ${w.ws} and email = ${`cli@${w.ws}.test`}`)).toEqual([]);
  });

  it('accepts the demo password and passphrases', async () => {
    for (const [i, password] of [DEMO_PASSWORD, 'correct horse battery', 'manager password 1', 'Жёлтый трамвай у реки'].entries()) {
      const email = `good${i}@${w.ws}.test`;
      const res = await w.api.post('/users', { name: 'Хороший', email, role: 'manager', password });
      expect(res.status, password).toBe(201);
      expect((await anonymous().post('/auth/login', { email, password })).status).toBe(200);
    }
  });
});
