/**
 * Export of lists and of the funnel drill-down (issue 16): CSV for a Russian (`;`, `1234,56`) or
 * English (`,`, `1234.56`) Excel, UTF-8 with a BOM, and XLSX read back with exceljs — names instead
 * of ids, formula-like text kept as text, the caller's scope, the list's filters, bad queries 400.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportListRows } from '../../src/crm/export.ts';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { tasks } from '../../src/process/tasks.ts';
import { type ApiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let other: SeededWorkspace;
let managerId: number;
const ids: Record<string, number> = {};
const EVIL = '=HYPERLINK("http://evil.example","Ромашка")';

/** The file's bytes as fetched (status, headers and body as a Buffer). */
async function file(api: ApiClient, path: string) {
  const r = await api.raw(path, { method: 'GET' });
  return r;
}
async function bytes(token: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${h.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}
let managerToken: string;

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Экспорт');
  other = await seedWorkspace(h, 'Чужой');
  const now = h.ctx.clock.now();
  managerId = await addUser(
    h.db,
    w.ws,
    { name: 'Мария Иванова', email: `m@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
    now,
  );
  managerToken = (await createApiToken(h.ctx, { workspaceId: w.ws, userId: managerId }, { name: 't' })).token;
  const post = async (path: string, body: unknown) => {
    const r = await w.api.post(path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as number;
  };
  ids.evil = await post('/companies', { name: EVIL, inn: '7701234567', city: 'Москва', employees: 12 });
  ids.vasilek = await post('/companies', { name: 'Василёк; и сыновья', city: 'Новосибирск' });
  ids.kozlova = await post('/contacts', { name: 'Татьяна Козлова', company_id: ids.evil, email: 'k@romashka.ru' });
  ids.crm = await post('/deals', { title: 'Внедрение CRM', company_id: ids.evil, contact_id: ids.kozlova, amount_minor: 123_456 });
  ids.mebel = await post('/deals', { title: 'Поставка "мебели"', company_id: ids.vasilek, amount_minor: 150_000_000, region: 'Сибирь' });
  ids.mine = await post('/deals', { title: 'Сделка Марии', owner_id: managerId, amount_minor: 5050 });
  await other.api.post('/deals', { title: 'Чужая сделка', amount_minor: 100 });
});
afterAll(async () => {
  await h.close();
});

describe('list export', () => {
  it('writes a Russian CSV: BOM, semicolons, decimal commas, names instead of ids, times on the workspace clock', async () => {
    const r = await bytes(w.token, '/export/deals.csv?sort=id&lang=ru');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="voronka-deals.csv"');
    expect(r.headers.get('x-export-rows')).toBe('3');
    expect(r.headers.get('x-export-truncated')).toBe('false');
    expect([...r.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    // T0 is 09:00 UTC: 12:00 in Moscow, the workspace's zone.
    expect(r.body.toString('utf8')).toBe(
      '\uFEFF№;Название;Компания;Контакт;Этап;Статус;Ответственный;Сумма;Валюта;Регион;Создано;Закрыта\r\n' +
        `${ids.crm};Внедрение CRM;"'=HYPERLINK(""http://evil.example"",""Ромашка"")";Татьяна Козлова;Новый лид;В работе;Админ;1234,56;RUB;;03.03.2025 12:00;\r\n` +
        `${ids.mebel};"Поставка ""мебели""";"Василёк; и сыновья";;Новый лид;В работе;Админ;1500000;RUB;Сибирь;03.03.2025 12:00;\r\n` +
        `${ids.mine};Сделка Марии;;;Новый лид;В работе;Мария Иванова;50,5;RUB;;03.03.2025 12:00;\r\n`,
    );
  });

  it('writes an English CSV with commas and decimal points', async () => {
    const r = await bytes(w.token, `/export/deals.csv?sort=id&id=${ids.crm},${ids.mine}&lang=en`);
    expect(r.body.toString('utf8')).toBe(
      '\uFEFFID,Title,Company,Contact,Stage,Status,Owner,Amount,Currency,Region,Created,Closed\r\n' +
        `${ids.crm},Внедрение CRM,"'=HYPERLINK(""http://evil.example"",""Ромашка"")",Татьяна Козлова,Новый лид,Open,Админ,1234.56,RUB,,2025-03-03 12:00,\r\n` +
        `${ids.mine},Сделка Марии,,,Новый лид,Open,Мария Иванова,50.5,RUB,,2025-03-03 12:00,\r\n`,
    );
  });

  it('writes an XLSX that reads back with numbers, dates, text and a header row in the language', async () => {
    const r = await bytes(w.token, '/export/deals.xlsx?sort=id&lang=ru');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.body as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0];
    expect(sheet.name).toBe('Сделки');
    expect(sheet.rowCount).toBe(4);
    expect(sheet.getRow(1).values).toEqual([
      undefined,
      '№',
      'Название',
      'Компания',
      'Контакт',
      'Этап',
      'Статус',
      'Ответственный',
      'Сумма',
      'Валюта',
      'Регион',
      'Создано',
      'Закрыта',
    ]);
    const crm = sheet.getRow(2);
    expect(crm.getCell(1).value).toBe(ids.crm);
    // The formula-like name is a string cell holding exactly the name, not a formula.
    expect(crm.getCell(3).type).toBe(ExcelJS.ValueType.String);
    expect(crm.getCell(3).value).toBe(EVIL);
    expect(crm.getCell(8).type).toBe(ExcelJS.ValueType.Number);
    expect(crm.getCell(8).value).toBe(1234.56);
    expect(crm.getCell(8).numFmt).toBe('#,##0.00');
    expect(crm.getCell(11).type).toBe(ExcelJS.ValueType.Date);
    // 12:00 on the workspace's clock (Moscow), as a spreadsheet date (no zone).
    expect((crm.getCell(11).value as Date).toISOString()).toBe('2025-03-03T12:00:00.000Z');
    expect(crm.getCell(11).numFmt).toBe('dd.mm.yyyy hh:mm');
    expect(crm.getCell(12).type).toBe(ExcelJS.ValueType.Null);
    expect(sheet.getRow(4).getCell(8).value).toBe(50.5);
    expect(sheet.getRow(3).getCell(8).value).toBe(1_500_000);
    expect(sheet.getColumn(2).width).toBe(40);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
  });

  it('a manager exports only their own deals', async () => {
    const r = await bytes(managerToken, '/export/deals.csv?lang=ru');
    expect(r.status).toBe(200);
    const lines = r.body.toString('utf8').split('\r\n');
    expect(lines.slice(1)).toEqual([`${ids.mine};Сделка Марии;;;Новый лид;В работе;Мария Иванова;50,5;RUB;;03.03.2025 12:00;`, '']);
  });

  it("applies the list's filters and sort", async () => {
    const r = await bytes(w.token, '/export/companies.csv?sort=-name&lang=ru');
    expect(r.body.toString('utf8')).toBe(
      '\uFEFF№;Название;ИНН;Отрасль;Город;Сотрудников;Телефон;Сайт;Ответственный;Создано\r\n' +
        `${ids.vasilek};"Василёк; и сыновья";;;Новосибирск;;;;;03.03.2025 12:00\r\n` +
        `${ids.evil};"'=HYPERLINK(""http://evil.example"",""Ромашка"")";7701234567;;Москва;12;;;;03.03.2025 12:00\r\n`,
    );
    const city = await bytes(w.token, `/export/companies.csv?city=${encodeURIComponent('Москва')}&lang=en`);
    expect(
      city.body
        .toString('utf8')
        .split('\r\n')
        .slice(1, -1)
        .map((l) => l.split(',')[0]),
    ).toEqual([String(ids.evil)]);
    const contacts = await bytes(w.token, '/export/contacts.csv?lang=ru');
    expect(contacts.body.toString('utf8').split('\r\n')[1]).toBe(
      `${ids.kozlova};Татьяна Козлова;"'=HYPERLINK(""http://evil.example"",""Ромашка"")";;k@romashka.ru;;Нет;;03.03.2025 12:00`,
    );
  });

  it('refuses a bad query with 400 naming the field, and an unknown one', async () => {
    const sort = await file(w.api, '/export/deals.csv?sort=nonsense');
    expect(sort.status).toBe(400);
    expect(sort.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['sort']);
    const unknown = await file(w.api, '/export/deals.xlsx?limit=5');
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.error)).toContain('limit');
    const amount = await file(w.api, '/export/deals.csv?amount_minor_min=abc');
    expect(amount.status).toBe(400);
    expect(amount.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['amount_minor_min']);
  });

  it('reads every page along the keyset, and stops at the bound saying so', async () => {
    for (let i = 0; i < 7; i++)
      expect((await w.api.post('/tasks', { title: `Задача ${i}`, type: 'call', deal_id: ids.crm })).status).toBe(201);
    const p = { workspaceId: w.ws, userId: w.adminId, role: 'admin' } as never;
    const all = await inWorkspace(h.db, w.ws, (tx) => exportListRows(tx, p, tasks, { sort: 'id' }, 100));
    expect(all.truncated).toBe(false);
    expect(all.rows.map((r) => r.title)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `Задача ${i}`));
    const cut = await inWorkspace(h.db, w.ws, (tx) => exportListRows(tx, p, tasks, { sort: 'id' }, 5));
    expect(cut.truncated).toBe(true);
    expect(cut.rows.length).toBe(5);
    const csv = await bytes(w.token, '/export/tasks.csv?sort=id&lang=ru');
    expect(csv.body.toString('utf8').split('\r\n')[1]).toMatch(/^\d+;Задача 0;Звонок;Открыта;Внедрение CRM;Админ;/);
  });
});

describe('drill-down export', () => {
  it('exports the deals behind a figure with the report’s scope', async () => {
    // A day after the deals were created: the report counts what had happened by its as-of (now at most).
    h.clock.set('2025-03-04T09:00:00Z');
    const q = 'metric=deals_created&from=2025-03-01&to=2025-04-01';
    const admin = await bytes(w.token, `/export/funnel-deals.csv?${q}&lang=ru`);
    expect(admin.status).toBe(200);
    const lines = admin.body.toString('utf8').split('\r\n');
    expect(lines[0]).toBe('\uFEFF№ сделки;Название;Сумма;Этап;Вход в этап;Дней в этапе;Ответственный;Сегмент;Канал;Регион;Создана');
    expect(
      lines
        .slice(1, -1)
        .map((l) => l.split(';')[0])
        .sort(),
    ).toEqual([ids.crm, ids.mebel, ids.mine].map(String).sort());
    expect(lines).toContain(`${ids.crm};Внедрение CRM;1234,56;Новый лид;03.03.2025 12:00;1;Админ;;;;03.03.2025 12:00`);
    const mine = await bytes(managerToken, `/export/funnel-deals.xlsx?${q}&lang=en`);
    expect(mine.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(mine.body as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0];
    expect(sheet.rowCount).toBe(2);
    expect(sheet.getRow(1).getCell(1).value).toBe('Deal ID');
    expect(sheet.getRow(2).getCell(1).value).toBe(ids.mine);
    expect(sheet.getRow(2).getCell(3).value).toBe(50.5);
    const bad = await file(w.api, '/export/funnel-deals.csv?metric=nope&from=2025-03-01&to=2025-04-01');
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['metric']);
  });
});
