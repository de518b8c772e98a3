import type { Browser, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../src/imports/bundle-import.ts';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { launchBrowser } from '../support/browser.ts';
import { BUNDLE_PIPELINE, dealRow, writeBundle } from '../support/bundle.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * Money in its currency's decimals on screen (issue 15.4): a yen workspace shows whole yen, a
 * Kuwaiti dinar workspace three decimals — on the deal card, the board, the dashboard and its
 * drill-down — and an amount typed into the card is sent in the currency's minor units.
 */
let h: Harness;
let browser: Browser;
const PASSWORD = 'correct horse battery';
const DAY = 86_400_000;

/** Two won deals and one open in «Встреча», all within the dashboard's default 90 days. */
async function seed(currency: string, name: string, email: string, amounts: [won1: string, won2: string, open: string]) {
  const now = h.clock.now().getTime();
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  const path = (id: string, won: boolean) => [
    [id, 'Новый лид', at(40)],
    [id, 'Квалификация', at(30)],
    [id, 'Встреча', at(20)],
    ...(won ? [[id, 'Успешно реализовано', at(10)]] : []),
  ];
  const dir = writeBundle({
    pipeline: { ...BUNDLE_PIPELINE, name, currency },
    deals: [
      dealRow('W1', { title: 'Первая', amount: amounts[0], created_at: at(40) }),
      dealRow('W2', { title: 'Вторая', amount: amounts[1], created_at: at(40) }),
      dealRow('O1', { title: 'Открытая', amount: amounts[2], created_at: at(40) }),
    ],
    events: [...path('W1', true), ...path('W2', true), ...path('O1', false)],
  });
  await importBundle(h.db, dir, { now: h.clock.now() });
  const [{ ws }] = await h.db.query<{ ws: number }>(sql`select workspace_id as ws from workspaces where name = ${name}`);
  await addUser(h.db, ws, { name: 'Руководитель', email, role: 'admin', password: PASSWORD }, h.clock.now());
  const deals = await h.db.query<{ external_id: string; id: number }>(sql`select external_id, id from deals where workspace_id = ${ws}`);
  return { ws, id: Object.fromEntries(deals.map((d) => [d.external_id, d.id])) as Record<string, number> };
}

beforeAll(async () => {
  // A real browser drops cookies that expire in the past: pin the clock to the real now.
  h = await startHarness({ webDist: WEB_DIST, clockAt: new Date() });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** Intl writes no-break spaces between thousands in Russian: read them as plain spaces. */
const plain = (s: string | null) => (s ?? '').replace(/[\u00a0\u202f]/g, ' ');
const text = async (page: Page, selector: string) => plain(await page.locator(selector).first().textContent());

async function waitIdle(page: Page) {
  await page.waitForFunction(() => !document.querySelector('.spinner, [aria-busy=true]'));
}

async function signIn(email: string) {
  const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Пароль').fill(PASSWORD);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.locator('nav.mainnav').waitFor();
  return { page, errors, close: () => context.close() };
}

const statValue = (page: Page, label: string) =>
  page.locator('.stat', { has: page.locator('.stat-label').getByText(label, { exact: true }) }).locator('.stat-value');

async function expectScreens(
  page: Page,
  id: Record<string, number>,
  want: { deal: string; openCard: string; column: string; won: string; drill: string[] },
) {
  // The deal card.
  await page.goto(`${h.url}/deals/${id.W1}`);
  await page.getByTestId('deal-title').waitFor();
  await waitIdle(page);
  expect(await text(page, '.card-amount-big')).toBe(want.deal);

  // The board: the open deal's card and its column's sum.
  await page.goto(`${h.url}/board`);
  await page.getByTestId('board').waitFor();
  await waitIdle(page);
  const column = page.getByTestId('column-Встреча');
  await column.getByTestId(`card-${id.O1}`).waitFor();
  expect(plain(await column.getByTestId(`card-${id.O1}`).locator('.card-amount').textContent())).toBe(want.openCard);
  expect(plain(await column.locator('.strong').first().textContent())).toBe(want.column);

  // The dashboard: the won amount, and the deals behind «Выиграно».
  await page.goto(`${h.url}/dashboard`);
  await page.getByTestId('dashboard-stats').waitFor();
  await waitIdle(page);
  expect(plain(await statValue(page, 'Выручка').textContent())).toBe(want.won);
  await page.getByTestId('stat-deals_won').click();
  const drill = page.getByTestId('drill-table');
  await drill
    .locator('tbody tr')
    .nth(want.drill.length - 1)
    .waitFor();
  const amounts = await drill.locator('tbody tr td:nth-child(2)').allTextContents();
  expect(amounts.map(plain)).toEqual(want.drill);
  await page.keyboard.press('Escape');
  const root = (await page.locator('#root').textContent()) ?? '';
  expect(root).not.toMatch(/NaN|undefined|\bnull\b|\[object/);
}

/** Edits the deal's amount on its card (shown for editing as Russian writes it, 1 234,567): what is typed is sent in the currency's minor units. */
async function editAmount(page: Page, dealId: number, typed: string) {
  await page.goto(`${h.url}/deals/${dealId}`);
  await page.getByTestId('deal-title').waitFor();
  await waitIdle(page);
  await page.getByRole('button', { name: 'Изменить: Сумма', exact: true }).click();
  const input = page.getByRole('textbox', { name: 'Сумма', exact: true });
  const prefilled = await input.inputValue();
  await input.fill(typed);
  await input.press('Enter');
  await input.waitFor({ state: 'detached' });
  return prefilled;
}

describe('money in its currency on screen', () => {
  it('shows whole yen in a JPY workspace, and saves an edited amount in yen', async () => {
    const { id } = await seed('JPY', 'Токио', 'rop@tokyo.test', ['1500000', '2500000', '800000']);
    const s = await signIn('rop@tokyo.test');
    await expectScreens(s.page, id, {
      deal: '1 500 000 ¥',
      openCard: '800 000 ¥',
      column: '800 000 ¥',
      won: '4 000 000 ¥',
      drill: ['2 500 000 ¥', '1 500 000 ¥'],
    });
    expect(await editAmount(s.page, id.W1, '1750000')).toBe('1 500 000');
    await s.page.waitForFunction(() => document.querySelector('.card-amount-big')?.textContent?.replace(/\s/g, '') === '1750000¥');
    const [d] = await h.db.query<{ amount_minor: number }>(sql`select amount_minor from deals where id = ${id.W1}`);
    expect(d.amount_minor).toBe(1_750_000);
    expect(s.errors).toEqual([]);
    await s.close();
  });

  it('shows Kuwaiti dinars with three decimals in a KWD workspace, and saves fils', async () => {
    const { id } = await seed('KWD', 'Кувейт', 'rop@kuwait.test', ['1234.567', '2000', '0.125']);
    const s = await signIn('rop@kuwait.test');
    await expectScreens(s.page, id, {
      deal: '1 234,567 KWD',
      openCard: '0,125 KWD',
      column: '0,125 KWD',
      won: '3 234,567 KWD',
      drill: ['2 000 KWD', '1 234,567 KWD'],
    });
    expect(await editAmount(s.page, id.W1, '2500.125')).toBe('1 234,567');
    await s.page.waitForFunction(() => document.querySelector('.card-amount-big')?.textContent?.replace(/\s/g, '') === '2500,125KWD');
    const [d] = await h.db.query<{ amount_minor: number }>(sql`select amount_minor from deals where id = ${id.W1}`);
    expect(d.amount_minor).toBe(2_500_125);
    expect(s.errors).toEqual([]);
    await s.close();
  });
});
