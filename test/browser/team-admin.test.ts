import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/demo/demo-plan.ts';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { axeProblems } from '../support/axe.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { openTodaysDemo } from '../support/demo-db.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * The team page's administration (issue 17), in Russian, over the demo: the teams with their leads
 * (and one without); a manager's access — a session and an API token, the token revoked, "sign out
 * everywhere" — and a password reset link, opened on a phone, whose page asks for a new password;
 * deactivating the manager offers the handover of their records with counts, and the open ones go
 * to the team lead; the page on a phone has no horizontal scroll. axe-core on each screen.
 */
let h: Harness;
let browser: Browser;
let ws: number;
const ids: Record<string, number> = {};
const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `team-${name}.png`) });
const signIn = async (page: Page, email: string, password = DEMO_PASSWORD) => {
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Пароль').fill(password);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('heading', { name: 'Мои задачи' }).waitFor();
};

beforeAll(async () => {
  const now = new Date();
  const { db } = await openTodaysDemo(now);
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: now, db });
  const users = await h.db.query<{ id: number; name: string; workspace_id: number }>(sql`select id, name, workspace_id from users`);
  for (const u of users) ids[u.name] = Number(u.id);
  ws = Number(users[0].workspace_id);
  // Two teams: Москва with its lead, Регионы without one.
  await h.db.query(sql`update users set team = 'Москва' where name in ('Алексей Воронцов', 'Мария Кузнецова', 'Игорь Новиков')`);
  await h.db.query(sql`update users set role = 'team_lead' where name = 'Алексей Воронцов'`);
  await h.db.query(sql`update users set team = 'Регионы' where name in ('Дмитрий Соколов', 'Екатерина Лебедева')`);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('team administration (ru)', () => {
  it('shows teams and leads, revokes access, resets a password by link, hands over on deactivation', async () => {
    const novikov = ids['Игорь Новиков'];
    // Игорь Новиков is signed in somewhere and has a script's token.
    const elsewhere = await browser.newContext({ locale: 'ru-RU' });
    await signIn(await elsewhere.newPage(), 'novikov@demo.voronka.local');
    await createApiToken(h.ctx, { workspaceId: ws, userId: novikov }, { name: 'Выгрузка в 1С', scopes: ['read'] });

    const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 800 }, timezoneId: 'Europe/Moscow' });
    const page = await context.newPage();
    await signIn(page, 'admin@demo.voronka.local');
    await page.getByTestId('nav-team').click();
    await page.getByRole('heading', { name: 'Команда', exact: true }).waitFor();
    const teams = page.getByTestId('teams');
    await teams.getByText('Руководитель: Алексей Воронцов').waitFor();
    expect(await teams.locator('li').allInnerTexts()).toEqual([
      'Москва\n3 человека\nРуководитель: Алексей Воронцов',
      'Регионы\n2 человека\nРуководителя нет — записи команды видят только РОП и администратор',
    ]);
    expect(await page.locator('main').textContent()).not.toMatch(/\busers\.[a-zA-Z]/);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'page');

    // Access: the session and the token, by keyboard.
    await page.getByRole('button', { name: 'Доступ: Игорь Новиков' }).focus();
    await page.keyboard.press('Enter');
    const access = page.getByTestId('user-access');
    await access.getByRole('heading', { name: 'Доступ: Игорь Новиков' }).waitFor();
    await access.getByTestId('sessions').locator('li').first().waitFor();
    expect(await access.getByTestId('sessions').locator('li').count()).toBe(1);
    expect(await access.getByTestId('tokens').innerText()).toMatch(/Выгрузка в 1С \(чтение\)[\s\S]*не использовался/);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'access');
    await access.getByRole('button', { name: 'Отозвать токен «Выгрузка в 1С»' }).click();
    await access.getByText('Токен «Выгрузка в 1С» отозван').waitFor();
    await access.getByText('API-токенов нет.').waitFor();
    await access.getByRole('button', { name: 'Выйти на всех устройствах' }).click();
    await access.getByText('Завершён 1 сеанс').waitFor();
    await access.getByText('Открытых сеансов нет.').waitFor();
    const [left] = await h.db.query<{ sessions: number; tokens: number }>(
      sql`select (select count(*) from sessions where user_id = ${novikov})::int8 as sessions,
                 (select count(*) from api_tokens where user_id = ${novikov} and revoked_at is null)::int8 as tokens`,
    );
    expect(left).toEqual({ sessions: 0, tokens: 0 });

    // A password reset by link, opened on a phone.
    await access.getByRole('button', { name: 'Сбросить пароль' }).click();
    const linkBox = page.getByTestId('invite-link');
    await linkBox.getByRole('heading', { name: 'Ссылка для сброса пароля: Игорь Новиков' }).waitFor();
    const link = await linkBox.getByTestId('invite-link-value').inputValue();
    expect(link).toMatch(new RegExp(`^${h.url}/invite/vki_${ws}_[A-Za-z0-9_-]{43}$`));
    expect(await linkBox.innerText()).toMatch(/до \d\d\.\d\d\.\d{4}, \d\d:\d\d/);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'reset-link');
    await linkBox.getByRole('button', { name: 'Готово' }).click();
    const phoneContext = await browser.newContext({
      locale: 'ru-RU',
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const phone = await phoneContext.newPage();
    await phone.goto(link);
    await phone.getByRole('heading', { name: 'Новый пароль' }).waitFor();
    expect(await phone.getByText(/Игорь Новиков, задайте новый пароль/).count()).toBe(1);
    await phone.getByLabel('Пароль', { exact: true }).fill('оранжевый-дирижабль-31-закат');
    await phone.getByLabel('Пароль ещё раз').fill('оранжевый-дирижабль-31-закат');
    expect(await axeProblems(phone)).toEqual([]);
    await shot(phone, 'reset-phone');
    await phone.getByRole('button', { name: 'Задать новый пароль и войти' }).click();
    await phone.getByRole('heading', { name: 'Мои задачи' }).waitFor();

    // Deactivating offers the handover; the lead of his team is proposed.
    const [before] = await h.db.query<{ open: number; closed: number }>(
      sql`select count(*) filter (where status = 'open')::int8 as open, count(*) filter (where status <> 'open')::int8 as closed
            from deals where owner_id = ${novikov}`,
    );
    expect(before.open).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Отключить: Игорь Новиков' }).click();
    const dialog = page.getByTestId('handover');
    await dialog.getByRole('heading', { name: 'Отключить: Игорь Новиков' }).waitFor();
    await dialog.getByTestId('owned-deals').waitFor();
    expect(await dialog.getByTestId('owned-deals').textContent()).toBe(
      `открытые: ${before.open} · всего: ${(before.open + before.closed).toLocaleString('ru-RU')}`,
    );
    expect(await dialog.getByLabel('Кому').inputValue()).toBe(String(ids['Алексей Воронцов']));
    expect(await dialog.getByLabel('Только открытые').isChecked()).toBe(true);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'handover');
    await dialog.getByRole('button', { name: 'Передать и отключить' }).click();
    await page.getByText(/^Новый ответственный — Алексей Воронцов: сделки \d+/).waitFor();
    await page.getByTestId(`user-${novikov}`).getByText('Отключён').waitFor();
    const [after] = await h.db.query<{ open: number; closed: number; active: boolean }>(
      sql`select count(*) filter (where owner_id = ${novikov} and status = 'open')::int8 as open,
                 count(*) filter (where owner_id = ${novikov} and status <> 'open')::int8 as closed,
                 (select active from users where id = ${novikov}) as active
            from deals`,
    );
    expect(after).toMatchObject({ open: 0, closed: before.closed, active: false });

    // The page on a phone: cards, no horizontal scroll.
    const small = await (
      await browser.newContext({ locale: 'ru-RU', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    ).newPage();
    await signIn(small, 'admin@demo.voronka.local');
    await small.goto(`${h.url}/team`);
    await small.getByTestId('teams').waitFor();
    expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await axeProblems(small)).toEqual([]);
    await shot(small, 'phone');
    await small.getByRole('button', { name: 'Передать клиентов и сделки: Мария Кузнецова' }).click();
    await small.getByTestId('handover').getByTestId('owned-deals').waitFor();
    expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(small, 'handover-phone');
    await small.keyboard.press('Escape');
    await small.getByTestId('handover').waitFor({ state: 'detached' });
  });
});
