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

describe('a schema’s own message', () => {
  it('names a bad INN in the caller’s language, not as zod’s pattern text', async () => {
    const ru = await w.api.post('/companies', { name: 'Ромашка', inn: '123' }, { 'accept-language': 'ru' });
    expect(ru.status).toBe(400);
    expect(ru.body.error.fields).toEqual([expect.objectContaining({ field: 'inn', message: 'ИНН — 10 цифр у организации или 12 у ИП' })]);
    const created = await w.api.post('/companies', { name: 'Ромашка', inn: '7701234567' });
    const bad = await w.api.patch(`/companies/${created.body.id}`, { inn: '77012345678', version: 1 }, { 'accept-language': 'en' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual([
      expect.objectContaining({ field: 'inn', message: 'an INN is 10 digits (a company) or 12 (a sole trader)' }),
    ]);
    expect(await countRows(h.db, 'companies', w.ws)).toBe(1);
  });
});
