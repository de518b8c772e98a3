import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { formatMinor } from '../../src/platform/money.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { openTodaysDemo } from '../support/demo-db.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * The lists a sales team works in (issue 16), in Russian, over the demo: filter the deals by a stage
 * and by days typed as дд.мм.гггг, read the exact count and sum of the filter («N сделок · S ₽», as
 * SQL counts them in Moscow's days), filter by a custom field, choose the columns and find them
 * after a reload, export the filtered list (the CSV has as many rows as the total), and the same
 * list on a phone as cards with the filters in a panel that fits and selection still possible.
 * axe-core finds no serious or critical problem on the list.
 */
let h: Harness;
let browser: Browser;
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
let ws: number;
let stageId: number;
const FROM = { iso: '', ru: '' };
const TO = { iso: '', ru: '' };

beforeAll(async () => {
  const now = new Date();
  const { db } = await openTodaysDemo(now);
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: now, db });
  [{ ws }] = await h.db.query<{ ws: number }>(sql`select workspace_id as ws from users where email = 'rop@demo.voronka.local'`);
  [{ id: stageId }] = await h.db.query<{ id: number }>(sql`select id from stages where workspace_id = ${ws} and name = 'Встреча'`);
  // The last 120 days in Moscow, as a person types them.
  const day = (shift: number) => {
    const d = new Date(Date.now() + shift * 86_400_000).toLocaleDateString('en-CA', { timeZone: 'Europe/Moscow' });
    return { iso: d, ru: `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}` };
  };
  Object.assign(FROM, day(-120));
  Object.assign(TO, day(0));
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

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

/** Russian plural of «сделка» for a count. */
const deals = (n: number) => {
  const form = new Intl.PluralRules('ru-RU').select(n);
  return `${n} ${form === 'one' ? 'сделка' : form === 'few' ? 'сделки' : 'сделок'}`;
};

/** The count and sum of the demo's deals by SQL, days in the workspace's zone. */
async function expected(extra = sql`true`) {
  const [r] = await h.db.query<{ n: number; s: number }>(sql`
    select count(*)::int8 as n, coalesce(sum(amount_minor), 0)::int8 as s from deals
     where workspace_id = ${ws} and stage_id = ${stageId}
       and created_at >= (${FROM.iso}::date)::timestamp at time zone 'Europe/Moscow'
       and created_at < (${TO.iso}::date + 1)::timestamp at time zone 'Europe/Moscow'
       and ${extra}`);
  return { n: Number(r.n), text: `${deals(Number(r.n))} · ${formatMinor(Number(r.s), 'RUB', 'ru-RU')}` };
}

async function signIn(page: Page) {
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill('rop@demo.voronka.local');
  await page.getByLabel('Пароль').fill('voronka-demo');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('heading', { name: 'Мои задачи' }).waitFor();
}

describe('lists (ru)', () => {
  it('filters by stage, days and a custom field, totals exactly, keeps chosen columns, exports the filter', async () => {
    const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${h.url}/deals`);
    await page.getByTestId('deals-table').waitFor();
    await page.getByTestId('filters-toggle').click();
    const panel = page.getByTestId('filter-panel');
    await panel.getByLabel('Этап').selectOption({ label: 'Встреча' });
    await panel.locator('[data-param="created_at_from"]').fill(FROM.ru);
    await panel.locator('[data-param="created_at_to"]').fill('31.02.2026');
    await panel.getByRole('button', { name: 'Применить' }).click();
    // A day that is none stays at its field, nothing applied.
    await expect.poll(() => panel.getByRole('alert').textContent()).toBe('«31.02.2026» — не дата: введите дд.мм.гггг');
    await panel.locator('[data-param="created_at_to"]').fill(TO.ru);
    await page.screenshot({ path: join(SCREENSHOTS, 'lists-filters.png') });
    await panel.getByRole('button', { name: 'Применить' }).click();
    const want = await expected();
    expect(want.n).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('list-total').textContent()).toBe(want.text);
    expect(new URL(page.url()).searchParams.get('created_at_from')).toBe(FROM.iso);
    expect(new URL(page.url()).searchParams.get('stage_id')).toBe(String(stageId));
    await expect.poll(() => page.getByTestId('deals-table').locator('tbody tr').count()).toBe(Math.min(want.n, 50));
    expect(await axeProblems(page, ['.filters', '.filter-sheet', '.list-totals', '.list-actions', '[data-testid="deals-table"]'])).toEqual(
      [],
    );

    // A custom field: «Бюджет подтверждён» = «Да».
    await panel.getByLabel('Бюджет подтверждён').selectOption({ label: 'Да' });
    await panel.getByRole('button', { name: 'Применить' }).click();
    const budget = await expected(sql`custom @> '{"budget_confirmed":"yes"}'::jsonb`);
    await expect.poll(() => page.getByTestId('list-total').textContent()).toBe(budget.text);
    expect(new URL(page.url()).searchParams.get('custom.budget_confirmed')).toBe('yes');

    // Columns: show the custom field, hide «На этапе», move the amount first; all there after a reload.
    await page.getByTestId('column-picker').locator('summary').click();
    const picker = page.getByTestId('column-picker');
    await picker.locator('[data-column="custom.budget_confirmed"]').check();
    await expect.poll(() => page.locator('th[data-column="custom.budget_confirmed"]').count()).toBe(1);
    await picker.locator('[data-column="age"]').uncheck();
    await expect.poll(() => page.locator('th[data-column="age"]').count()).toBe(0);
    for (let i = 0; i < 4; i++) {
      const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/me/preferences') && r.request().method() === 'PATCH');
      await picker.getByRole('button', { name: 'Выше: Сумма' }).click();
      await saved;
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'lists-columns.png') });
    const headers = ['Выбрать', 'Сумма', 'Название', 'Компания', 'Этап', 'Ответственный', 'Создана', 'Бюджет подтверждён'];
    await expect.poll(() => page.locator('[data-testid="deals-table"] thead th').allTextContents()).toEqual(headers);
    await page.reload();
    await page.getByTestId('deals-table').waitFor();
    await expect.poll(() => page.locator('[data-testid="deals-table"] thead th').allTextContents()).toEqual(headers);
    await expect.poll(() => page.getByTestId('list-total').textContent()).toBe(budget.text);
    const cells = await page.locator('[data-testid="deals-table"] tbody tr td:last-child').allTextContents();
    expect(new Set(cells)).toEqual(new Set(['Да']));

    // Export the filtered list: the CSV has as many rows as the total.
    await page.getByText('Выгрузить', { exact: true }).click();
    const download = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    const lines = readFileSync(await (await download).path())
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .split('\r\n')
      .filter(Boolean);
    expect(lines[0].startsWith('№;Название;')).toBe(true);
    expect(lines.length - 1).toBe(budget.n);
    const wantIds = await h.db.query<{ id: number }>(sql`
      select id from deals where workspace_id = ${ws} and stage_id = ${stageId} and custom @> '{"budget_confirmed":"yes"}'::jsonb
         and created_at >= (${FROM.iso}::date)::timestamp at time zone 'Europe/Moscow'
         and created_at < (${TO.iso}::date + 1)::timestamp at time zone 'Europe/Moscow' order by id`);
    expect(
      lines
        .slice(1)
        .map((l) => Number(l.split(';')[0]))
        .sort((a, b) => a - b),
    ).toEqual(wantIds.map((r) => Number(r.id)));
    // Lead statuses in Russian.
    await page.goto(`${h.url}/leads`);
    await page.getByTestId('leads-table').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'lists-leads.png') });
    const statuses = new Set(await page.locator('[data-testid="leads-table"] tbody .badge').allTextContents());
    expect(statuses.size).toBeGreaterThan(1);
    for (const s of statuses) expect(['Новый', 'В работе', 'Квалифицирован', 'Отклонён', 'Переведён в сделку']).toContain(s);
    expect(await page.locator('main').textContent()).not.toMatch(/\blists\.[a-z]|\b(converted|qualified|working)\b/);
    await context.close();
  });

  it('shows the list on a phone as cards, with the filters in a panel that fits and selection', async () => {
    const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${h.url}/deals?stage_id=${stageId}&created_at_from=${FROM.iso}&created_at_to=${TO.iso}`);
    const cards = page.getByTestId('deals-cards');
    await cards.waitFor();
    expect(await page.getByTestId('deals-table').count()).toBe(0);
    const want = await expected();
    await expect.poll(() => page.getByTestId('list-total').textContent()).toBe(want.text);
    const first = cards.locator('li').first();
    expect(await first.locator('.list-card-title a').count()).toBe(1);
    expect(await first.locator('.badge').textContent()).toBe('В работе');
    expect(await first.locator('dt').allTextContents()).toEqual(expect.arrayContaining(['Сумма', 'Этап']));
    expect(await first.locator('.list-card-owner').textContent()).toMatch(/^Ответственный: \S/);
    // Nothing wider than the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SCREENSHOTS, 'lists-phone.png') });
    await first.locator('input[type=checkbox]').check();
    await expect.poll(() => page.getByTestId('bulk-bar').getByRole('status').textContent()).toBe('Выбрано: 1 сделка');
    await page.getByTestId('filters-toggle').click();
    const panel = page.getByTestId('filter-panel');
    await panel.waitFor();
    const box = await panel.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await panel.locator('[data-param="created_at_from"]').inputValue()).toBe(FROM.ru);
    await page.screenshot({ path: join(SCREENSHOTS, 'lists-phone-filters.png'), fullPage: false });
    expect(await axeProblems(page, ['.filters', '.filter-sheet', '.list-totals', '[data-testid="deals-cards"]'])).toEqual([]);
    await context.close();
  });
});
