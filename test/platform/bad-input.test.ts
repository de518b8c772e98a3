import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h);
});
afterAll(async () => {
  await h.close();
});

const TABLES = ['deals', 'companies', 'stage_events', 'tasks', 'activities', 'leads', 'contacts'];
async function snapshot() {
  return Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await countRows(h.db, t, w.ws)] as const)));
}

describe('bad input gets a clear 4xx naming the field and changes nothing', () => {
  it('malformed JSON, wrong content type, empty body', async () => {
    const before = await snapshot();
    const broken = await w.api.raw('/deals', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title": "x",' });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ field: '(body)', code: 'malformed_json' }] });
    const text = await w.api.raw('/deals', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'title=x' });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const empty = await w.api.raw('/deals', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
    expect(empty.status).toBe(400);
    const array = await w.api.post('/deals', [1, 2, 3]);
    expect(array.status).toBe(400);
    const nul = await w.api.post('/deals', null);
    expect(nul.status).toBe(400);
    const proto = await w.api.raw('/companies', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"x","__proto__":{"admin":true}}',
    });
    expect(proto.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  it('wrong types, unknown fields, missing required fields — every one named', async () => {
    const before = await snapshot();
    const res = await w.api.post('/deals', { amount_minor: '100', owner_id: 'me', colour: 'red', company_id: 1.5 });
    expect(res.status).toBe(400);
    expect(res.body.error.in).toBe('body');
    expect(res.body.error.fields.map((f: { field: string; code: string }) => `${f.field}:${f.code}`).sort()).toEqual([
      'amount_minor:invalid_type',
      'colour:unknown_field',
      'company_id:invalid_type',
      'owner_id:invalid_type',
      'title:required',
    ]);
    const ru = await w.api.post('/tasks', { title: '', due_at: 'завтра' }, { 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.5' });
    expect(ru.status).toBe(400);
    expect(ru.body.error.message).toMatch(/^Ошибка в теле запроса: /);
    expect(ru.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['due_at', 'title']);
    const badEnum = await w.api.post('/activities', { type: 'fax', at: '2025-01-01T00:00:00Z' });
    expect(badEnum.body.error.fields).toEqual([
      {
        field: 'type',
        code: 'invalid_value',
        message: 'Invalid option: expected one of "call"|"meeting"|"demo"|"email"|"proposal"|"note"',
      },
    ]);
    const noOffset = await w.api.post('/activities', { type: 'call', at: '2025-01-01 10:00' });
    expect(noOffset.status).toBe(400);
    expect(noOffset.body.error.fields[0].field).toBe('at');
    const inn = await w.api.post('/companies', { name: 'ИП', inn: '12345' });
    expect(inn.body.error.fields[0].field).toBe('inn');
    expect(await snapshot()).toEqual(before);
  });

  it('huge strings, deep JSON, absurd numbers and odd ids', async () => {
    const before = await snapshot();
    const huge = await w.api.post('/companies', { name: 'x'.repeat(100_000) });
    expect(huge.status).toBe(400);
    expect(huge.body.error.fields[0]).toMatchObject({ field: 'name', code: 'too_big' });
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const nested = await w.api.raw('/companies', { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    expect(nested.status).toBe(400);
    const tooBig = await w.api.raw('/companies', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'y'.repeat(3 * 1024 * 1024) }),
    });
    expect(tooBig.status).toBe(413);
    const money = await w.api.post('/deals', { title: 'x', amount_minor: 1e300 });
    expect(money.status).toBe(400);
    const frac = await w.api.post('/deals', { title: 'x', amount_minor: 10.5 });
    expect(frac.body.error.fields[0].field).toBe('amount_minor');
    for (const id of ['0', '-1', '1.5', '99999999999999999999', 'abc', '1e3']) {
      const r = await w.api.get(`/deals/${id}`);
      expect(r.status, id).toBe(400);
      expect(r.body.error.in, id).toBe('params');
    }
    expect((await w.api.get('/deals/424242')).status).toBe(404);
    const sort = await w.api.get('/deals?sort=password_hash');
    expect(sort.status).toBe(400);
    expect(sort.body.error.fields[0].field).toBe('sort');
    const injection = await w.api.get(`/deals?region=${encodeURIComponent("open' or 1=1 --")}`);
    expect(injection.status).toBe(200);
    expect(injection.body.items).toEqual([]);
    // A status is one of the stage kinds: anything else is refused, naming the parameter.
    const status = await w.api.get(`/deals?status=${encodeURIComponent("open' or 1=1 --")}`);
    expect(status.status).toBe(400);
    expect(status.body.error.fields[0].field).toBe('status');
    expect(await snapshot()).toEqual(before);
  });

  it('a stale version on update answers 409; unknown ids 404', async () => {
    const c = await w.api.post('/companies', { name: 'Версия' });
    expect((await w.api.patch(`/companies/${c.body.id}`, { version: 1, city: 'Тула' })).status).toBe(200);
    const stale = await w.api.patch(`/companies/${c.body.id}`, { version: 1, city: 'Орёл' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('VERSION_CONFLICT');
    expect((await w.api.get(`/companies/${c.body.id}`)).body.city).toBe('Тула');
    const noVersion = await w.api.patch(`/companies/${c.body.id}`, { city: 'Орёл' });
    expect(noVersion.status).toBe(400);
    expect(noVersion.body.error.fields).toEqual([{ field: 'version', code: 'required', message: 'required field is missing' }]);
    expect((await w.api.patch('/companies/777777', { version: 1, city: 'Орёл' })).status).toBe(404);
  });
});
