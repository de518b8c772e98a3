/**
 * Forged list cursors (issue 14.6): a cursor is checked against the type of the field the list is
 * sorted by before any SQL runs, and answers 400 naming the `cursor` parameter on both engines.
 * Under the check, PGlite receives parameters as text, as a server does, so a value its column
 * cannot take is a database error with a SQLSTATE (mapped to 400) rather than a JS error (500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbError } from '../../src/platform/db/types.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h);
  for (const title of ['Первая', 'Вторая', 'Третья']) expect((await w.api.post('/deals', { title, amount_minor: 500 })).status).toBe(201);
});
afterAll(async () => {
  await h.close();
});

const b64 = (json: string) => Buffer.from(json).toString('base64url');

describe('forged list cursors', () => {
  it('answer 400 naming the cursor, in English and Russian, on both engines', async () => {
    const forged: [path: string, sort: string, cursor: string][] = [
      // The two of the issue, as reported.
      ['deals', 'stage_entered_at', 'WzFlKzMwOCwxXQ'],
      ['deals', '-closed_at', 'W3RydWUsMV0'],
      ['deals', 'created_at', b64('["yesterday",1]')],
      ['deals', 'created_at', b64('["2025-02-30T00:00:00.000000Z",1]')],
      ['deals', 'created_at', b64('["0000-01-01T00:00:00.000000Z",1]')],
      ['deals', 'created_at', b64('[1741000000000,1]')],
      ['deals', '-updated_at', b64('[{"a":1},1]')],
      ['deals', 'amount_minor', b64('[1.5,1]')],
      ['deals', 'amount_minor', b64('["100",1]')],
      ['deals', 'amount_minor', b64('[1e308,1]')],
      ['deals', 'amount_minor', b64('[9007199254740993,1]')],
      ['deals', 'title', b64('[5,1]')],
      ['deals', 'title', b64('["a\\u0000b",1]')],
      ['deals', 'title', b64('[null,1]')],
      ['deals', 'id', b64('[null,1.5]')],
      ['deals', 'id', b64('["x",1]')],
      ['deals', 'title', b64('["x",1,2]')],
      ['deals', 'title', b64('"xy"')],
      ['segments', 'position', b64('[true,1]')],
      ['leads', 'status', b64('[[1],1]')],
      ['tasks', '-due_at', b64('[false,1]')],
    ];
    for (const [path, sort, cursor] of forged) {
      const en = await w.api.get(`/${path}?sort=${sort}&cursor=${cursor}`);
      const what = `${path} sorted by ${sort}, cursor ${Buffer.from(cursor, 'base64url').toString()}`;
      expect(en.status, what).toBe(400);
      expect(en.body.error, what).toMatchObject({
        code: 'VALIDATION_FAILED',
        in: 'query',
        fields: [{ field: 'cursor', code: 'invalid_cursor' }],
      });
      expect(en.body.error.message, what).toMatch(/^invalid query: cursor: /);
      const ru = await w.api.get(`/${path}?sort=${sort}&cursor=${cursor}`, { 'accept-language': 'ru' });
      expect(ru.status, what).toBe(400);
      expect(ru.body.error.message, what).toMatch(/^Ошибка в параметрах запроса: cursor — /);
    }
  });

  it('a cursor of the right type pages on, whatever its value', async () => {
    const fine: [path: string, sort: string, cursor: string][] = [
      ['deals', 'stage_entered_at', b64('["2025-03-03T09:00:00.000000Z",0]')],
      ['deals', '-created_at', b64('["294275-12-31T23:59:59.999999Z",-5]')],
      ['deals', 'created_at', b64('["2024-02-29T00:00:00Z",1]')],
      ['deals', '-closed_at', b64('[null,1]')],
      ['deals', 'amount_minor', b64('[-1,9007199254740991]')],
      ['deals', 'title', b64('["\\ud800 я",1]')],
      // A safe integer beyond the int4 column's range is compared, not refused by the database.
      ['segments', 'position', b64('[9007199254740991,1]')],
      ['leads', 'status', b64('["no such status",1]')],
      ['deals', 'id', b64('[null,0]')],
    ];
    for (const [path, sort, cursor] of fine) {
      const res = await w.api.get(`/${path}?sort=${sort}&cursor=${cursor}`);
      expect(res.status, `${path} sorted by ${sort}, cursor ${Buffer.from(cursor, 'base64url').toString()}`).toBe(200);
    }
    const first = await w.api.get('/deals?sort=stage_entered_at&limit=2');
    expect(first.status).toBe(200);
    const next = await w.api.get(`/deals?sort=stage_entered_at&limit=2&cursor=${first.body.next_cursor}`);
    expect(next.status).toBe(200);
    expect(next.body.items.length).toBe(1);
  });

  it('the embedded engine sends parameters as text, as a server gets them: a value its column cannot take has a SQLSTATE', async () => {
    const sqlstate = (q: string, v: unknown[]) =>
      h.db.query(q, v).then(
        () => 'accepted',
        (e) => (e instanceof DbError ? e.code : `not a DbError: ${(e as Error).message}`),
      );
    expect(await sqlstate('select $1::timestamptz', [1e308])).toBe('22007');
    expect(await sqlstate('select $1::timestamptz', [true])).toBe('22007');
    expect(await sqlstate('select $1::date', [5])).toBe('22007');
    expect(await sqlstate('select $1::boolean', ['maybe'])).toBe('22P02');
    expect(await sqlstate('select $1::boolean', [2])).toBe('22P02');
    expect(await sqlstate('select $1::int4', [2 ** 40])).toBe('22003');
    // What both engines accept stays accepted, with the same meaning.
    const [r] = await h.db.query<{ t: Date; b: boolean; d: string }>('select $1::timestamptz as t, $2::boolean as b, $3::date::text as d', [
      new Date('2025-03-03T09:00:00.123Z'),
      true,
      '2025-03-03',
    ]);
    expect(r).toEqual({ t: new Date('2025-03-03T09:00:00.123Z'), b: true, d: '2025-03-03' });
  });
});
