/**
 * Archive and restore (issue 16): an archived company, contact or lead leaves lists, search and
 * pickers (unless asked for with archived=true) but its card still opens; restore brings it back;
 * both are version-checked and audited; nothing is deleted.
 */
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Архив');
});
afterAll(async () => {
  await h.close();
});

const ids = (r: { body: { items: { id: number }[] } }) => r.body.items.map((x) => x.id);

describe.each([
  ['companies', { name: 'ООО Архивная' }, 'Архивная'],
  ['contacts', { name: 'Пётр Архивный' }, 'Архивный'],
  ['leads', { title: 'Лид Архивный' }, 'Архивный'],
] as const)('%s', (path, body, word) => {
  it('archived: out of the list and search, in ?archived=true, card opens with archived_at; restored: back', async () => {
    const kept = await w.api.post(`/${path}`, { ...body, ...('name' in body ? { name: `${body.name} 2` } : { title: `${body.title} 2` }) });
    const r = await w.api.post(`/${path}`, body);
    expect(r.status).toBe(201);
    expect(r.body.archived_at).toBe(null);
    h.clock.advance(1000);
    const at = h.clock.now().toISOString();
    const a = await w.api.post(`/${path}/${r.body.id}/archive`, { version: 1 });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body.archived_at).toBe(at);
    expect(a.body.archived_by).toBe(w.adminId);
    expect(a.body.version).toBe(2);
    expect(ids(await w.api.get(`/${path}?limit=500`))).toEqual([kept.body.id]);
    expect(ids(await w.api.get(`/${path}?archived=true`))).toEqual([r.body.id]);
    // A list by id (names behind references on other lists) still shows it.
    expect(ids(await w.api.get(`/${path}?id=${r.body.id}`))).toEqual([r.body.id]);
    const found = await w.api.get(`/search?q=${encodeURIComponent(word)}`);
    expect(found.status).toBe(200);
    const kind = { companies: 'company', contacts: 'contact', leads: 'lead' }[path];
    expect(found.body.items.filter((x: { kind: string }) => x.kind === kind).map((x: { id: number }) => x.id)).toEqual([kept.body.id]);
    const card = await w.api.get(`/${path}/${r.body.id}/card`);
    expect(card.status).toBe(200);
    expect(card.body.record.archived_at).toBe(at);
    expect(card.body.timeline.filter((t: { kind: string }) => t.kind === 'edit').map((t: { action: string }) => t.action)).toEqual([
      'archive',
    ]);

    const again = await w.api.post(`/${path}/${r.body.id}/archive`, { version: 2 }, { 'accept-language': 'ru' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    const stale = await w.api.post(`/${path}/${r.body.id}/restore`, { version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('VERSION_CONFLICT');
    expect(stale.body.error.changes.map((c: { action: string; field: string }) => [c.action, c.field])).toEqual([
      ['archive', 'archived_at'],
    ]);

    const back = await w.api.post(`/${path}/${r.body.id}/restore`, { version: 2 });
    expect(back.status).toBe(200);
    expect(back.body.archived_at).toBe(null);
    expect(back.body.archived_by).toBe(null);
    expect(ids(await w.api.get(`/${path}?limit=500`)).sort((x, y) => x - y)).toEqual([kept.body.id, r.body.id].sort((x, y) => x - y));
    const audit = await h.db.query<{ action: string; version: number; changes: unknown }>(
      sql`select action, version, changes from audit_log where workspace_id = ${w.ws} and entity = ${path} and entity_id = ${r.body.id} order by id`,
    );
    expect(audit).toEqual([
      { action: 'create', version: 1, changes: {} },
      { action: 'archive', version: 2, changes: { archived_at: { from: null, to: at } } },
      { action: 'restore', version: 3, changes: { archived_at: { from: at, to: null } } },
    ]);
    // Clean up for the next resource's search.
    await w.api.post(`/${path}/${kept.body.id}/archive`, { version: 1 });
  });
});

it('deals are not archived: there is no such route', async () => {
  const d = await w.api.post('/deals', { title: 'Сделка' });
  const r = await w.api.post(`/deals/${d.body.id}/archive`, { version: 1 });
  expect(r.status).toBe(404);
});
