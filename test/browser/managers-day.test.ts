import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { axeProblems } from '../support/axe.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { openTodaysDemo } from '../support/demo-db.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * A manager's day (issue 16, "Checks"), in Russian, in one scenario: Мария Кузнецова (a manager)
 * creates a company with its INN, a contact of it and a lead from the header's "+"; converts the
 * lead into a deal from its card; logs a call; adds a task and completes it on «Мои задачи»; types
 * the amount «1 234 567,89» on the card and sees it with kopecks; her colleague Ольга Смирнова
 * (head of sales, a second browser) changes the amount first, so Мария's stale edit says who
 * changed what and the reload keeps her typed value; Ctrl+K finds the deal by the contact's name
 * and the company by its INN; Ольга hands three deals to Мария from the deals list in bulk, and
 * Мария exports her list as CSV and reads the file; Ольга mentions Мария in a note and Мария's
 * bell counts it live. Then the essentials on a phone. Screenshots docs/screenshots/day-*.png;
 * axe-core on the deal card, the convert dialog and the list with its bulk bar.
 */
let h: Harness;
let browser: Browser;

beforeAll(async () => {
  // A real browser drops cookies that expire in the past: pin the clock to the real now.
  const now = new Date();
  const { db } = await openTodaysDemo(now);
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: now, db });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `day-${name}.png`) });
const plain = (s: string | null) =>
  (s ?? '')
    .replace(/[\u00a0\u202f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

const MARIA = 'kuznetsova@demo.voronka.local';
const OLGA = 'rop@demo.voronka.local';
const LAPTOP = { locale: 'ru-RU', viewport: { width: 1440, height: 900 } };
const PHONE = { locale: 'ru-RU', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

async function signIn(context: BrowserContext, email: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Пароль').fill('voronka-demo');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('heading', { name: 'Мои задачи' }).first().waitFor();
  return page;
}

async function openCreate(page: Page, item: string, tap = false) {
  if (tap) await page.getByTestId('create-fab').tap();
  else await page.getByTestId('create-button').click();
  await page.getByRole('menu', { name: 'Что создать' }).waitFor();
  const entry = page.getByRole('menuitem', { name: item, exact: true });
  if (tap) await entry.tap();
  else await entry.click();
  return page.getByTestId('create-dialog');
}

/** Chooses `name` in a reference picker (in `scope`) after typing `typed`. */
async function pick(scope: ReturnType<Page['getByTestId']>, label: string, typed: string, name: string) {
  const field = scope.getByRole('combobox', { name: label, exact: true });
  await field.fill(typed);
  await scope
    .getByRole('option', { name: new RegExp(name) })
    .first()
    .click();
  expect(await field.inputValue()).toBe(name);
}

/** Opens a card field's editor with its "Изменить" button. */
async function edit(page: Page, label: string, tap = false) {
  const button = page.getByRole('button', { name: `Изменить: ${label}`, exact: true });
  if (tap) await button.tap();
  else await button.click();
  return page.getByRole('textbox', { name: label, exact: true });
}

const unread = async (userId: number) =>
  Number(
    (await h.db.query<{ n: number }>(sql`select count(*)::int8 as n from notifications where user_id = ${userId} and read_at is null`))[0]
      .n,
  );

describe("a manager's day", () => {
  it('creates, converts, calls, completes a task, edits the amount through a conflict, searches, gets three deals, exports, is mentioned — and on a phone', async () => {
    const [maria] = await h.db.query<{ id: number; name: string }>(sql`select id, name from users where email = ${MARIA}`);
    const [olga] = await h.db.query<{ id: number; name: string }>(sql`select id, name from users where email = ${OLGA}`);
    expect([maria.name, olga.name]).toEqual(['Мария Кузнецова', 'Ольга Смирнова']);
    const INN = '7706543219';
    expect(await h.db.query(sql`select 1 from companies where inn = ${INN}`)).toEqual([]);
    expect(await h.db.query(sql`select 1 from contacts where name like '%Кречетов%'`)).toEqual([]);

    const mariaCtx = await browser.newContext({ ...LAPTOP, acceptDownloads: true });
    const olgaCtx = await browser.newContext(LAPTOP);
    const page = await signIn(mariaCtx, MARIA);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    // 1. A company with its INN, a contact of it and a lead, from the header's "+".
    let dialog = await openCreate(page, 'Компания');
    await dialog.getByLabel('Название').fill('ООО «Полярная звезда»');
    await dialog.getByLabel('ИНН', { exact: true }).fill(INN);
    await dialog.getByLabel('Город').fill('Архангельск');
    await shot(page, '01-company');
    await dialog.getByRole('button', { name: 'Создать' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Компания «ООО «Полярная звезда»» создана').waitFor();
    const [company] = await h.db.query<{ id: number; owner_id: number; city: string; inn: string }>(
      sql`select id, owner_id, city, inn from companies where name = 'ООО «Полярная звезда»'`,
    );
    expect(company).toMatchObject({ owner_id: maria.id, city: 'Архангельск', inn: INN });

    dialog = await openCreate(page, 'Контакт');
    await dialog.getByLabel('Имя и фамилия').fill('Всеволод Кречетов');
    await pick(dialog, 'Компания', 'Полярная', 'ООО «Полярная звезда»');
    await dialog.getByLabel('Должность').fill('Директор по закупкам');
    await dialog.getByLabel('E-mail').fill('v.krechetov@polar-star.ru');
    await dialog.getByLabel('Телефон').fill('+7 (8182) 65-43-21');
    await dialog.getByRole('button', { name: 'Создать' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Контакт «Всеволод Кречетов» создан').waitFor();
    const [contact] = await h.db.query<{ id: number; company_id: number; owner_id: number; position: string }>(
      sql`select id, company_id, owner_id, position from contacts where email = 'v.krechetov@polar-star.ru'`,
    );
    expect(contact).toMatchObject({ company_id: company.id, owner_id: maria.id, position: 'Директор по закупкам' });

    dialog = await openCreate(page, 'Лид');
    await dialog.getByLabel('Название лида').fill('Запрос с сайта: холодильные камеры');
    await dialog.getByLabel('Компания').fill('ООО «Полярная звезда»');
    await dialog.getByLabel('Контактное лицо').fill('Всеволод Кречетов');
    await dialog.getByLabel('Канал').selectOption({ label: 'Выставки и конференции' });
    await shot(page, '01-lead');
    await dialog.getByRole('button', { name: 'Создать' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Лид «Запрос с сайта: холодильные камеры» создан').waitFor();
    const [lead] = await h.db.query<{ id: number; status: string; owner_id: number }>(
      sql`select id, status, owner_id from leads where title = 'Запрос с сайта: холодильные камеры'`,
    );
    expect(lead).toMatchObject({ status: 'new', owner_id: maria.id });

    // 2. The lead into a deal from its card, with the company and the contact just made.
    await page.goto(`${h.url}/leads/${lead.id}`);
    await page.getByTestId('convert').click();
    const convert = page.getByTestId('convert-dialog');
    await convert.waitFor();
    expect(await convert.getByLabel('Название сделки').inputValue()).toBe('Запрос с сайта: холодильные камеры');
    await convert.getByLabel('Выбрать существующую').check();
    await pick(convert, 'Компания', 'Полярная', 'ООО «Полярная звезда»');
    await convert.getByLabel('Выбрать существующий').check();
    await pick(convert, 'Контакт', 'Кречетов', 'Всеволод Кречетов');
    await convert.getByLabel('Сумма').fill('2 500 000');
    await shot(page, '02-convert');
    expect(await axeProblems(page, ['[data-testid="convert-dialog"]'])).toEqual([]);
    await convert.getByTestId('convert-submit').click();
    await page.waitForURL(/\/deals\/\d+$/);
    const [converted] = await h.db.query<{ status: string; deal_id: number }>(sql`select status, deal_id from leads where id = ${lead.id}`);
    expect(converted.status).toBe('converted');
    const dealId = Number(converted.deal_id);
    expect(page.url()).toBe(`${h.url}/deals/${dealId}`);
    await page.getByTestId('deal-title').filter({ hasText: 'Запрос с сайта: холодильные камеры' }).waitFor();
    expect(plain(await page.getByTestId('value-company_id').textContent())).toBe('ООО «Полярная звезда»');
    expect(plain(await page.getByTestId('value-contact_id').textContent())).toBe('Всеволод Кречетов');
    expect(plain(await page.getByTestId('value-amount_minor').textContent())).toBe('2 500 000 ₽');
    const [deal0] = await h.db.query<{ company_id: number; contact_id: number; owner_id: number; amount_minor: number }>(
      sql`select company_id, contact_id, owner_id, amount_minor from deals where id = ${dealId}`,
    );
    expect(deal0).toEqual({ company_id: company.id, contact_id: contact.id, owner_id: maria.id, amount_minor: 250_000_000 });

    // 3. A call on the deal, from the card's form.
    const log = page.getByRole('form', { name: 'Записать звонок, встречу или письмо' });
    await log.getByLabel('Тип').selectOption({ label: 'Звонок' });
    await log.getByLabel('Результат').selectOption('held');
    await log.getByLabel('Тема').fill('Обсудили объём камер');
    await log.getByRole('button', { name: 'Записать звонок, встречу или письмо' }).click();
    const history = page.getByTestId('card-history');
    await history.locator('li.activity').filter({ hasText: 'Обсудили объём камер' }).waitFor();
    const calls = await h.db.query<{ type: string; outcome: string; owner_id: number; subject: string }>(
      sql`select type, outcome, owner_id, subject from activities where deal_id = ${dealId}`,
    );
    expect(calls).toEqual([{ type: 'call', outcome: 'held', owner_id: maria.id, subject: 'Обсудили объём камер' }]);
    expect(plain(await history.locator('li.activity').filter({ hasText: 'Обсудили объём камер' }).textContent())).toContain(
      'Звонок состоялся',
    );
    await page.getByTestId('create-toast').getByRole('button').last().click();
    await history.locator('li.activity').filter({ hasText: 'Обсудили объём камер' }).scrollIntoViewIfNeeded();
    await shot(page, '03-call');

    // 4. A task about the deal from the "+" (the deal filled in), completed on «Мои задачи».
    dialog = await openCreate(page, 'Задача');
    await dialog.getByLabel('Что сделать').fill('Отправить КП на камеры');
    expect(await dialog.getByRole('combobox', { name: 'Сделка' }).inputValue()).toBe('Запрос с сайта: холодильные камеры');
    await dialog.getByRole('button', { name: 'Создать' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Задача «Отправить КП на камеры» создана').waitFor();
    const [task] = await h.db.query<{ id: number; deal_id: number; owner_id: number; status: string }>(
      sql`select id, deal_id, owner_id, status from tasks where title = 'Отправить КП на камеры'`,
    );
    expect(task).toMatchObject({ deal_id: dealId, owner_id: maria.id, status: 'open' });
    await page.getByRole('link', { name: 'Мои задачи' }).first().click();
    await page.getByRole('heading', { name: 'Мои задачи' }).first().waitFor();
    const done = page.getByRole('button', { name: 'Выполнить: Отправить КП на камеры', exact: true });
    await done.waitFor();
    await shot(page, '04-task');
    await done.click();
    await done.waitFor({ state: 'detached' });
    const [closed] = await h.db.query<{ status: string }>(sql`select status from tasks where id = ${task.id}`);
    expect(closed.status).toBe('done');

    // 5. The amount edited in place, typed the Russian way, shown back with kopecks.
    await page.goto(`${h.url}/deals/${dealId}`);
    await page.getByTestId('deal-title').waitFor();
    let amount = await edit(page, 'Сумма');
    await amount.fill('1 234 567,89');
    await amount.press('Enter');
    await page.getByTestId('value-amount_minor').filter({ hasText: '1 234 567,89' }).waitFor();
    expect(plain(await page.getByTestId('value-amount_minor').textContent())).toBe('1 234 567,89 ₽');
    let [row] = await h.db.query<{ amount_minor: number; version: number }>(
      sql`select amount_minor, version from deals where id = ${dealId}`,
    );
    expect(Number(row.amount_minor)).toBe(123_456_789);
    await shot(page, '05-amount');
    expect(await axeProblems(page, ['.deal-card-page'])).toEqual([]);

    // 6. Ольга, in her own browser, changes the amount first; Мария's edit on the card she read is stale.
    const olgaPage = await signIn(olgaCtx, OLGA);
    await olgaPage.goto(`${h.url}/deals/${dealId}`);
    await olgaPage.getByTestId('deal-title').waitFor();
    const olgaAmount = await edit(olgaPage, 'Сумма');
    await olgaAmount.fill('1 300 000');
    await olgaAmount.press('Enter');
    await olgaPage.getByTestId('value-amount_minor').filter({ hasText: '1 300 000' }).waitFor();
    amount = await edit(page, 'Сумма');
    await amount.fill('1 250 000,50');
    await amount.press('Enter');
    const banner = page.getByTestId('conflict');
    await banner.waitFor();
    expect(plain(await banner.locator('p').textContent())).toBe(
      'Пока вы редактировали, Ольга Смирнова изменила: Сумма 1 234 567,89 → 1 300 000 ₽',
    );
    await shot(page, '06-conflict');
    await banner.getByRole('button', { name: 'Обновить карточку' }).click();
    const again = page.getByRole('textbox', { name: 'Сумма', exact: true });
    await again.waitFor();
    expect(await again.inputValue()).toBe('1 250 000,50');
    expect(plain(await page.getByTestId('conflict-kept').textContent())).toBe(
      'Ваше значение «1 250 000,50» осталось в поле: проверьте и сохраните ещё раз.',
    );
    await again.press('Enter');
    await page.getByTestId('value-amount_minor').filter({ hasText: '1 250 000,50' }).waitFor();
    [row] = await h.db.query<{ amount_minor: number; version: number }>(sql`select amount_minor, version from deals where id = ${dealId}`);
    expect(Number(row.amount_minor)).toBe(125_000_050);
    await history.locator('li.edit').first().filter({ hasText: 'Сумма: 1 300 000 → 1 250 000,50 ₽' }).waitFor();

    // 7. Ctrl+K: the deal by the contact's name, the company by its INN.
    await page.keyboard.press('Control+k');
    const palette = page.getByTestId('search-palette');
    await palette.waitFor();
    const field = palette.getByRole('combobox', { name: 'Поиск' });
    await field.pressSequentially('Кречетов', { delay: 20 });
    const dealHit = palette.getByTestId(`hit-deal-${dealId}`);
    await dealHit.waitFor();
    expect(await dealHit.locator('mark').allTextContents()).toEqual(['Кречетов']);
    await palette.getByTestId(`hit-contact-${contact.id}`).waitFor();
    await shot(page, '07-search-contact');
    await field.fill(INN);
    const companyHit = palette.getByTestId(`hit-company-${company.id}`);
    await companyHit.waitFor();
    expect(await companyHit.locator('.hit-why').textContent()).toBe('по ИНН');
    expect(await companyHit.locator('mark').allTextContents()).toEqual([INN]);
    await shot(page, '07-search-inn');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'ООО «Полярная звезда»' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/companies/${company.id}`);

    // 8. Ольга gives Мария three deals from the deals list in bulk (a manager assigns only to herself);
    // Мария exports her list as CSV and reads it.
    await olgaPage.goto(`${h.url}/deals`);
    const table = olgaPage.getByTestId('deals-table');
    await table.locator('tbody tr').nth(10).waitFor();
    const rows = table.locator('tbody tr');
    const handed: number[] = [];
    for (let i = 0; handed.length < 3; i++) {
      if (plain(await rows.nth(i).locator('td').nth(4).textContent()) === maria.name) continue;
      const box = rows.nth(i).locator('input[type=checkbox]');
      handed.push(Number((await box.getAttribute('data-testid'))?.replace('select-', '')));
      await box.check();
    }
    const bar = olgaPage.getByTestId('bulk-bar');
    await expect.poll(() => bar.getByRole('status').textContent()).toBe('Выбрано: 3 сделки');
    await bar.getByLabel('Новый ответственный').selectOption(String(maria.id));
    await shot(olgaPage, '08-bulk');
    expect(await axeProblems(olgaPage, ['.list-actions', '[data-testid="deals-table"]'])).toEqual([]);
    await bar.getByRole('button', { name: 'Назначить' }).click();
    await expect.poll(() => olgaPage.getByTestId('bulk-message').textContent()).toBe('Готово: изменено 3 записи');
    const owners = await h.db.query<{ owner_id: number }>(sql`select owner_id from deals where id = any(${handed}::int8[])`);
    expect(owners.map((o) => Number(o.owner_id))).toEqual([maria.id, maria.id, maria.id]);
    for (const id of handed)
      await expect.poll(() => table.locator(`tr:has([data-testid="select-${id}"]) td`).nth(4).textContent()).toBe(maria.name);

    await page.goto(`${h.url}/deals`);
    const mine = page.getByTestId('deals-table');
    for (const id of handed) await mine.getByTestId(`select-${id}`).waitFor();
    await page.locator('summary', { hasText: 'Выгрузить' }).click();
    await shot(page, '08-export');
    const download = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    const bytes = readFileSync(await (await download).path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('№;Название;Компания;Контакт;Этап;Статус;Ответственный;Сумма;Валюта;Регион;Создано;Закрыта');
    const expected = await h.db.query<{ id: number }>(sql`select id from deals where owner_id = ${maria.id} order by id`);
    const cells = lines.slice(1).map((l) => l.split(';'));
    expect(cells.map((c) => Number(c[0])).sort((a, b) => a - b)).toEqual(expected.map((e) => Number(e.id)));
    for (const c of cells) expect(c[6]).toBe(maria.name);
    const ours = cells.find((c) => Number(c[0]) === dealId);
    expect(ours?.slice(1, 4)).toEqual(['Запрос с сайта: холодильные камеры', 'ООО «Полярная звезда»', 'Всеволод Кречетов']);
    for (const id of handed) expect(cells.some((c) => Number(c[0]) === id)).toBe(true);

    // 9. Ольга mentions Мария in a note on the deal; Мария's bell counts it without a reload.
    const bell = page.getByTestId('notif-bell');
    await expect.poll(() => bell.getAttribute('data-live')).toBe('true');
    // The three deals handed over are three notifications already ("вам передана сделка"), live too.
    const before = await unread(maria.id);
    expect(before).toBe(3);
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('3 непрочитанных уведомления');
    await olgaPage.goto(`${h.url}/deals/${dealId}`);
    await olgaPage.getByTestId('note-text').fill('@Мария Кузнецова, клиент просит КП до пятницы');
    await olgaPage.getByRole('button', { name: 'Добавить заметку' }).click();
    await olgaPage.getByTestId('card-history').locator('mark.cf-mention').first().waitFor();
    await expect.poll(() => unread(maria.id)).toBe(before + 1);
    await expect.poll(() => page.getByTestId('notif-badge').textContent(), { timeout: 10_000 }).toBe(String(before + 1));
    const toast = page.getByTestId('notif-toast');
    await toast.waitFor();
    expect(plain(await toast.textContent())).toContain(
      'Ольга Смирнова упоминает вас в заметке к сделке «Запрос с сайта: холодильные камеры»',
    );
    await page.waitForTimeout(400); // the toast's fade-in
    await shot(page, '09-mention');
    await bell.click();
    const panel = page.getByTestId('notif-panel');
    await expect.poll(() => panel.locator('.notif-item.unread').count()).toBe(4);
    const items = (await panel.locator('.notif-item').allTextContents()).map(plain);
    expect(items[0]).toMatch(/^Ольга Смирнова упоминает вас в заметке к сделке «Запрос с сайта: холодильные камеры»/);
    const [t0, t1, t2] = await h.db.query<{ title: string }>(sql`select title from deals where id = any(${handed}::int8[]) order by id`);
    for (const t of [t0, t1, t2]) expect(items.some((i) => i.startsWith(`Ольга Смирнова: вам передана сделка «${t.title}»`))).toBe(true);
    expect(await axeProblems(page, ['.notif-wrap', '.topbar'])).toEqual([]);
    await shot(page, '09-bell');
    expect(errors).toEqual([]);
    await mariaCtx.close();

    // 10. On a phone: search, the "+", a card edit and the bell.
    const phoneCtx = await browser.newContext(PHONE);
    const phone = await signIn(phoneCtx, MARIA);
    await phone.getByTestId('search-fab').tap();
    const phonePalette = phone.getByTestId('search-palette');
    await phonePalette.getByRole('combobox', { name: 'Поиск' }).fill('Кречетов');
    const phoneHit = phonePalette.getByTestId(`hit-deal-${dealId}`);
    await phoneHit.waitFor();
    await shot(phone, '10-phone-search');
    await phoneHit.tap();
    await phone.getByTestId('deal-title').filter({ hasText: 'Запрос с сайта: холодильные камеры' }).waitFor();
    expect(plain(await phone.getByTestId('value-amount_minor').textContent())).toBe('1 250 000,50 ₽');
    const region = await edit(phone, 'Регион', true);
    await region.fill('Северо-Запад');
    await region.press('Enter');
    await phone.getByTestId('value-region').filter({ hasText: 'Северо-Запад' }).waitFor();
    const [regionRow] = await h.db.query<{ region: string }>(sql`select region from deals where id = ${dealId}`);
    expect(regionRow.region).toBe('Северо-Запад');
    await shot(phone, '10-phone-card');

    dialog = await openCreate(phone, 'Задача', true);
    await dialog.getByLabel('Что сделать').fill('Перезвонить Кречетову');
    expect(await dialog.getByRole('combobox', { name: 'Сделка' }).inputValue()).toBe('Запрос с сайта: холодильные камеры');
    await shot(phone, '10-phone-create');
    await dialog.getByRole('button', { name: 'Создать' }).tap();
    await dialog.waitFor({ state: 'detached' });
    const [phoneTask] = await h.db.query<{ deal_id: number; owner_id: number }>(
      sql`select deal_id, owner_id from tasks where title = 'Перезвонить Кречетову'`,
    );
    expect(phoneTask).toEqual({ deal_id: dealId, owner_id: maria.id });

    const phoneBell = phone.getByTestId('notif-bell');
    await expect.poll(() => phoneBell.getAttribute('data-live')).toBe('true');
    const beforePhone = await unread(maria.id);
    await olgaPage.getByTestId('note-text').fill('@Мария Кузнецова, договор подписан');
    await olgaPage.getByRole('button', { name: 'Добавить заметку' }).click();
    await expect.poll(() => phone.getByTestId('notif-badge').textContent(), { timeout: 10_000 }).toBe(String(beforePhone + 1));
    await phone.getByTestId('notif-toast').waitFor();
    await phone.waitForTimeout(400);
    await phone
      .getByTestId('notif-badge')
      .filter({ hasText: String(beforePhone + 1) })
      .waitFor();
    expect(await phoneBell.getAttribute('aria-label')).toBe(`${beforePhone + 1} непрочитанных уведомлений`);
    await phone.getByTestId('create-toast').getByRole('button').last().tap();
    await phoneBell.tap();
    await phone.getByTestId('notif-panel').locator('.notif-item.unread').filter({ hasText: 'упоминает вас' }).first().waitFor();
    await shot(phone, '10-phone-bell');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phoneCtx.close();
    await olgaCtx.close();
  }, 120_000);
});
