/**
 * The workspace's named lists (platform/resource/named-list.ts): loss, disqualification and churn
 * reasons and product groups behave alike — a new entry goes to the end of its list, a name is
 * unique whatever its case, and a duplicate is refused naming its field, in both languages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Списки');
});
afterAll(async () => {
  await h.close();
});

const LISTS: { path: string; field: string; entry: (ru: string, en: string) => Record<string, string> }[] = [
  { path: '/loss-reasons', field: 'name_ru', entry: (ru, en) => ({ name_ru: ru, name_en: en }) },
  { path: '/lead-disqualify-reasons', field: 'name_ru', entry: (ru, en) => ({ name_ru: ru, name_en: en }) },
  { path: '/churn-reasons', field: 'name_ru', entry: (ru, en) => ({ name_ru: ru, name_en: en }) },
  { path: '/product-groups', field: 'name', entry: (ru) => ({ name: ru }) },
];

describe('named lists', () => {
  for (const l of LISTS)
    it(`${l.path}: a new entry goes to the end; a name in another case is a duplicate, refused with its field named`, async () => {
      const first = await w.api.post(l.path, l.entry('Первая', 'First'));
      expect(first.status).toBe(201);
      const second = await w.api.post(l.path, l.entry('Вторая', 'Second'));
      expect(second.status).toBe(201);
      expect(second.body.position).toBe(first.body.position + 1);
      // Given a position, an entry takes it; the next one still goes after the last.
      const placed = await w.api.post(l.path, { ...l.entry('Особая', 'Special'), position: 50 });
      expect(placed.body.position).toBe(50);
      expect((await w.api.post(l.path, l.entry('Четвёртая', 'Fourth'))).body.position).toBe(51);

      const dup = await w.api.post(l.path, l.entry('ВТОРАЯ', 'Second again'));
      expect(dup.status).toBe(400);
      expect(dup.body.error.fields[0]).toMatchObject({ field: l.field, code: 'duplicate' });
      expect(dup.body.error.fields[0].message).toBe('"ВТОРАЯ" is already in the list');
      const ru = await h.app.inject({
        method: 'POST',
        url: `/api/v1${l.path}`,
        headers: { authorization: `Bearer ${w.token}`, 'accept-language': 'ru', 'content-type': 'application/json' },
        payload: l.entry('вторая', 'x'),
      });
      expect(ru.statusCode).toBe(400);
      expect(JSON.parse(ru.body).error.fields[0].message).toBe('«вторая» уже есть в списке');
      // Renaming an entry to its own name in another case is not a duplicate of itself.
      const renamed = await w.api.patch(`${l.path}/${second.body.id}`, { version: second.body.version, ...l.entry('ВТОРАЯ', 'Second') });
      expect(renamed.status).toBe(200);
    });
});
