/**
 * List filters and totals (issue 16): stage, status, owner, company, amount, whole days in the
 * workspace's time zone typed as дд.мм.гггг, custom fields of every type; the totals route counts
 * and sums exactly the rows the list shows, in the caller's scope; the export takes the same filters;
 * a bad value answers a bilingual 400 naming the parameter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let other: SeededWorkspace;
let manager: ApiClient;
let managerId: number;
const ids: Record<string, number> = {};

async function post(api: ApiClient, path: string, body: unknown): Promise<number> {
  const r = await api.post(path, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as number;
}
const titles = async (api: ApiClient, q: string) => {
  const r = await api.get(`/deals?sort=title&limit=500&${q}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body.items as { title: string }[]).map((d) => d.title);
};
const totals = async (api: ApiClient, path: string) => {
  const r = await api.get(path);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Фильтры');
  other = await seedWorkspace(h, 'Чужой');
  managerId = await addUser(
    h.db,
    w.ws,
    { name: 'Мария Иванова', email: `m@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
    h.clock.now(),
  );
  manager = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: managerId }, { name: 't' })).token);
  await post(w.api, '/custom-fields', {
    object_type: 'deal',
    key: 'budget',
    label_ru: 'Бюджет подтверждён',
    label_en: 'Budget confirmed',
    type: 'choice',
    choices: [
      { value: 'yes', label_ru: 'Да', label_en: 'Yes' },
      { value: 'no', label_ru: 'Нет', label_en: 'No' },
    ],
    position: 1,
  });
  await post(w.api, '/custom-fields', {
    object_type: 'deal',
    key: 'rival',
    label_ru: 'Конкурент',
    label_en: 'Rival',
    type: 'text',
    position: 2,
  });
  await post(w.api, '/custom-fields', {
    object_type: 'deal',
    key: 'seats',
    label_ru: 'Мест',
    label_en: 'Seats',
    type: 'number',
    position: 3,
  });
  await post(w.api, '/custom-fields', {
    object_type: 'deal',
    key: 'decision',
    label_ru: 'Дата решения',
    label_en: 'Decision',
    type: 'date',
    position: 4,
  });
  ids.romashka = await post(w.api, '/companies', { name: 'Ромашка', city: 'Москва', industry: 'Ритейл' });
  ids.vasilek = await post(w.api, '/companies', { name: 'Василёк', city: 'Казань', industry: 'Ритейл' });
  // 23:59 on 01.03.2025 in Moscow, then 00:00 on 02.03.2025: the day boundary is the workspace's.
  h.clock.set('2025-03-01T20:59:00Z');
  ids.a = await post(w.api, '/deals', {
    title: 'А: внедрение',
    company_id: ids.romashka,
    amount_minor: 123_456_789,
    custom: { budget: 'yes', rival: 'Битрикс24', seats: 40, decision: '2025-04-10' },
  });
  h.clock.set('2025-03-01T21:00:00Z');
  ids.b = await post(w.api, '/deals', {
    title: 'Б: поставка',
    company_id: ids.vasilek,
    stage_id: w.stage('Встреча').id,
    amount_minor: 50_000_000,
    custom: { budget: 'no', rival: 'amoCRM', seats: 10, decision: '2025-05-01' },
  });
  h.clock.set('2025-03-10T09:00:00Z');
  ids.c = await post(w.api, '/deals', {
    title: 'В: продление',
    company_id: ids.romashka,
    stage_id: w.stage('Встреча').id,
    owner_id: managerId,
    amount_minor: 7_000_050,
    custom: { budget: 'yes', seats: 5 },
  });
  ids.d = await post(w.api, '/deals', {
    title: 'Г: выиграна',
    stage_id: w.stage('Успешно реализовано').id,
    owner_id: managerId,
    amount_minor: 1_000_000,
  });
  h.clock.set('2025-03-31T20:59:59Z');
  ids.e = await post(w.api, '/deals', { title: 'Д: проиграна', stage_id: w.stage('Закрыто и не реализовано').id, amount_minor: 99 });
  await post(other.api, '/deals', { title: 'Чужая сделка', amount_minor: 100 });
  await post(w.api, '/leads', { title: 'Лид 1', status: 'working', fit_score: 80 });
  await post(w.api, '/leads', { title: 'Лид 2', status: 'new', fit_score: 30 });
});
afterAll(async () => {
  await h.close();
});

describe('deal filters', () => {
  it('filters by stage, status, owner, company and amount range', async () => {
    expect(await titles(w.api, `stage_id=${w.stage('Встреча').id}`)).toEqual(['Б: поставка', 'В: продление']);
    expect(await titles(w.api, 'status=won,lost')).toEqual(['Г: выиграна', 'Д: проиграна']);
    expect(await titles(w.api, `owner_id=${managerId}`)).toEqual(['В: продление', 'Г: выиграна']);
    expect(await titles(w.api, `company_id=${ids.romashka}`)).toEqual(['А: внедрение', 'В: продление']);
    expect(await titles(w.api, 'amount_minor_min=1000000&amount_minor_max=50000000')).toEqual([
      'Б: поставка',
      'В: продление',
      'Г: выиграна',
    ]);
    expect(await titles(w.api, `pipeline_id=${w.pipelineId}&status=open&amount_minor_min=60000000`)).toEqual(['А: внедрение']);
  });

  it('takes days as whole days of the workspace time zone, дд.мм.гггг or ISO', async () => {
    expect(await titles(w.api, 'created_at_from=01.03.2025&created_at_to=01.03.2025')).toEqual(['А: внедрение']);
    expect(await titles(w.api, 'created_at_from=2025-03-02&created_at_to=2025-03-10')).toEqual([
      'Б: поставка',
      'В: продление',
      'Г: выиграна',
    ]);
    // 31.03 23:59:59 in Moscow is still March.
    expect(await titles(w.api, 'created_at_from=11.03.2025&created_at_to=31.03.2025')).toEqual(['Д: проиграна']);
    expect(await titles(w.api, 'closed_at_from=10.03.2025&closed_at_to=10.03.2025')).toEqual(['Г: выиграна']);
    // An instant with its offset is taken as it is (to exclusive).
    expect(await titles(w.api, 'created_at_from=2025-03-01T21:00:00Z&created_at_to=2025-03-10T09:00:00Z')).toEqual(['Б: поставка']);
  });

  it('filters by custom fields: choice one of, text contains, number and date ranges', async () => {
    expect(await titles(w.api, 'custom.budget=yes')).toEqual(['А: внедрение', 'В: продление']);
    expect(await titles(w.api, 'custom.budget=yes,no')).toEqual(['А: внедрение', 'Б: поставка', 'В: продление']);
    expect(await titles(w.api, 'custom.rival=битрикс')).toEqual(['А: внедрение']);
    expect(await titles(w.api, 'custom.seats.min=10&custom.seats.max=40')).toEqual(['А: внедрение', 'Б: поставка']);
    expect(await titles(w.api, 'custom.decision.from=10.04.2025&custom.decision.to=2025-04-30')).toEqual(['А: внедрение']);
    expect(await titles(w.api, `custom.budget=yes&owner_id=${managerId}`)).toEqual(['В: продление']);
  });

  it('answers a bilingual 400 naming the parameter for a bad value', async () => {
    const cases: [string, string, RegExp][] = [
      ['created_at_from=31.02.2025', 'created_at_from', /дд\.мм\.гггг/],
      ['status=closed', 'status', /ожидалось одно из значений open, won, lost/],
      ['amount_minor_min=много', 'amount_minor_min', /./],
      ['custom.budget=maybe', 'custom.budget', /ожидалось одно из значений yes, no/],
      ['custom.seats.min=abc', 'custom.seats.min', /ожидалось число/],
      ['custom.seats=5', 'custom.seats', /фильтруется так/],
      ['custom.nope=1', 'custom.nope', /нет дополнительного поля/],
      ['custom.decision.from=2025-13-01', 'custom.decision.from', /ожидалась дата/],
      ['colour=red', 'colour', /неизвестное поле/],
    ];
    for (const [q, field, ru] of cases) {
      const en = await w.api.get(`/deals?${q}`);
      expect(en.status, q).toBe(400);
      expect(
        en.body.error.fields.map((f: { field: string }) => f.field),
        q,
      ).toEqual([field]);
      const r = await w.api.get(`/deals/totals?${q}`, { 'accept-language': 'ru' });
      expect(r.status, q).toBe(400);
      expect(r.body.error.fields[0].field, q).toBe(field);
      expect(r.body.error.fields[0].message, q).toMatch(ru);
    }
  });
});

describe('totals', () => {
  it('counts and sums the filtered deals, with counts per status', async () => {
    expect(await totals(w.api, '/deals/totals')).toEqual({
      count: 5,
      amount_minor: 123_456_789 + 50_000_000 + 7_000_050 + 1_000_000 + 99,
      currency: 'RUB',
      by_status: { open: 3, won: 1, lost: 1 },
    });
    expect(
      await totals(w.api, `/deals/totals?stage_id=${w.stage('Встреча').id}&created_at_from=02.03.2025&created_at_to=10.03.2025`),
    ).toEqual({
      count: 2,
      amount_minor: 57_000_050,
      currency: 'RUB',
      by_status: { open: 2, won: 0, lost: 0 },
    });
    expect(await totals(w.api, '/deals/totals?custom.budget=yes')).toEqual({
      count: 2,
      amount_minor: 130_456_839,
      currency: 'RUB',
      by_status: { open: 2, won: 0, lost: 0 },
    });
    expect(await totals(w.api, '/deals/totals?q=зzz')).toEqual({
      count: 0,
      amount_minor: 0,
      currency: 'RUB',
      by_status: { open: 0, won: 0, lost: 0 },
    });
  });

  it('counts in the caller’s scope: a manager sees his own, no workspace sees another’s', async () => {
    expect(await totals(manager, '/deals/totals')).toEqual({
      count: 2,
      amount_minor: 8_000_050,
      currency: 'RUB',
      by_status: { open: 1, won: 1, lost: 0 },
    });
    expect(await totals(manager, '/deals/totals?custom.budget=yes')).toEqual({
      count: 1,
      amount_minor: 7_000_050,
      currency: 'RUB',
      by_status: { open: 1, won: 0, lost: 0 },
    });
    expect((await manager.get('/deals?limit=500')).body.items.length).toBe(2);
    expect(await totals(other.api, '/deals/totals')).toEqual({
      count: 1,
      amount_minor: 100,
      currency: 'RUB',
      by_status: { open: 1, won: 0, lost: 0 },
    });
  });

  it('has totals for companies, contacts and leads', async () => {
    expect(await totals(w.api, '/companies/totals?industry=Ритейл&city=Москва')).toEqual({ count: 1 });
    expect(await totals(w.api, '/contacts/totals')).toEqual({ count: 0 });
    expect(await totals(w.api, '/leads/totals?fit_score_min=50')).toEqual({
      count: 1,
      by_status: { new: 0, working: 1, qualified: 0, disqualified: 0, converted: 0 },
    });
  });
});

describe('export', () => {
  it('exports the rows the filter selects, as many as the totals count', async () => {
    const q = `stage_id=${w.stage('Встреча').id}&custom.budget=yes,no&sort=title&lang=ru`;
    const r = await w.api.raw(`/export/deals.csv?${q}`, { method: 'GET' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-export-rows')).toBe('2');
    const lines = String(r.body).trim().split('\r\n');
    expect(lines.slice(1).map((l) => l.split(';')[1])).toEqual(['Б: поставка', 'В: продление']);
    expect((await totals(w.api, `/deals/totals?${q}`)).count).toBe(2);
    const badQ = await w.api.get('/export/deals.csv?custom.budget=maybe');
    expect(badQ.status).toBe(400);
  });
});
