import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

// Lists and cards carry an ETag of their bytes: a client that sends it back gets 304 without a body
// while what it shows is unchanged, and a write in between — through the API or behind its back —
// gives a new answer with another ETag.
let h: Harness;
let w: SeededWorkspace;
let company: number;
let deal: number;

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'ETag');
  const c = await w.api.post('/companies', { name: 'ООО «Ромашка»' });
  expect(c.status).toBe(201);
  company = c.body.id;
  const d = await w.api.post('/deals', { title: 'Поставка', amount_minor: 100_00, company_id: company });
  expect(d.status).toBe(201);
  deal = d.body.id;
});
afterAll(async () => {
  await h.close();
});

/** A GET, then the same GET with its ETag: 304 without a body, the same ETag. */
async function revalidates(path: string) {
  const first = await w.api.get(path);
  expect(first.status).toBe(200);
  const tag = first.headers.get('etag');
  // A strong tag of the characters an entity tag may hold, short enough for a header.
  expect(tag).toMatch(/^"[!#-~]{20,120}"$/);
  expect(first.headers.get('cache-control')).toBe('private, no-cache');
  const again = await w.api.get(path, { 'if-none-match': tag as string });
  expect(again.status).toBe(304);
  // The same tag whether the answer came from the cache or was read and written again.
  h.app.caches.clear();
  expect((await w.api.get(path, { 'if-none-match': tag as string })).status).toBe(304);
  expect(again.body).toBeNull(); // no body
  expect(again.headers.get('etag')).toBe(tag);
  // Another tag, or a list of tags with it among them (weak or not), as a cache may send.
  expect((await w.api.get(path, { 'if-none-match': '"something-else"' })).status).toBe(200);
  expect((await w.api.get(path, { 'if-none-match': `"x", W/${tag}` })).status).toBe(304);
  return { tag: tag as string, body: first.body };
}

describe('ETag and 304 on lists and cards', () => {
  it('answers 304 to a list asked again unchanged, and 200 with a new ETag after a write through the API', async () => {
    const { tag, body } = await revalidates('/companies?limit=50');
    const patched = await w.api.patch(`/companies/${company}`, { version: body.items[0].version, name: 'ООО «Василёк»' });
    expect(patched.status).toBe(200);
    const after = await w.api.get('/companies?limit=50', { 'if-none-match': tag });
    expect(after.status).toBe(200);
    expect(after.body.items[0].name).toBe('ООО «Василёк»');
    expect(after.headers.get('etag')).not.toBe(tag);
    await revalidates('/companies?limit=50');
  });

  it('answers 304 to a deal card asked again unchanged, and 200 with a new ETag after a change in SQL', async () => {
    const { tag } = await revalidates(`/deals/${deal}/card`);
    await h.db.query(sql`update deals set title = 'Поставка станков' where id = ${deal}`);
    const after = await w.api.get(`/deals/${deal}/card`, { 'if-none-match': tag });
    expect(after.status).toBe(200);
    expect(after.body.deal.title).toBe('Поставка станков');
    expect(after.headers.get('etag')).not.toBe(tag);
  });

  it('answers 304 to a company card asked again unchanged, and 200 after an activity is logged', async () => {
    const { tag } = await revalidates(`/companies/${company}/card`);
    expect((await w.api.post('/activities', { type: 'call', at: '2025-03-03T08:00:00Z', company_id: company })).status).toBe(201);
    const after = await w.api.get(`/companies/${company}/card`, { 'if-none-match': tag });
    expect(after.status).toBe(200);
    expect(after.body.timeline.map((t: { kind: string }) => t.kind).sort()).toEqual(['activity', 'edit']); // the rename above, and the call
  });

  it('gives no ETag to an error, nor to a route that does not ask for one', async () => {
    const missing = await w.api.get('/deals/999999/card');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('etag')).toBeNull();
    const one = await w.api.get(`/companies/${company}`);
    expect(one.status).toBe(200);
    expect(one.headers.get('etag')).toBeNull();
  });
});
