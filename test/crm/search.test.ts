import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let other: SeededWorkspace;
let manager: ApiClient;
let managerId: number;
let marketer: ApiClient;
const ids: Record<string, number> = {};

const hits = async (api: ApiClient, q: string, extra = '') => {
  const r = await api.get(`/search?q=${encodeURIComponent(q)}${extra}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.items as { kind: string; id: number; title: string; subtitle: string | null; matched: string; score: number }[];
};
const keys = (items: { kind: string; id: number }[]) => items.map((i) => `${i.kind}:${i.id}`);

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Поиск');
  other = await seedWorkspace(h, 'Чужой');
  const now = h.ctx.clock.now();
  managerId = await addUser(
    h.db,
    w.ws,
    { name: 'Мария', email: `m@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
    now,
  );
  manager = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: managerId }, { name: 't' })).token);
  const marketerId = await addUser(
    h.db,
    w.ws,
    { name: 'Олег', email: `o@${w.ws}.test`, role: 'marketer', password: 'correct horse battery' },
    now,
  );
  marketer = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: marketerId }, { name: 't' })).token);

  const post = async (api: ApiClient, path: string, body: unknown) => {
    const r = await api.post(path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as number;
  };
  ids.romashka = await post(w.api, '/companies', { name: 'ООО «Ромашка»', inn: '7701234567', city: 'Москва' });
  ids.vasilek = await post(w.api, '/companies', { name: 'Василёк', inn: '5408765432' });
  ids.kozlova = await post(w.api, '/contacts', {
    name: 'Татьяна Козлова',
    company_id: ids.romashka,
    email: 'kozlova@romashka.ru',
    phone: '+7 (495) 123-45-67',
  });
  ids.petrov = await post(w.api, '/contacts', { name: 'Пётр Петров', email: 'p@vasilek.ru', phone: '8 913 000-11-22' });
  ids.dealKozlova = await post(w.api, '/deals', { title: 'Внедрение CRM', company_id: ids.romashka, contact_id: ids.kozlova });
  ids.dealOther = await post(w.api, '/deals', { title: 'Поставка мебели', company_id: ids.vasilek });
  ids.dealMine = await post(w.api, '/deals', { title: 'Поставка 50% предоплата', owner_id: managerId });
  ids.lead = await post(w.api, '/leads', {
    title: 'Заявка с выставки',
    company_name: 'Ромашка-Юг',
    contact_name: 'Инна Козлова',
    phone: '+7 999 111 22 33',
  });
  // The same name in another workspace must never show.
  await post(other.api, '/companies', { name: 'ООО «Ромашка»', inn: '7701234568' });
});
afterAll(async () => {
  await h.close();
});

describe('global search', () => {
  it('finds a company by a part of its name and by its INN, ranked before weaker matches', async () => {
    const byName = await hits(w.api, 'ромашк');
    expect(byName[0]).toMatchObject({ kind: 'company', id: ids.romashka, matched: 'name', subtitle: '7701234567 · Москва' });
    const byInn = await hits(w.api, '770123');
    expect(keys(byInn)).toEqual([`company:${ids.romashka}`]);
    expect(byInn[0].matched).toBe('inn');
    // A whole INN of the other workspace finds nothing here.
    expect(await hits(w.api, '7701234568')).toEqual([]);
  });

  it('finds a deal by its contact’s name and by its company’s name, and a contact by e-mail and phone digits', async () => {
    const byContact = await hits(w.api, 'Козлова', '&kind=deal');
    expect(keys(byContact)).toEqual([`deal:${ids.dealKozlova}`]);
    expect(byContact[0]).toMatchObject({ matched: 'contact', title: 'Внедрение CRM' });
    expect(byContact[0].subtitle).toContain('Татьяна Козлова');
    expect(keys(await hits(w.api, 'Василёк', '&kind=deal'))).toEqual([`deal:${ids.dealOther}`]);
    expect(keys(await hits(w.api, 'kozlova@', '&kind=contact'))).toEqual([`contact:${ids.kozlova}`]);
    // Typed with other separators than stored: the digits are compared.
    expect(keys(await hits(w.api, '123 45 67', '&kind=contact'))).toEqual([`contact:${ids.kozlova}`]);
    expect(keys(await hits(w.api, '913-000', '&kind=contact'))).toEqual([`contact:${ids.petrov}`]);
  });

  it('finds another case ending of a name (stems and close words) and every kind at once', async () => {
    // «Козловой» is the genitive of «Козлова»: no substring match, found by word similarity.
    const all = await hits(w.api, 'Козловой');
    expect(keys(all)).toEqual(expect.arrayContaining([`contact:${ids.kozlova}`, `deal:${ids.dealKozlova}`, `lead:${ids.lead}`]));
    expect(keys(all)).not.toContain(`contact:${ids.petrov}`);
    // «поставки» → stem «постав»: both supply deals.
    expect(keys(await hits(w.api, 'поставки', '&kind=deal')).sort()).toEqual([`deal:${ids.dealOther}`, `deal:${ids.dealMine}`].sort());
  });

  it('takes LIKE wildcards literally', async () => {
    expect(keys(await hits(w.api, '50%', '&kind=deal'))).toEqual([`deal:${ids.dealMine}`]);
    // Only the title that holds a percent sign, not every deal.
    expect(keys(await hits(w.api, '%', '&kind=deal'))).toEqual([`deal:${ids.dealMine}`]);
    expect(await hits(w.api, '_', '&kind=company')).toEqual([]);
  });

  it('shows a manager only what they may see, and a marketer no kind their role cannot read', async () => {
    const mine = await hits(manager, 'поставка');
    expect(keys(mine)).toEqual([`deal:${ids.dealMine}`]);
    expect(await hits(manager, 'ромашка')).toEqual([]);
    const m = await hits(marketer, 'Козлова');
    expect(new Set(m.map((i) => i.kind))).toEqual(new Set(['deal', 'contact', 'lead']));
  });

  it('refuses an empty or oversize query naming the field, and honours the limit', async () => {
    const empty = await w.api.get('/search?q=%20');
    expect(empty.status).toBe(400);
    expect(JSON.stringify(empty.body)).toContain('q');
    expect((await w.api.get(`/search?q=${'я'.repeat(201)}`)).status).toBe(400);
    expect((await w.api.get('/search?q=a&limit=0')).status).toBe(400);
    expect((await hits(w.api, 'о', '&limit=1')).filter((i) => i.kind === 'company').length).toBeLessThanOrEqual(1);
  });
});
