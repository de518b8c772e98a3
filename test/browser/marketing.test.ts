import { join } from 'node:path';
import iconv from 'iconv-lite';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../src/imports/bundle-import.ts';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { axeProblems } from '../support/axe.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { marketingBundle } from '../support/marketing-fixture.ts';

/**
 * A marketer's day in the app (issue 18), on the named marketing fixture (test/support): the
 * channels table with exact figures and the leads behind one, attribution and the deals behind it,
 * spend entered (and a negative one refused by its field) and uploaded as a Russian Excel CSV, the
 * ICP rules changed with the preview and saved as a new version, a lead's fit, journey and a new
 * touch; English; a phone. Screenshots for the README.
 */
let h: Harness;
let browser: Browser;
let ws: number;
const PERIOD = 'from=2025-01-01&to=2025-02-01&as_of=2025-03-01';
const plain = (s: string | null) => (s ?? '').replace(/[\u00a0\u202f]/g, ' ').trim();
const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: new Date() });
  await importBundle(h.db, marketingBundle(), { workspace: 'Маркетинг', now: h.clock.now() });
  const [w] = await h.db.query<{ workspace_id: number }>(`select workspace_id from workspaces where name = 'Маркетинг'`);
  ws = Number(w.workspace_id);
  await addUser(
    h.db,
    ws,
    { name: 'Ольга Маркетолог', email: 'olga@mkt.test', role: 'marketer', password: 'correct horse battery' },
    h.clock.now(),
  );
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function signIn(opts: { lang?: 'ru' | 'en'; viewport?: { width: number; height: number } } = {}) {
  const context = await browser.newContext({
    locale: opts.lang === 'en' ? 'en-US' : 'ru-RU',
    timezoneId: 'Europe/Moscow',
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    ...(opts.viewport && opts.viewport.width < 500 ? { isMobile: true, hasTouch: true } : {}),
  });
  const page = await context.newPage();
  await page.goto(h.url);
  await page.evaluate((lang) => localStorage.setItem('voronka.lang', lang), opts.lang ?? 'ru');
  await page.goto(h.url);
  await page.getByLabel(opts.lang === 'en' ? 'E-mail' : 'E-mail').fill('olga@mkt.test');
  await page.getByLabel(opts.lang === 'en' ? 'Password' : 'Пароль').fill('correct horse battery');
  await page.getByRole('button', { name: opts.lang === 'en' ? 'Sign in' : 'Войти' }).click();
  await page.getByRole('heading', { name: opts.lang === 'en' ? 'My tasks' : 'Мои задачи' }).waitFor();
  return { context, page };
}

const cell = async (page: Page, row: string, col: number) =>
  plain(await page.getByTestId(`channel-row-${row}`).locator('td').nth(col).textContent());

