import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/demo/demo-plan.ts';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { openTodaysDemo } from '../support/demo-db.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * Editing from the cards (issue 16), in Russian, in a real browser: a deal's amount typed as
 * «1 234 567,89» while Анна Смирнова, in a second browser, changed it to 1 200 000 — the card says
 * «Пока вы редактировали, Анна Смирнова изменила: Сумма 1 000 000 → 1 200 000 ₽», «Обновить
 * карточку» reloads it and keeps the typed value to save again; the history reads from → to. A
 * company's fields are edited with Enter and Escape, a bad INN is refused next to the field in
 * Russian, a custom date typed as дд.мм.гггг shows so; archive with undo, the archived banner and
 * restore; a note with a mention; a contact linked from the company card; a lead converted into a
 * deal, which opens. axe-core: no serious or critical problem on the cards.
 */
let h: Harness;
let browser: Browser;
let ws: number;
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

beforeAll(async () => {
  const now = new Date();
  const { db } = await openTodaysDemo(now);
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: now, db });
  const [w] = await h.db.query<{ workspace_id: number }>(sql`select workspace_id from users where email = 'rop@demo.voronka.local'`);
  ws = Number(w.workspace_id);
  await addUser(
    h.db,
    ws,
    { name: 'Анна Смирнова', email: 'anna@demo.voronka.local', role: 'head_of_sales', password: DEMO_PASSWORD },
    h.clock.now(),
  );
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
const plain = (s: string | null) =>
  (s ?? '')
    .replace(/[\u00a0\u202f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

async function signedIn(email: string, phone = false): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(
    phone
      ? { locale: 'ru-RU', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 }
      : { locale: 'ru-RU', viewport: { width: 1440, height: 900 } },
  );
  const page = await context.newPage();
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Пароль').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('navigation').first().waitFor();
  await page.waitForLoadState('networkidle');
  return { context, page };
}

/** A request from the signed-in page (its cookie and origin), for setting up data. */
async function call<T = any>(page: Page, method: string, path: string, body?: unknown): Promise<T> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const r = await fetch(`/api/v1${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const j = await r.json();
      if (!r.ok) throw new Error(`${r.status} ${JSON.stringify(j)}`);
      return j;
    },
    { method, path, body },
  );
}

async function axeProblems(page: Page, selectors: string[]) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(async (include) => {
    const axe = (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: any[] }> } }).axe;
    const r = await axe.run(
      { include: include.map((s) => [s]) },
      { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } },
    );
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n: any) => n.target.join(' ')) }));
  }, selectors);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Opens a field's editor with its "Изменить" button. */
async function edit(page: Page, label: string) {
  await page.getByRole('button', { name: `Изменить: ${label}`, exact: true }).click();
  return page.getByRole('textbox', { name: label, exact: true });
}

describe('cards', () => {
  it('a stale amount: who changed what, reload keeps the typed value, saved with kopecks, history from → to', async () => {
    const a = await signedIn('rop@demo.voronka.local');
    const b = await signedIn('anna@demo.voronka.local');
    const deal = await call(a.page, 'POST', '/deals', { title: 'Поставка станков', amount_minor: 100_000_000 });
    await a.page.goto(`${h.url}/deals/${deal.id}`);
    await b.page.goto(`${h.url}/deals/${deal.id}`);
    await a.page.getByTestId('deal-title').waitFor();
    await b.page.getByTestId('deal-title').waitFor();
    expect(plain(await a.page.getByTestId('value-amount_minor').textContent())).toBe('1 000 000 ₽');

    // Анна changes the amount first.
    const bInput = await edit(b.page, 'Сумма');
    await bInput.fill('1 200 000');
    await bInput.press('Enter');
    await b.page.getByTestId('value-amount_minor').filter({ hasText: '1 200 000' }).waitFor();

    // Ольга, on the card read before, types hers.
    const aInput = await edit(a.page, 'Сумма');
    await aInput.fill('1 234 567,89');
    await aInput.press('Enter');
    const banner = a.page.getByTestId('conflict');
    await banner.waitFor();
    expect(plain(await banner.locator('p').textContent())).toBe(
      'Пока вы редактировали, Анна Смирнова изменила: Сумма 1 000 000 → 1 200 000 ₽',
    );
    await shot(a.page, 'cards-conflict-laptop');
    await banner.getByRole('button', { name: 'Обновить карточку' }).click();
    // The card is read again; the typed value waits in the field.
    const again = a.page.getByRole('textbox', { name: 'Сумма', exact: true });
    await again.waitFor();
    expect(await again.inputValue()).toBe('1 234 567,89');
    expect(plain(await a.page.getByTestId('conflict-kept').textContent())).toBe(
      'Ваше значение «1 234 567,89» осталось в поле: проверьте и сохраните ещё раз.',
    );
    await again.press('Enter');
    await a.page.getByTestId('value-amount_minor').filter({ hasText: '1 234 567,89' }).waitFor();
    expect(plain(await a.page.getByTestId('value-amount_minor').textContent())).toBe('1 234 567,89 ₽');
    const [row] = await h.db.query<{ amount_minor: number; version: number }>(
      sql`select amount_minor, version from deals where workspace_id = ${ws} and id = ${deal.id}`,
    );
    expect(row).toEqual({ amount_minor: 123_456_789, version: 3 });

    // The history: from → to, formatted, the author on a line of their own.
    const history = a.page.getByTestId('card-history');
    // The server's clock stands still in this test, so every entry has one time: edits are newest first among themselves.
    const first = history.locator('li.edit').first();
    expect(plain(await first.locator('.cf-tl-user').textContent())).toBe('Ольга Смирнова');
    expect(plain(await first.locator('.cf-changes li').textContent())).toBe('Сумма: 1 200 000 → 1 234 567,89 ₽');
    const second = history.locator('li.edit').nth(1);
    expect(plain(await second.locator('.cf-changes li').textContent())).toBe('Сумма: 1 000 000 → 1 200 000 ₽');
    expect(plain(await second.locator('.cf-tl-user').textContent())).toBe('Анна Смирнова');

    // The owner, by name, from a select of the team.
    await a.page.getByRole('button', { name: 'Изменить: Ответственный', exact: true }).click();
    await a.page.getByRole('combobox', { name: 'Ответственный', exact: true }).selectOption({ label: 'Анна Смирнова' });
    await a.page.getByRole('combobox', { name: 'Ответственный', exact: true }).press('Enter');
    await a.page.getByTestId('value-owner_id').filter({ hasText: 'Анна Смирнова' }).waitFor();
    await history.locator('li.edit').first().filter({ hasText: 'Ответственный: Ольга Смирнова → Анна Смирнова' }).waitFor();

    await history.scrollIntoViewIfNeeded();
    await shot(a.page, 'cards-deal-history-laptop');
    // Deals are not archived: the card says how a deal leaves the pipeline.
    expect(plain(await a.page.locator('.cf-deal-hint').textContent())).toBe(
      'Сделки не архивируются: чтобы убрать сделку из воронки, переведите её в этап «проиграна» с причиной — так она останется в статистике воронки.',
    );
    expect(plain(await a.page.locator('#cf-close-h').textContent())).toBe('Убрать сделку из воронки');
    expect(await axeProblems(a.page, ['.deal-card-page'])).toEqual([]);
    await a.context.close();
    await b.context.close();
  });

  it('a company: Enter saves, Escape cancels, a bad INN refused in Russian, a custom date, a note, a contact linked, archive with undo', async () => {
    const { context, page } = await signedIn('rop@demo.voronka.local');
    await call(page, 'POST', '/custom-fields', {
      object_type: 'company',
      key: 'contract_date',
      label_ru: 'Дата договора',
      label_en: 'Contract date',
      type: 'date',
    });
    const company = await call(page, 'POST', '/companies', { name: 'ООО Карточка', city: 'Пермь' });
    const contact = await call(page, 'POST', '/contacts', { name: 'Олег Привязанный', position: 'Закупщик' });
    await page.goto(`${h.url}/companies/${company.id}`);
    await page.getByRole('heading', { name: 'ООО Карточка' }).waitFor();

    let city = await edit(page, 'Город');
    await city.fill('Казань');
    await city.press('Escape');
    expect(plain(await page.getByTestId('value-city').textContent())).toBe('Пермь');
    city = await edit(page, 'Город');
    await city.fill('Казань');
    await city.press('Enter');
    await page.getByTestId('value-city').filter({ hasText: 'Казань' }).waitFor();

    const inn = await edit(page, 'ИНН');
    await inn.fill('123');
    await inn.press('Enter');
    const error = page.locator('[data-field="inn"] .cf-error');
    await error.waitFor();
    expect(plain(await error.textContent())).toBe('ИНН — 10 цифр у организации или 12 у ИП');
    await inn.fill('7701234567');
    await inn.press('Enter');
    await page.getByTestId('value-inn').filter({ hasText: '7701234567' }).waitFor();

    const day = await edit(page, 'Дата договора');
    await day.fill('31.02.2027');
    await day.press('Enter');
    expect(plain(await page.locator('[data-field="custom.contract_date"] .cf-error').textContent())).toBe(
      'Дата в виде дд.мм.гггг, например 08.01.2027',
    );
    await day.fill('08.01.2027');
    await day.press('Enter');
    await page.getByTestId('value-custom.contract_date').filter({ hasText: '08.01.2027' }).waitFor();
    const [stored] = await h.db.query<{ custom: Record<string, unknown> }>(
      sql`select custom from companies where workspace_id = ${ws} and id = ${company.id}`,
    );
    expect(stored.custom).toEqual({ contract_date: '2027-01-08' });

    // A note with a mention.
    await page.getByTestId('note-text').fill('Договорились о встрече, @Анна Смирнова подготовит КП');
    await page.getByRole('button', { name: 'Добавить заметку' }).click();
    const note = page.getByTestId('card-history').locator('li.activity').first();
    await note.locator('mark.cf-mention').waitFor();
    expect(plain(await note.locator('mark.cf-mention').textContent())).toBe('@Анна Смирнова');
    expect(plain(await note.locator('.cf-tl-note').textContent())).toBe('Договорились о встрече, @Анна Смирнова подготовит КП');

    // An existing contact linked from the company card, then unlinked.
    const picker = page.getByRole('combobox', { name: 'Добавить существующий контакт' });
    await picker.fill('Привязанный');
    await page.getByRole('option', { name: /Олег Привязанный/ }).click();
    await page.getByRole('button', { name: 'Привязать' }).click();
    await page.getByTestId('company-contacts').getByRole('link', { name: 'Олег Привязанный' }).waitFor();
    const [linked] = await h.db.query<{ company_id: number }>(
      sql`select company_id from contacts where workspace_id = ${ws} and id = ${contact.id}`,
    );
    expect(Number(linked.company_id)).toBe(company.id);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'cards-company-laptop');
    expect(await axeProblems(page, ['.record-card-page'])).toEqual([]);
    await page.getByRole('button', { name: 'Отвязать: Олег Привязанный' }).click();
    await page.getByTestId('company-contacts').waitFor({ state: 'detached' });

    // Archive, undo; archive again, the banner, restore.
    await page.getByTestId('archive').click();
    const toast = page.getByTestId('undo-toast');
    await toast.waitFor();
    expect(plain(await toast.locator('span').first().textContent())).toBe('«ООО Карточка» в архиве');
    await page.getByTestId('archived-banner').waitFor();
    await toast.getByRole('button', { name: 'Отменить' }).click();
    await page.getByTestId('archived-banner').waitFor({ state: 'detached' });
    await page.getByTestId('archive').click();
    const banner = page.getByTestId('archived-banner');
    await banner.waitFor();
    const today = new Intl.DateTimeFormat('ru-RU', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'Europe/Moscow' }).format(
      new Date(),
    );
    expect(plain(await banner.innerText())).toBe(`В архиве с ${today} · Восстановить`);
    const listed = await call(page, 'GET', `/companies?q=${encodeURIComponent('Карточка')}`);
    expect(listed.items).toEqual([]);
    await shot(page, 'cards-company-archived-laptop');
    await banner.getByRole('button', { name: 'Восстановить' }).click();
    await banner.waitFor({ state: 'detached' });
    const audit = await h.db.query<{ action: string }>(
      sql`select action from audit_log where workspace_id = ${ws} and entity = 'companies' and entity_id = ${company.id} and action in ('archive', 'restore') order by id`,
    );
    expect(audit.map((a) => a.action)).toEqual(['archive', 'restore', 'archive', 'restore']);
    await context.close();
  });

  it('a lead converted into a deal from its card: the dialog prefilled from the lead, the new deal opens', async () => {
    const { context, page } = await signedIn('rop@demo.voronka.local');
    const lead = await call(page, 'POST', '/leads', {
      title: 'Заявка: линия розлива',
      company_name: 'ООО Розлив',
      contact_name: 'Инна Заявкина',
      email: 'inna@rozliv.test',
      phone: '+7 900 111-22-33',
    });
    await page.goto(`${h.url}/leads/${lead.id}`);
    await page.getByTestId('convert').click();
    const dialog = page.getByTestId('convert-dialog');
    await dialog.waitFor();
    expect(await dialog.getByLabel('Название компании').inputValue()).toBe('ООО Розлив');
    expect(await dialog.getByLabel('Имя контакта').inputValue()).toBe('Инна Заявкина');
    expect(await dialog.getByLabel('E-mail').inputValue()).toBe('inna@rozliv.test');
    expect(await dialog.getByLabel('Название сделки').inputValue()).toBe('Заявка: линия розлива');
    await dialog.getByLabel('Сумма').fill('2 500 000,50');
    await shot(page, 'cards-convert-laptop');
    expect(await axeProblems(page, ['[data-testid="convert-dialog"]'])).toEqual([]);
    await dialog.getByTestId('convert-submit').click();
    await page.waitForURL(/\/deals\/\d+$/);
    await page.getByTestId('deal-title').filter({ hasText: 'Заявка: линия розлива' }).waitFor();
    expect(plain(await page.getByTestId('value-amount_minor').textContent())).toBe('2 500 000,50 ₽');
    expect(plain(await page.getByTestId('value-company_id').textContent())).toBe('ООО Розлив');
    expect(plain(await page.getByTestId('value-contact_id').textContent())).toBe('Инна Заявкина');
    const [l] = await h.db.query<{ status: string; deal_id: number }>(
      sql`select status, deal_id from leads where workspace_id = ${ws} and id = ${lead.id}`,
    );
    expect(l.status).toBe('converted');
    expect(page.url()).toBe(`${h.url}/deals/${l.deal_id}`);
    await context.close();
  });

  it('on a phone (touch): the fields with their «Изменить», a field edited, the note box and the history', async () => {
    const { context, page } = await signedIn('rop@demo.voronka.local', true);
    const deal = await call(page, 'POST', '/deals', { title: 'Телефонная сделка', amount_minor: 75_000_050 });
    await page.goto(`${h.url}/deals/${deal.id}`);
    await page.getByTestId('deal-title').waitFor();
    expect(plain(await page.getByTestId('value-amount_minor').textContent())).toBe('750 000,50 ₽');
    const region = await edit(page, 'Регион');
    await region.fill('Урал');
    await region.press('Enter');
    await page.getByTestId('value-region').filter({ hasText: 'Урал' }).waitFor();
    expect(await page.getByRole('button', { name: 'Изменить: Сумма', exact: true }).evaluate((b) => getComputedStyle(b).opacity)).toBe('1');
    await shot(page, 'cards-deal-phone');
    const lead = await call(page, 'POST', '/leads', {
      title: 'Лид с телефона',
      company_name: 'ООО Мобильная',
      contact_name: 'Анна Смирнова',
    });
    await page.goto(`${h.url}/leads/${lead.id}`);
    await page.getByTestId('convert').waitFor();
    await shot(page, 'cards-lead-phone');
    await context.close();
  });
});
