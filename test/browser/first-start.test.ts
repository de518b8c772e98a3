import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { axeProblems } from '../support/axe.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * A team's first start without the demo, in Russian (issues 16 and 17): an empty server shows the
 * setup page; a weak password is said so as it is typed; the workspace, its admin and the B2B
 * standard are created and the admin is in the app. The admin adds a manager on the team page and
 * copies the invitation link; the manager opens it in another browser, sets a password and is
 * signed in. The admin then imports an export through the import screen: a check without writing,
 * then the import, whose deals are on the list. axe-core on each screen.
 */
let h: Harness;
let browser: Browser;
const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `first-start-${name}.png`) });
const BUNDLE = join(import.meta.dirname, '../../examples/bundle');

beforeAll(async () => {
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: new Date() });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('first start', () => {
  it('sets up a workspace, invites a manager, imports an export', async () => {
    const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1440, height: 900 }, timezoneId: 'Europe/Moscow' });
    const page = await context.newPage();
    await page.goto(h.url);
    await page.getByRole('heading', { name: 'Добро пожаловать в Voronka' }).waitFor();
    expect(await axeProblems(page)).toEqual([]);

    await page.getByLabel('Название пространства').fill('ООО «Вектор»');
    await page.getByLabel('Имя и фамилия').fill('Ольга Иванова');
    await page.getByLabel('E-mail').fill('olga@vector.ru');
    await page.getByLabel('Пароль', { exact: true }).fill('olga1234567');
    const strength = page.getByTestId('password-strength');
    await strength.getByText(/^Слабый пароль: /).waitFor();
    await page.getByLabel('Пароль', { exact: true }).fill('сосна-ракета-облако-17');
    await strength.getByText('Надёжный пароль').waitFor();
    expect(await page.getByLabel('Часовой пояс').inputValue()).toBe('Europe/Moscow');
    expect(await page.getByRole('radio', { name: /Стандарт B2B-продаж на русском/ }).isChecked()).toBe(true);
    await shot(page, 'setup');
    await page.getByRole('button', { name: 'Создать пространство' }).click();
    await page.getByRole('heading', { name: 'Мои задачи' }).waitFor();
    const [ws] = await h.db.query<{ id: number; name: string }>(sql`select workspace_id as id, name from workspaces`);
    expect(ws.name).toBe('ООО «Вектор»');
    const stages = await h.db.query<{ name: string }>(sql`select name from stages where workspace_id = ${ws.id} order by position`);
    expect(stages.map((s) => s.name)).toEqual([
      'Новый лид',
      'Квалификация',
      'Встреча',
      'Демо',
      'КП отправлено',
      'Переговоры',
      'Договор',
      'Успешно реализовано',
      'Закрыто и не реализовано',
    ]);

    // The team page: a manager added, their link shown to copy.
    await page.getByTestId('nav-team').click();
    await page.getByRole('heading', { name: 'Команда' }).waitFor();
    await page.getByRole('button', { name: 'Добавить человека' }).click();
    const add = page.getByTestId('add-person');
    await add.getByLabel('Имя и фамилия').fill('Пётр Смирнов');
    await add.getByLabel('E-mail').fill('petr@vector.ru');
    await add.getByLabel('Команда').fill('Москва');
    expect(await add.getByLabel('Роль').inputValue()).toBe('manager');
    await add.getByRole('button', { name: 'Добавить и получить ссылку' }).click();
    const linkBox = page.getByTestId('invite-link');
    await linkBox.getByRole('heading', { name: 'Ссылка-приглашение: Пётр Смирнов' }).waitFor();
    const link = await linkBox.getByTestId('invite-link-value').inputValue();
    expect(link).toMatch(new RegExp(`^${h.url}/invite/vki_${ws.id}_[A-Za-z0-9_-]{43}$`));
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'team-link');
    await linkBox.getByRole('button', { name: 'Готово' }).click();
    await page.getByText('Пётр Смирнов').waitFor();
    const [petr] = await h.db.query<{ role: string; team: string; password_hash: string | null }>(
      sql`select role, team, password_hash from users where email = 'petr@vector.ru'`,
    );
    expect(petr).toEqual({ role: 'manager', team: 'Москва', password_hash: null });

    // The manager, in a browser of their own, opens the link.
    const other = await browser.newContext({ locale: 'ru-RU', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phone = await other.newPage();
    await phone.goto(link);
    await phone.getByRole('heading', { name: 'Приглашение в Voronka' }).waitFor();
    expect(await phone.getByText(/Пётр Смирнов, вас пригласили в пространство «ООО «Вектор»»/).count()).toBe(1);
    await phone.getByLabel('Пароль', { exact: true }).fill('зелёный-трамвай-88-вечер');
    await phone.getByLabel('Пароль ещё раз').fill('зелёный-трамвай-88-вечер');
    expect(await axeProblems(phone)).toEqual([]);
    await shot(phone, 'invite-phone');
    await phone.getByRole('button', { name: 'Задать пароль и войти' }).click();
    await phone.getByRole('heading', { name: 'Мои задачи' }).waitFor();
    expect(new URL(phone.url()).pathname).not.toMatch(/^\/invite/);
    const [used] = await h.db.query<{ n: number }>(sql`select count(*)::int as n from invitations where used_at is not null`);
    expect(used.n).toBe(1);
    await other.close();

    // The import screen: a check writes nothing, the import writes the deals.
    await page.getByTestId('nav-import').click();
    await page.getByRole('heading', { name: 'Импорт' }).waitFor();
    await page.getByLabel('Файлы').setInputFiles(['pipeline.json', 'deals.csv', 'stage_events.csv'].map((f) => join(BUNDLE, f)));
    await page.getByText('Нужны: pipeline.json, deals.csv, stage_events.csv').waitFor();
    await page.getByRole('button', { name: 'Проверить без записи' }).click();
    const report = page.getByTestId('import-report');
    await report.getByText('Проверка прошла: так будет после импорта. Ничего не записано.').waitFor();
    expect(await report.locator('.field-row', { hasText: 'Сделок создано' }).locator('dd').textContent()).toBe('8');
    const count = async () =>
      (await h.db.query<{ n: number }>(sql`select count(*)::int as n from deals where workspace_id = ${ws.id}`))[0].n;
    expect(await count()).toBe(0);
    await shot(page, 'import-check');
    await page.getByRole('button', { name: 'Импортировать' }).click();
    await report.getByText(/^Импорт завершён за \d+,\d с\.$/).waitFor();
    expect(await count()).toBe(8);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'import-done');
    await report.getByRole('link', { name: 'Открыть сделки' }).click();
    await page.getByTestId('deals-table').locator('tbody tr').nth(7).waitFor();
    expect(await page.getByTestId('deals-table').locator('tbody tr').count()).toBe(8);
    await context.close();
  });
});