describe('marketing ↔ sales in the app (ru)', () => {
  it('the channels table gives the fixture’s figures, and a figure opens the leads behind it', async () => {
    const { context, page } = await signIn();
    await page.getByRole('link', { name: 'Маркетинг' }).first().click();
    await page.getByTestId('channels-dashboard').waitFor();
    await page.goto(`${h.url}/marketing?${PERIOD}`);
    await page.getByTestId('channels-table').waitFor();
    // leads, opportunities, lead→opp., won, won amount, spend, per lead, per opp., per win, ICP
    expect(await cell(page, 'Вебинары', 0)).toBe('3');
    expect(await cell(page, 'Вебинары', 1)).toBe('2');
    expect(await cell(page, 'Вебинары', 2)).toBe('66,7 %');
    expect(await cell(page, 'Вебинары', 4)).toBe('900 ₽');
    expect(await cell(page, 'Вебинары', 6)).toBe('200 ₽');
    expect(await cell(page, 'Выставки', 4)).toBe('1 400 ₽');
    expect(await cell(page, 'total', 0)).toBe('7');
    expect(await cell(page, 'total', 5)).toBe('2 100 ₽');
    expect(await cell(page, 'total', 9)).toBe('28,6 %');
    expect(plain(await page.getByTestId('mkt-icp-note').textContent())).toBe('Правила ICP v1, порог 50');
    await page.getByTestId('months-chart').locator('canvas').waitFor();
    await shot(page, 'marketing-channels-laptop');
    expect(await axeProblems(page)).toEqual([]);

    await page.getByRole('button', { name: 'Вебинары, Лиды: 3' }).click();
    const total = page.getByTestId('channel-leads-total');
    await total.waitFor();
    expect(await total.getAttribute('data-count')).toBe('3');
    expect(plain(await total.textContent())).toBe('3 лида · выигранных сделок: 1 на 900 ₽');
    await shot(page, 'marketing-leads-drill');
    await page.keyboard.press('Escape');

    const attribution = page.getByTestId('attribution-table');
    const webinars = attribution.locator('tr', { hasText: 'Вебинары' });
    expect((await webinars.locator('td').allTextContents()).map(plain)).toEqual(['900 ₽', '900 ₽', '600 ₽', '720 ₽']);
    await page.getByTestId('attribution-deals').click();
    const won = page.getByTestId('drill-total');
    await won.waitFor();
    expect(await won.getAttribute('data-count')).toBe('2');
    expect(await won.getAttribute('data-amount')).toBe('1400');
    await page.keyboard.press('Escape');
    await context.close();
  });

  it('enters spend, refuses a negative amount by its field, and uploads a Russian Excel CSV', async () => {
    const { context, page } = await signIn();
    await page.goto(`${h.url}/marketing/spend`);
    await page.getByTestId('spend-page').waitFor();
    await page.getByTestId('spend-channel').selectOption({ label: 'Сайт' });
    await page.getByTestId('spend-month').fill('2025-03');
    await page.getByTestId('spend-amount').fill('-5');
    await page.getByTestId('spend-save').click();
    await page.getByText('расход не может быть отрицательным: «-5»').waitFor();
    expect(await page.getByTestId('spend-amount').getAttribute('aria-invalid')).toBe('true');
    await page.getByTestId('spend-amount').fill('1 500,50');
    await page.getByTestId('spend-save').click();
    await page.getByTestId('spend-status').filter({ hasText: 'Сохранено' }).waitFor();
    await page.getByTestId('spend-file').setInputFiles({
      name: 'расходы.csv',
      mimeType: 'text/csv',
      buffer: iconv.encode('Канал;Месяц;Сумма\r\nВебинары;2025-03;700\r\nВыставки;2025-03;0\r\n', 'win1251'),
    });
    await page.getByTestId('spend-status').filter({ hasText: 'Загружено: новых 2, изменено 0, без изменений 0' }).waitFor();
    const rows = await h.db.query<{ name: string; amount_minor: number }>(
      `select c.name, s.amount_minor from marketing_spend s join channels c on c.workspace_id = s.workspace_id and c.id = s.channel_id
        where s.workspace_id = ${ws} and s.month = '2025-03-01' order by c.name`,
    );
    expect(rows.map((r) => [r.name, Number(r.amount_minor)])).toEqual([
      ['Вебинары', 70000],
      ['Выставки', 0],
      ['Сайт', 150050],
    ]);
    await page.getByLabel('С месяца').fill('2025-01');
    await page.getByTestId('spend-table').waitFor();
    await page.getByTestId('spend-total').filter({ hasText: '5 299,50 ₽' }).waitFor();
    await shot(page, 'marketing-spend-laptop');
    expect(await axeProblems(page)).toEqual([]);
    await context.close();
  });

  it('changes the ICP rules with a live preview, refuses points out of range, saves a version that re-scores', async () => {
    const { context, page } = await signIn();
    await page.goto(`${h.url}/marketing/icp`);
    await page.getByTestId('icp-rule-3').waitFor();
    await page.getByTestId('icp-matches-0').filter({ hasText: '3 лида' }).waitFor();
    await page.getByTestId('icp-preview').filter({ hasText: 'Подходят под ICP: 2 из 8 лидов' }).waitFor();
    await page.getByTestId('icp-points-3').fill('-101');
    await page.getByText('баллы -101 вне диапазона −100…100').waitFor();
    await page.getByTestId('icp-points-3').fill('-20');
    await page.getByTestId('icp-threshold').fill('30');
    await page.getByTestId('icp-preview').filter({ hasText: 'Подходят под ICP: 4 из 8 лидов' }).waitFor();
    await shot(page, 'marketing-icp-laptop');
    expect(await axeProblems(page)).toEqual([]);
    await page.getByTestId('icp-save').click();
    await page.getByTestId('icp-status').filter({ hasText: 'Сохранено: версия 2, пересчитано лидов: 8' }).waitFor();
    const [v] = await h.db.query<{ n: number; fit: number }>(
      `select (select count(*) from icp_rule_versions where workspace_id = ${ws}) as n,
              (select count(*) from leads where workspace_id = ${ws} and icp_version = 2 and fit_score >= 30) as fit`,
    );
    expect([Number(v.n), Number(v.fit)]).toEqual([2, 4]);
    await context.close();
  });

  it('shows a lead’s fit and journey, and adds a touch', async () => {
    const [lead] = await h.db.query<{ id: number }>(`select id from leads where workspace_id = ${ws} and external_id = 'L1_three_touches'`);
    const { context, page } = await signIn();
    await page.goto(`${h.url}/leads/${lead.id}`);
    await page.getByTestId('lead-fit').waitFor();
    expect(plain(await page.getByTestId('lead-fit-score').textContent())).toBe('Баллы: 70 при пороге 30');
    expect((await page.getByTestId('lead-fit-rules').locator('li').allTextContents()).map(plain)).toEqual([
      'Отрасль: Производство — +30',
      'Сотрудники: 100–1000 — +30',
      'Регион: Москва — +10',
    ]);
    expect(await page.getByTestId('journey-touch').count()).toBe(5);
    expect(await page.getByTestId('journey-stage').count()).toBe(3);
    await page.getByTestId('touch-add').click();
    await page.getByTestId('touch-channel').selectOption({ label: 'Сайт' });
    await page.getByTestId('touch-kind').selectOption({ label: 'Звонок' });
    await page.getByTestId('touch-at').fill('2025-01-20T10:00');
    await page.getByTestId('touch-save').click();
    await page.getByText('Касание добавлено').waitFor();
    await expect.poll(() => page.getByTestId('journey-touch').count()).toBe(6);
    const [t] = await h.db.query<{ at: Date; kind: string }>(
      `select at, kind from touches where workspace_id = ${ws} and lead_id = ${lead.id} and kind = 'call'`,
    );
    expect([t.at.toISOString(), t.kind]).toEqual(['2025-01-20T07:00:00.000Z', 'call']);
    await shot(page, 'marketing-lead-laptop');
    expect(await axeProblems(page)).toEqual([]);
    // The deal's card shows the journey of its three leads.
    await page.getByRole('link', { name: 'Открыть сделку' }).click();
    await page.getByTestId('journey').waitFor();
    await expect.poll(() => page.getByTestId('journey-lead').count()).toBe(3);
    expect(await page.getByTestId('journey-touch').count()).toBe(6);
    await context.close();
  });

  it('speaks English, and reads on a phone without sideways scroll', async () => {
    const en = await signIn({ lang: 'en' });
    await en.page.goto(`${h.url}/marketing?${PERIOD}`);
    await en.page.getByTestId('channels-table').waitFor();
    await en.page.getByRole('heading', { name: 'Marketing' }).waitFor();
    expect(plain(await en.page.getByTestId('channel-row-total').locator('th').textContent())).toBe('Total');
    expect(plain(await en.page.getByTestId('channel-row-Вебинары').locator('td').nth(4).textContent())).toBe('RUB 900');
    await shot(en.page, 'marketing-channels-en');
    await en.context.close();
    const phone = await signIn({ viewport: { width: 390, height: 844 } });
    await phone.page.goto(`${h.url}/marketing?${PERIOD}`);
    await phone.page.getByTestId('channels-table').waitFor();
    await phone.page.getByTestId('months-chart').locator('canvas').waitFor();
    const [scroll, width] = await phone.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(scroll).toBeLessThanOrEqual(width);
    await shot(phone.page, 'marketing-channels-phone');
    expect(await axeProblems(phone.page)).toEqual([]);
    await phone.context.close();
  });
});
