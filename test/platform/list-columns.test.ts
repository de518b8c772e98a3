/**
 * The columns a person chooses per list (issue 16) are kept with their preferences: in order,
 * per list, a list left out of a change keeps its columns, another person's are untouched, and a
 * malformed choice answers 400 naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let manager: ApiClient;

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Колонки');
  const id = await addUser(
    h.db,
    w.ws,
    { name: 'Мария', email: `m@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
    h.clock.now(),
  );
  manager = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: id }, { name: 't' })).token);
});
afterAll(async () => {
  await h.close();
});

describe('list columns in the preferences', () => {
  it('keeps each list’s columns in order, per person', async () => {
    expect((await manager.get('/me/preferences')).body.list_columns).toEqual({});
    const a = await manager.patch('/me/preferences', { list_columns: { deals: ['title', 'custom.budget', 'amount'] } });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body.list_columns).toEqual({ deals: ['title', 'custom.budget', 'amount'] });
    const b = await manager.patch('/me/preferences', { list_columns: { leads: ['title', 'status'] }, start_page: 'board' });
    expect(b.body.list_columns).toEqual({ deals: ['title', 'custom.budget', 'amount'], leads: ['title', 'status'] });
    expect(b.body.start_page).toBe('board');
    const c = await manager.patch('/me/preferences', { list_columns: { deals: ['amount', 'title'] } });
    expect(c.body.list_columns).toEqual({ deals: ['amount', 'title'], leads: ['title', 'status'] });
    expect((await manager.get('/me/preferences')).body.list_columns).toEqual({ deals: ['amount', 'title'], leads: ['title', 'status'] });
    expect((await w.api.get('/me/preferences')).body.list_columns).toEqual({});
  });

  it('refuses a malformed choice, naming the field', async () => {
    const dup = await manager.patch('/me/preferences', { list_columns: { deals: ['title', 'title'] } });
    expect(dup.status).toBe(400);
    expect(dup.body.error.fields[0].field).toBe('list_columns.deals');
    const bad = await manager.patch('/me/preferences', { list_columns: { deals: ['Title; drop'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe('list_columns.deals.0');
    const list = await manager.patch('/me/preferences', { list_columns: { tasks: ['title'] } });
    expect(list.status).toBe(400);
    expect(list.body.error.fields[0].field).toBe('list_columns.tasks');
  });
});
