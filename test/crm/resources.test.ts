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

describe('create / read / update / list for every record type', () => {
  it('companies, contacts, leads, activities, tasks round-trip through the API', async () => {
    const company = await w.api.post('/companies', { name: 'ООО «Ромашка»', inn: '7701234567', city: 'Москва', employees: 120 });
    expect(company.status).toBe(201);
    expect(company.body).toMatchObject({
      name: 'ООО «Ромашка»',
      inn: '7701234567',
      city: 'Москва',
      employees: 120,
      version: 1,
      custom: {},
    });
    const contact = await w.api.post('/contacts', {
      name: 'Ирина Петрова',
      company_id: company.body.id,
      email: 'irina@romashka.ru',
      is_decision_maker: true,
    });
    expect(contact.status).toBe(201);
    const channel = await w.api.post('/channels', { name: 'Выставки', kind: 'outbound' });
    expect(channel.status).toBe(201);
    const lead = await w.api.post('/leads', {
      title: 'Заявка с выставки',
      channel_id: channel.body.id,
      fit_score: 80,
      company_id: company.body.id,
    });
    expect(lead.status).toBe(201);
    expect(lead.body).toMatchObject({ status: 'new', fit_score: 80, channel_id: channel.body.id });
    const deal = await w.api.post('/deals', {
      title: 'Внедрение',
      amount_minor: 150_000_00,
      company_id: company.body.id,
      contact_id: contact.body.id,
      lead_id: lead.body.id,
    });
    expect(deal.status).toBe(201);
    const activity = await w.api.post('/activities', {
      type: 'meeting',
      outcome: 'accepted',
      at: '2025-03-04T10:00:00+03:00',
      deal_id: deal.body.id,
    });
    expect(activity.status).toBe(201);
    expect(activity.body).toMatchObject({ type: 'meeting', outcome: 'accepted', at: '2025-03-04T07:00:00.000Z', owner_id: w.adminId });
    const task = await w.api.post('/tasks', {
      title: 'Отправить КП',
      type: 'proposal',
      deal_id: deal.body.id,
      due_at: '2025-03-05T12:00:00Z',
    });
    expect(task.status).toBe(201);
    expect(task.body).toMatchObject({ status: 'open', done_at: null, owner_id: w.adminId });

    for (const [path, rec] of [
      ['companies', company],
      ['contacts', contact],
      ['leads', lead],
      ['deals', deal],
      ['activities', activity],
      ['tasks', task],
    ] as const) {
      const read = await w.api.get(`/${path}/${rec.body.id}`);
      expect(read.status, path).toBe(200);
      expect(read.body, path).toEqual(rec.body);
      const list = await w.api.get(`/${path}?id=${rec.body.id}`);
      expect(list.body.items, path).toEqual([rec.body]);
    }

    h.clock.advance(3600_000);
    const done = await w.api.patch(`/tasks/${task.body.id}`, { version: 1, status: 'done' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'done', done_at: '2025-03-03T10:00:00.000Z', version: 2 });
    const renamed = await w.api.patch(`/companies/${company.body.id}`, { version: 1, name: 'АО «Ромашка»', employees: null });
    expect(renamed.body).toMatchObject({ name: 'АО «Ромашка»', employees: null, version: 2 });
  });

  it('pipelines come with ordered stages; new stages keep open before won and lost', async () => {
    const p = await w.api.post('/pipelines', {
      name: 'Тендеры',
      stages: [
        { name: 'Проигран', kind: 'lost' },
        { name: 'Заявка', kind: 'open' },
        { name: 'Выигран', kind: 'won' },
        { name: 'Подача', kind: 'open' },
      ],
    });
    expect(p.status).toBe(201);
    expect(p.body.stages.map((s: { name: string; position: number }) => [s.name, s.position])).toEqual([
      ['Заявка', 1],
      ['Подача', 2],
      ['Выигран', 3],
      ['Проигран', 4],
    ]);
    const added = await w.api.post('/stages', { pipeline_id: p.body.id, name: 'Квалификация', kind: 'open', position: 2 });
    expect(added.status).toBe(201);
    const after = await w.api.get(`/pipelines/${p.body.id}`);
    expect(after.body.stages.map((s: { name: string }) => s.name)).toEqual(['Заявка', 'Квалификация', 'Подача', 'Выигран', 'Проигран']);
    const late = await w.api.post('/stages', { pipeline_id: p.body.id, name: 'Переговоры', kind: 'open' });
    expect(late.body.position).toBe(4);
    const list = await w.api.get(`/stages?pipeline_id=${p.body.id}`);
    expect(list.body.items.map((s: { name: string }) => s.name)).toEqual([
      'Заявка',
      'Квалификация',
      'Подача',
      'Переговоры',
      'Выигран',
      'Проигран',
    ]);
    // A stage no deal has entered may still change its kind; once one has, the kind stays.
    const kind = await w.api.patch(`/stages/${late.body.id}`, { version: late.body.version, kind: 'won' });
    expect(kind.status).toBe(200);
    expect(kind.body).toMatchObject({ kind: 'won', version: late.body.version + 1 });
    const deal = await w.api.post('/deals', { title: 'Через этап', pipeline_id: p.body.id, stage_id: added.body.id });
    expect(deal.status).toBe(201);
    const fixed = await w.api.patch(`/stages/${added.body.id}`, { version: added.body.version, kind: 'won' });
    expect(fixed.status).toBe(400);
    expect(fixed.body.error.fields[0]).toMatchObject({ field: 'kind', code: 'immutable' });
    const noWon = await w.api.post('/pipelines', {
      name: 'Плохая',
      stages: [
        { name: 'A', kind: 'open' },
        { name: 'B', kind: 'open' },
        { name: 'C', kind: 'lost' },
      ],
    });
    expect(noWon.status).toBe(400);
    expect(noWon.body.error.fields).toEqual([{ field: 'stages', message: 'needs a won stage', code: 'invalid' }]);
    const renamed = await w.api.patch(`/pipelines/${p.body.id}`, { version: 1, name: 'Госзакупки' });
    expect(renamed.body).toMatchObject({ name: 'Госзакупки', version: 2 });
  });

  it('custom fields are typed, grouped in blocks, and validated on write', async () => {
    const block = await w.api.post('/field-blocks', {
      object_type: 'deal',
      name_ru: 'Квалификация',
      name_en: 'Qualification',
      position: 1,
      pinned: true,
    });
    expect(block.status).toBe(201);
    const defs = [
      { key: 'budget', type: 'money', label_ru: 'Бюджет', label_en: 'Budget' },
      { key: 'decision_date', type: 'date', label_ru: 'Дата решения', label_en: 'Decision date' },
      { key: 'seats', type: 'number', label_ru: 'Рабочих мест', label_en: 'Seats' },
      { key: 'note', type: 'text', label_ru: 'Заметка', label_en: 'Note' },
      {
        key: 'temperature',
        type: 'choice',
        label_ru: 'Температура',
        label_en: 'Temperature',
        choices: [
          { value: 'hot', label_ru: 'Горячая', label_en: 'Hot' },
          { value: 'cold', label_ru: 'Холодная', label_en: 'Cold' },
        ],
      },
    ];
    for (const d of defs)
      expect((await w.api.post('/custom-fields', { object_type: 'deal', block_id: block.body.id, ...d })).status).toBe(201);
    const choiceless = await w.api.post('/custom-fields', { object_type: 'deal', key: 'x', type: 'choice', label_ru: 'X', label_en: 'X' });
    expect(choiceless.status).toBe(400);
    expect(choiceless.body.error.fields[0].field).toBe('choices');
    const dupKey = await w.api.post('/custom-fields', { object_type: 'deal', key: 'budget', type: 'text', label_ru: 'Б', label_en: 'B' });
    expect(dupKey.status).toBe(409);

    const deal = await w.api.post('/deals', {
      title: 'С полями',
      custom: { budget: 500_000_00, decision_date: '2025-04-30', seats: 40, note: 'важно', temperature: 'hot' },
    });
    expect(deal.status).toBe(201);
    expect(deal.body.custom).toEqual({ budget: 500_000_00, decision_date: '2025-04-30', seats: 40, note: 'важно', temperature: 'hot' });
    const bad = await w.api.post('/deals', {
      title: 'Плохие поля',
      custom: { budget: 12.5, decision_date: '2025-02-30', seats: 'много', temperature: 'warm', unknown_field: 1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'custom.budget',
      'custom.decision_date',
      'custom.seats',
      'custom.temperature',
      'custom.unknown_field',
    ]);
    const patched = await w.api.patch(`/deals/${deal.body.id}`, { version: deal.body.version, custom: { note: null, seats: 41 } });
    expect(patched.body.custom).toEqual({ budget: 500_000_00, decision_date: '2025-04-30', seats: 41, temperature: 'hot' });
  });
});

describe('lists: filters, sorting and cursor pagination', () => {
  it('walks every page exactly once in the requested order, under ties and NULLs', async () => {
    const fresh = await seedWorkspace(h, 'Списки');
    const amounts = [500, 100, 300, 100, 900, 300, 100, 700, 200, 300, 0, 100];
    const cities = ['Казань', null, 'Москва', 'Казань', null, 'Москва', 'Омск', 'Казань', null, 'Омск', 'Москва', 'Казань'];
    for (const [i, a] of amounts.entries()) {
      expect(
        (await fresh.api.post('/companies', { name: `Компания ${String(i).padStart(2, '0')}`, employees: a, city: cities[i] })).status,
      ).toBe(201);
    }
    for (const sort of ['employees', '-employees', 'city', '-city', 'name', '-id']) {
      const seen: { id: number; employees: number; city: string | null; name: string }[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { status: number; body: { items: typeof seen; next_cursor: string | null } } = await fresh.api.get(
          `/companies?limit=5&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(res.status).toBe(200);
        seen.push(...res.body.items);
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor);
      expect(pages, sort).toBe(3);
      expect(new Set(seen.map((s) => s.id)).size, sort).toBe(12);
      const field = sort.replace('-', '') as 'employees' | 'city' | 'name' | 'id';
      const desc = sort.startsWith('-');
      const expected = [...seen].sort((a, b) => {
        const av = a[field];
        const bv = b[field];
        if (av === null && bv !== null) return 1;
        if (bv === null && av !== null) return -1;
        if (av !== bv) return (av! < bv! ? -1 : 1) * (desc ? -1 : 1);
        return (a.id - b.id) * (desc ? -1 : 1);
      });
      expect(
        seen.map((s) => s.id),
        sort,
      ).toEqual(expected.map((s) => s.id));
    }
    const filtered = await fresh.api.get('/companies?employees_min=200&employees_max=700&city=Москва,Омск&sort=employees');
    expect(filtered.body.items.map((c: { employees: number; city: string }) => [c.employees, c.city])).toEqual([
      [300, 'Москва'],
      [300, 'Москва'],
      [300, 'Омск'],
    ]);
    const search = await fresh.api.get('/companies?q=ПАНИЯ 0');
    expect(search.body.items).toHaveLength(10);
    const percent = await fresh.api.get('/companies?q=%25');
    expect(percent.body.items).toEqual([]);
  });

  it('filters deals by status, owner, stage and time windows (half-open)', async () => {
    const fresh = await seedWorkspace(h, 'Фильтры');
    const a = await fresh.api.post('/deals', { title: 'A', amount_minor: 100 });
    h.clock.advance(60_000);
    const b = await fresh.api.post('/deals', { title: 'B', amount_minor: 200, stage_id: fresh.stage('Встреча').id });
    const c = await fresh.api.post('/deals', { title: 'C', amount_minor: 300, stage_id: fresh.stage('Успешно реализовано').id });
    expect(c.body).toMatchObject({ status: 'won', closed_at: c.body.created_at });
    const open = await fresh.api.get('/deals?status=open&sort=amount_minor');
    expect(open.body.items.map((d: { title: string }) => d.title)).toEqual(['A', 'B']);
    const byStage = await fresh.api.get(`/deals?stage_id=${fresh.stage('Встреча').id}`);
    expect(byStage.body.items.map((d: { id: number }) => d.id)).toEqual([b.body.id]);
    const window = await fresh.api.get(
      `/deals?created_at_from=${encodeURIComponent(a.body.created_at)}&created_at_to=${encodeURIComponent(b.body.created_at)}`,
    );
    expect(window.body.items.map((d: { id: number }) => d.id)).toEqual([a.body.id]);
    const mine = await fresh.api.get(`/deals?owner_id=${fresh.adminId}&amount_minor_min=150`);
    expect(mine.body.items.map((d: { title: string }) => d.title).sort()).toEqual(['B', 'C']);
    const badCursor = await fresh.api.get('/deals?cursor=not-a-cursor');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.fields[0].field).toBe('cursor');
    const badIds = await fresh.api.get('/deals?owner_id=abc');
    expect(badIds.status).toBe(400);
    expect(await countRows(h.db, 'deals', fresh.ws)).toBe(3);
  });
});
