/**
 * A deal's company and contact are seen with the deal (found by the manager's-day scenario: the
 * demo's and an import's companies have no owner, so a manager's deals list showed «…» for every
 * company and the company link on her own deal's card answered 404). A company or contact linked
 * to no deal the manager sees stays out of sight.
 */
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let anna: ReturnType<typeof apiClient>;
const ids: Record<string, number> = {};
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Связанные');
  const annaId = await addUser(
    h.db,
    w.ws,
    { name: 'Анна', email: 'anna@x.test', role: 'manager', password: 'correct horse battery' },
    h.clock.now(),
  );
  anna = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: annaId }, { name: 't' })).token);
  const post = async (path: string, body: unknown) => (await w.api.post(path, body)).body.id as number;
  // Companies and contacts without an owner, as an import leaves them.
  ids.linked = await post('/companies', { name: 'ООО Связанная' });
  ids.other = await post('/companies', { name: 'ООО Чужая' });
  ids.person = await post('/contacts', { name: 'Пётр Связанный', company_id: ids.linked });
  ids.stranger = await post('/contacts', { name: 'Иван Чужой', company_id: ids.other });
  await h.db.query(sql`update companies set owner_id = null where workspace_id = ${w.ws}`);
  await h.db.query(sql`update contacts set owner_id = null where workspace_id = ${w.ws}`);
  ids.deal = await post('/deals', { title: 'Сделка Анны', owner_id: annaId, company_id: ids.linked, contact_id: ids.person });
  await post('/deals', { title: 'Чужая сделка', company_id: ids.other, contact_id: ids.stranger });
});
afterAll(async () => {
  await h?.close();
});

describe('a manager sees the company and the contact of her own deal', () => {
  it('in lists, by id, on cards and in search; not those of deals she does not see', async () => {
    const companies = await anna.get(`/companies?id=${ids.linked},${ids.other}`);
    expect(companies.body.items.map((c: { name: string }) => c.name)).toEqual(['ООО Связанная']);
    expect((await anna.get(`/companies/${ids.linked}`)).status).toBe(200);
    expect((await anna.get(`/companies/${ids.other}`)).status).toBe(404);
    expect((await anna.get(`/contacts/${ids.person}`)).status).toBe(200);
    expect((await anna.get(`/contacts/${ids.stranger}`)).status).toBe(404);
    const contacts = await anna.get('/contacts');
    expect(contacts.body.items.map((c: { name: string }) => c.name)).toEqual(['Пётр Связанный']);
    const found = await anna.get(`/search?q=${encodeURIComponent('ООО')}`);
    expect(found.body.items.filter((i: { kind: string }) => i.kind === 'company').map((i: { title: string }) => i.title)).toEqual([
      'ООО Связанная',
    ]);
    expect((await anna.get(`/companies/${ids.linked}/card`)).status).toBe(200);
  });
});
