import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { formatEstimate, formatMajor } from '../../src/platform/money.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { axeProblems } from '../support/axe.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/**
 * Key accounts and service in the app (issue 19), on data this test writes through the API: a
 * key-account manager reads the accounts dashboard (every tile as the API computes it, and the
 * hand-counted figures of the data), opens a drill-down, works the renewals due — renews one with
 * a change of MRR, marks another churned with a reason — and meets a conflict on the company card;
 * a seller logs a case from a deal card in two clicks, solved already: it is on the company card,
 * and the manager's dashboard counts one more case recorded by sales. English; a phone; the
 * settings (the head of sales edits, the others read). Screenshots: docs/screenshots/accounts-*.png.
 */
let h: Harness;
let browser: Browser;
let w: SeededWorkspace;
const PASSWORD = 'correct horse battery';
const ZONE = 'Europe/Moscow';
const ids = {} as Record<
  | 'kam'
  | 'seller'
  | 'service'
  | 'sub'
  | 'support'
  | 'alfa'
  | 'beta'
  | 'gamma'
  | 'delta'
  | 'alfaSub'
  | 'alfaSupport'
  | 'betaSub'
  | 'deal'
  | 'competitor',
  number
>;
const plain = (s: string | null) => (s ?? '').replace(/[\u00a0\u202f]/g, ' ').trim();
const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: join(SCREENSHOTS, `accounts-${name}.png`), fullPage });

/** The workspace's today shifted by whole days, YYYY-MM-DD. */
function day(shift: number): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    h.clock.now(),
  );
  const [y, m, d] = today.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + shift)).toISOString().slice(0, 10);
}
const ru = (iso: string) => iso.split('-').reverse().join('.');
const FROM = () => day(-90);
const TO = () => day(1);

async function created(api: ApiClient, path: string, body: unknown): Promise<number> {
  const r = await api.post(path, body);
  if (r.status !== 201) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

beforeAll(async () => {
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: new Date() });
  w = await seedWorkspace(h, 'Клиенты');
  const now = h.clock.now();
  ids.kam = await addUser(h.db, w.ws, { name: 'Ксения Ключевая', email: 'kam@acc.test', role: 'manager', password: PASSWORD }, now);
  ids.seller = await addUser(h.db, w.ws, { name: 'Сергей Продавец', email: 'seller@acc.test', role: 'manager', password: PASSWORD }, now);
  ids.service = await addUser(h.db, w.ws, { name: 'Соня Сервис', email: 'service@acc.test', role: 'service', password: PASSWORD }, now);
  await addUser(h.db, w.ws, { name: 'Роман РОП', email: 'rop@acc.test', role: 'head_of_sales', password: PASSWORD }, now);
  const service = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: ids.service }, { name: 'tests' })).token);
  const api = w.api;
  ids.sub = await created(api, '/product-groups', { name: 'Подписка', position: 1, active: true });
  ids.support = await created(api, '/product-groups', { name: 'Поддержка', position: 2, active: true });
  ids.competitor = await created(api, '/churn-reasons', {
    name_ru: 'Ушли к конкуренту',
    name_en: 'Went to a competitor',
    position: 1,
    active: true,
  });
  await created(api, '/churn-reasons', { name_ru: 'Закрыли бизнес', name_en: 'Closed the business', position: 2, active: true });
  for (const [key, name] of [
    ['alfa', 'ООО Альфа'],
    ['beta', 'ООО Бета'],
    ['gamma', 'ООО Гамма'],
    ['delta', 'ООО Дельта'],
  ] as const)
    ids[key] = await created(api, '/companies', { name, owner_id: ids.kam });
  ids.deal = await created(api, '/deals', {
    title: 'Альфа: второй склад',
    company_id: ids.alfa,
    owner_id: ids.seller,
    stage_id: w.stage('Встреча').id,
    amount_minor: 50_000_00,
  });
  const contract = (company: number, group: number, start: number, end: number, mrr: number) =>
    created(api, '/contracts', {
      company_id: company,
      product_group_id: group,
      start_date: day(start),
      end_date: day(end),
      mrr_minor: mrr * 100,
      owner_id: ids.kam,
    });
  // The period is the last 90 days. At its start: Альфа 10 000 + 3 000, Бета 8 000, Гамма 5 000 (26 000);
  // Гамма ends 35 days ago, not renewed (churn); Бета adds support (expansion 2 000); Дельта is new (7 000).
  ids.alfaSub = await contract(ids.alfa, ids.sub, -200, 20, 10_000);
  ids.alfaSupport = await contract(ids.alfa, ids.support, -100, 265, 3_000);
  ids.betaSub = await contract(ids.beta, ids.sub, -300, 45, 8_000);
  await contract(ids.beta, ids.support, -30, 335, 2_000);
  await contract(ids.gamma, ids.sub, -400, -35, 5_000);
  await contract(ids.delta, ids.sub, -60, 305, 7_000);
  // Two deals won this month (the denominator of cases per 100 won).
  for (const title of ['Бета: поддержка', 'Дельта: подписка'])
    await created(api, '/deals', {
      title,
      owner_id: ids.kam,
      stage_id: w.stage('Успешно реализовано').id,
      amount_minor: 100_000_00,
    });
  // Service logs two cases: a complaint (open) and a question solved at once.
  await created(service, '/cases', { kind: 'complaint', title: 'Сбой выгрузки', company_id: ids.beta });
  await created(service, '/cases', { kind: 'question', title: 'Как добавить пользователя', company_id: ids.alfa, status: 'resolved' });
  // A report counts what was entered before its as-of (now): let the clock move on.
  h.clock.advance(60_000);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function signIn(email: string, opts: { lang?: 'ru' | 'en'; phone?: boolean } = {}) {
  const context = await browser.newContext({
    locale: opts.lang === 'en' ? 'en-US' : 'ru-RU',
    timezoneId: ZONE,
    viewport: opts.phone ? { width: 390, height: 844 } : { width: 1440, height: 900 },
    ...(opts.phone ? { isMobile: true, hasTouch: true } : {}),
  });
  const page = await context.newPage();
  await page.goto(h.url);
  await page.evaluate((lang) => localStorage.setItem('voronka.lang', lang), opts.lang ?? 'ru');
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel(opts.lang === 'en' ? 'Password' : 'Пароль').fill(PASSWORD);
  await page.getByRole('button', { name: opts.lang === 'en' ? 'Sign in' : 'Войти' }).click();
  await page.getByRole('heading', { name: opts.lang === 'en' ? 'My tasks' : 'Мои задачи' }).waitFor();
  return { context, page };
}

const idle = (page: Page) => page.waitForFunction(() => !document.querySelector('.spinner, [aria-busy=true]'));
const text = async (page: Page, testId: string) => plain(await page.getByTestId(testId).textContent());
const pct = (v: number | null, lang = 'ru-RU') =>
  v === null ? '—' : new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }).format(v).replace(/[\u00a0\u202f]/g, ' ');
const rub = (v: number | null, lang = 'ru-RU') => (v === null ? '—' : plain(formatMajor(v, 'RUB', lang)));

async function dashboard(page: Page) {
  await page.goto(`${h.url}/accounts?from=${FROM()}&to=${TO()}`);
  await page.getByTestId('accounts-stats').waitFor();
  await page.getByTestId('owners-table').locator('table').waitFor();
  await idle(page);
}

describe('a key-account manager’s day', () => {
  it('reads the dashboard as the API computes it, and opens what a figure is made of', async () => {
    const { context, page } = await signIn('kam@acc.test');
    await page.getByRole('link', { name: 'Клиенты' }).first().click();
    await page.getByTestId('accounts-dashboard').waitFor();
    await dashboard(page);
    const r = await page.evaluate((q) => fetch(`/api/v1/reports/accounts?${q}`).then((x) => x.json()), `from=${FROM()}&to=${TO()}`);
    expect(r.scope).toBe('own');
    // Every tile shows the API's figure …
    expect(await text(page, 'acc-stat-nrr')).toBe(pct(r.nrr));
    expect(await text(page, 'acc-stat-revenue_churn')).toBe(pct(r.revenue_churn_rate));
    expect(await text(page, 'acc-stat-logo_churn')).toBe(pct(r.logo_churn_rate));
    expect(await text(page, 'acc-stat-renewal_rate')).toBe(pct(r.renewal_rate));
    expect(await text(page, 'acc-stat-cross_sell')).toBe(pct(r.cross_sell_rate));
    expect(await text(page, 'acc-stat-ltv')).toBe(plain(formatEstimate(r.ltv, 'RUB', 'ru-RU')));
    expect(await text(page, 'acc-stat-new_mrr')).toBe(rub(r.new_mrr));
    expect(await text(page, 'bridge-start')).toBe(rub(r.start_mrr));
    expect(await text(page, 'bridge-end')).toBe(rub(r.end_mrr));
    // … and the figures of the data, counted by hand.
    expect(await text(page, 'acc-stat-nrr')).toBe('88,5 %'); // (26 000 + 2 000 − 5 000) / 26 000
    expect(await text(page, 'acc-stat-revenue_churn')).toBe('19,2 %'); // 5 000 / 26 000
    expect(await text(page, 'acc-stat-logo_churn')).toBe('33,3 %'); // Гамма of three
    expect(await text(page, 'acc-stat-renewal_rate')).toBe('0 %'); // Гамма's contract ended, not renewed
    expect(await text(page, 'acc-stat-cross_sell')).toBe('66,7 %'); // Альфа and Бета of three
    expect(await text(page, 'acc-stat-new_mrr')).toBe('7 000 ₽');
    expect(await text(page, 'bridge-start')).toBe('26 000 ₽');
    expect(await text(page, 'bridge-expansion')).toBe('2 000 ₽');
    expect(await text(page, 'bridge-churn')).toBe('5 000 ₽');
    expect(await text(page, 'bridge-end')).toBe('30 000 ₽');
    expect(await page.getByTestId('cases-service-total').getAttribute('data-value')).toBe('2');
    expect(await page.getByTestId('cases-sales-total').getAttribute('data-value')).toBe('0');
    expect(r.deals_won).toBe(2);
    expect(plain(await page.getByTestId('cases-row-complaint').locator('td').nth(1).textContent())).toBe('50'); // 100 × 1 / 2
    await page.getByTestId('mrr-bridge').locator('canvas').waitFor();
    await shot(page, 'dashboard-laptop');
    expect(await axeProblems(page)).toEqual([]);

    // NRR opens the accounts it is made of: the base, then those that churned.
    await page.getByTestId('acc-stat-nrr').click();
    const drill = page.getByTestId('accounts-drill');
    await drill.getByTestId('drill-total').waitFor();
    expect(await drill.getByTestId('drill-total').getAttribute('data-count')).toBe(String(r.accounts_start));
    expect(plain(await drill.getByTestId('drill-note').textContent())).toBe(
      '(26 000 ₽ + 2 000 ₽ − 0 ₽ − 5 000 ₽) / 26 000 ₽ = 88,5 %: MRR клиентов начала периода на его конец, без новых.',
    );
    await drill.getByTestId('drill-metric-churned').click();
    await drill.getByTestId('drill-total').filter({ hasText: 'Ушедшие: 1 клиент' }).waitFor();
    expect((await drill.getByTestId('drill-table').locator('tbody tr').allTextContents()).map(plain)).toEqual([
      'ООО ГаммаКсения Ключевая5 000 ₽0 ₽0',
    ]);
    await shot(page, 'drill-laptop', false);
    expect(await axeProblems(page, ['[role=dialog]'])).toEqual([]);
    await page.keyboard.press('Escape');
    // The renewal rate opens the contracts that ended in the period.
    await page.getByTestId('acc-stat-renewal_rate').click();
    const contracts = page.getByTestId('contracts-drill');
    await contracts.getByTestId('drill-total').filter({ hasText: 'Договоры, закончившиеся в периоде: 1 договор' }).waitFor();
    expect(plain(await contracts.getByTestId('drill-table').locator('tbody tr td').first().textContent())).toBe('ООО Гамма');
    await page.keyboard.press('Escape');
    await context.close();
  });

  it('works the renewals due: renews one with a change of MRR, marks another churned with a reason', async () => {
    const { context, page } = await signIn('kam@acc.test');
    await page.goto(`${h.url}/accounts/renewals`);
    await page.getByTestId(`renewal-${ids.alfaSub}`).waitFor();
    expect(await page.getByTestId('window-30-count').getAttribute('data-count')).toBe('1');
    expect(await page.getByTestId('window-60-count').getAttribute('data-count')).toBe('2');
    expect(await page.getByTestId('window-90-count').getAttribute('data-count')).toBe('2');
    expect(await page.locator('[data-testid^=renewal-group-]').count()).toBe(1);
    expect(plain(await page.getByTestId(`renewal-group-${ids.kam}`).locator('h2').textContent())).toBe(
      'Ксения Ключевая 1 договор · 10 000 ₽',
    );
    const item = page.getByTestId(`renewal-${ids.alfaSub}`);
    expect(plain(await item.locator('.renewal-head').textContent())).toBe('ООО АльфаПодписка10 000 ₽');
    expect(plain(await page.getByTestId(`renewal-ends-${ids.alfaSub}`).textContent())).toBe(`до ${ru(day(20))}, через 20 дней`);
    expect(plain(await item.locator('.renewal-facts').textContent())).toContain('Контактов не было');
    await shot(page, 'renewals-laptop');
    expect(await axeProblems(page)).toEqual([]);

    // Renew with a change: an amount that is not one is refused next to the field; 12 000 renews.
    await page.getByTestId(`renew-change-${ids.alfaSub}`).click();
    const dialog = page.getByTestId('renew-dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('renew-mrr').inputValue()).toBe('10 000');
    await dialog.getByTestId('renew-mrr').fill('двенадцать');
    await dialog.getByTestId('renew-save').click();
    await dialog.locator('.field-error').waitFor();
    expect(await dialog.getByTestId('renew-mrr').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByTestId('renew-mrr').fill('12 000');
    await shot(page, 'renew-change-laptop', false);
    expect(await axeProblems(page, ['[role=dialog]'])).toEqual([]);
    await dialog.getByTestId('renew-save').click();
    await page
      .getByTestId('renewals-status')
      .filter({ hasText: `ООО Альфа, Подписка: продлён до ${ru(day(240))}` })
      .waitFor();
    await page.getByTestId(`renewal-${ids.alfaSub}`).waitFor({ state: 'detached' });
    const [next] = await h.db.query<{ mrr_minor: number; start: string; owner_id: number }>(
      sql`select mrr_minor, to_char(start_date, 'YYYY-MM-DD') as start, owner_id from contracts where workspace_id = ${w.ws} and renews_id = ${ids.alfaSub}`,
    );
    expect([Number(next.mrr_minor), next.start, Number(next.owner_id)]).toEqual([1_200_000, day(20), ids.kam]);

    // 60 days: Бета's subscription; marked churned with a reason from the list.
    await page.getByTestId('window-60').click();
    await page.getByTestId(`renewal-${ids.betaSub}`).waitFor();
    await page.getByTestId(`churn-${ids.betaSub}`).click();
    const churn = page.getByTestId('churn-dialog');
    await churn.waitFor();
    await churn.getByTestId('churn-save').click();
    expect(plain(await churn.locator('.field-error').textContent())).toBe('Выберите причину');
    expect(await churn.getByTestId('churn-reason').getAttribute('aria-invalid')).toBe('true');
    await churn.getByTestId('churn-reason').selectOption({ label: 'Ушли к конкуренту' });
    expect(await churn.locator('.field-error').count()).toBe(0);
    await churn.getByLabel('Комментарий').fill('Перешли на облачное решение');
    await shot(page, 'churn-laptop', false);
    await churn.getByTestId('churn-save').click();
    await page.getByTestId('renewals-status').filter({ hasText: 'ООО Бета, Подписка: отмечен отток' }).waitFor();
    await page.getByTestId(`renewal-${ids.betaSub}`).waitFor({ state: 'detached' });
    const [gone] = await h.db.query<{ reason: number; note: string; churned: boolean }>(
      sql`select churn_reason_id as reason, churn_note as note, churned_at is not null as churned from contracts where workspace_id = ${w.ws} and id = ${ids.betaSub}`,
    );
    expect([Number(gone.reason), gone.note, gone.churned]).toEqual([ids.competitor, 'Перешли на облачное решение', true]);
    await page.getByTestId('renewals-page').locator('.empty').waitFor();
    await context.close();
  });

  it('sees the account on the company card: MRR, contracts by product group, the change; a stale renewal says so', async () => {
    const { context, page } = await signIn('kam@acc.test');
    await page.goto(`${h.url}/companies/${ids.alfa}`);
    const panel = page.getByTestId('account-panel');
    await panel.waitFor();
    expect(await text(page, 'account-mrr')).toBe('13 000 ₽');
    expect(await text(page, 'account-active')).toBe('2');
    expect(plain(await page.getByTestId(`contract-${ids.alfaSub}`).locator('.badge').textContent())).toBe('Действует');
    expect((await page.getByTestId('account-changes').locator('li').allTextContents()).map(plain)).toEqual([
      `${ru(day(20))} · Подписка: 10 000 ₽ → 12 000 ₽ расширение`,
    ]);
    // Someone else changed the support contract since this page read it: the renewal is refused and says so.
    await h.db.query(sql`update contracts set version = version + 1 where workspace_id = ${w.ws} and id = ${ids.alfaSupport}`);
    await page.getByTestId(`renew-${ids.alfaSupport}`).click();
    const problem = page.getByTestId(`contract-problem-${ids.alfaSupport}`);
    await problem.waitFor();
    expect(plain(await problem.textContent())).toBe('Запись изменил кто-то другой — обновите и повторите. Обновить');
    const reread = page.waitForResponse((r) => r.url().endsWith(`/companies/${ids.alfa}/account`));
    await problem.getByRole('button', { name: 'Обновить' }).click();
    await reread;
    await page.getByTestId(`renew-${ids.alfaSupport}`).click();
    await page
      .getByTestId('account-status')
      .filter({ hasText: `ООО Альфа, Поддержка: продлён до ${ru(day(630))}` })
      .waitFor();
    await panel.locator('canvas').waitFor();
    await shot(page, 'company-laptop');
    expect(await axeProblems(page)).toEqual([]);

    // Гамма left; a new contract wins it back. An end before the start is refused next to the field.
    await page.goto(`${h.url}/companies/${ids.gamma}`);
    await page.getByTestId('account-panel').waitFor();
    expect(await text(page, 'account-mrr')).toBe('0 ₽');
    await page.getByTestId('new-contract').click();
    const form = page.getByTestId('contract-form');
    await form.getByTestId('contract-group').selectOption({ label: 'Поддержка' });
    await form.getByTestId('contract-start').fill(ru(day(30)));
    await form.getByTestId('contract-start').press('Enter');
    await form.getByTestId('contract-end').fill(ru(day(30)));
    await form.getByTestId('contract-end').press('Enter');
    await form.getByTestId('contract-mrr').fill('4 500');
    await form.getByTestId('contract-save').click();
    await form.getByText(`окончание (${ru(day(30))}) должно быть позже начала (${ru(day(30))})`).waitFor();
    await shot(page, 'new-contract-laptop', false);
    await form.getByTestId('contract-end').fill(ru(day(395)));
    await form.getByTestId('contract-end').press('Enter');
    await form.getByTestId('contract-save').click();
    await page.getByTestId('account-status').filter({ hasText: 'Договор создан' }).waitFor();
    const [won] = await h.db.query<{ mrr_minor: number; start: string; end: string; owner_id: number }>(
      sql`select mrr_minor, to_char(start_date, 'YYYY-MM-DD') as start, to_char(end_date, 'YYYY-MM-DD') as end, owner_id
            from contracts where workspace_id = ${w.ws} and company_id = ${ids.gamma} and product_group_id = ${ids.support}`,
    );
    expect([Number(won.mrr_minor), won.start, won.end, Number(won.owner_id)]).toEqual([450_000, day(30), day(395), ids.kam]);
    await context.close();
  });
});

describe('a seller logs a case from a deal card', () => {
  it('in two clicks and a line, solved already; it shows on the company card and the dashboard counts it as sales', async () => {
    const kam = await signIn('kam@acc.test');
    await dashboard(kam.page);
    const before = Number(await kam.page.getByTestId('cases-sales-total').getAttribute('data-value'));

    const { context, page } = await signIn('seller@acc.test');
    await page.goto(`${h.url}/deals/${ids.deal}`);
    await page.getByTestId('deal-title').waitFor();
    await page.getByTestId('log-case').click(); // 1
    const dialog = page.getByTestId('case-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('case-kind-question').click(); // 2
    // The click on a kind sends the typing to the line.
    await page.keyboard.type('Не пришёл счёт за март — переслал');
    expect(await dialog.getByTestId('case-title').inputValue()).toBe('Не пришёл счёт за март — переслал');
    await dialog.getByText('Решено сразу').click();
    await shot(page, 'case-dialog-laptop', false);
    expect(await axeProblems(page, ['[role=dialog]'])).toEqual([]);
    // Enter in the line saves.
    await dialog.getByTestId('case-title').press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('log-case-status').filter({ hasText: 'Обращение записано как решённое' }).waitFor();
    const [c] = await h.db.query<{
      id: number;
      company_id: number;
      deal_id: number;
      recorder_role: string;
      status: string;
      closed: boolean;
    }>(
      sql`select id, company_id, deal_id, recorder_role, status, closed_at is not null as closed from service_cases
           where workspace_id = ${w.ws} and recorded_by = ${ids.seller}`,
    );
    expect([Number(c.company_id), Number(c.deal_id), c.recorder_role, c.status, c.closed]).toEqual([
      ids.alfa,
      ids.deal,
      'sales',
      'resolved',
      true,
    ]);
    const row = page.getByTestId(`case-${c.id}`);
    await row.waitFor();
    expect(await page.getByTestId(`case-status-${c.id}`).inputValue()).toBe('resolved');
    expect(plain(await row.locator('.case-main').textContent())).toContain('Вопрос Не пришёл счёт за март — переслал');
    await shot(page, 'deal-cases-laptop');

    // On the company card, with its status changed in place.
    await page.goto(`${h.url}/companies/${ids.alfa}`);
    await page.getByTestId(`case-${c.id}`).waitFor();
    await page.getByTestId(`case-status-${c.id}`).selectOption('in_progress');
    await expect
      .poll(async () => (await h.db.query<{ status: string }>(sql`select status from service_cases where id = ${c.id}`))[0].status)
      .toBe('in_progress');
    await page.getByTestId(`case-status-${c.id}`).selectOption('resolved');
    await expect
      .poll(async () => (await h.db.query<{ status: string }>(sql`select status from service_cases where id = ${c.id}`))[0].status)
      .toBe('resolved');
    expect(await axeProblems(page)).toEqual([]);
    await context.close();

    // The manager's dashboard counts one more case logged by sales.
    h.clock.advance(60_000);
    await dashboard(kam.page);
    expect(Number(await kam.page.getByTestId('cases-sales-total').getAttribute('data-value'))).toBe(before + 1);
    expect(await text(kam.page, 'cases-sales-share')).toBe('33,3 %');
    await kam.page.getByTestId('cases-sales-total').click();
    const drill = kam.page.getByTestId('cases-drill');
    await drill.getByTestId('drill-total').filter({ hasText: '1 обращение' }).waitFor();
    await kam.page.keyboard.press('Escape');
    await kam.context.close();
  });
});

describe('the case log and the settings', () => {
  it('filters the log by who logged a case; the head of sales adds a product group, a manager reads them', async () => {
    const rop = await signIn('rop@acc.test');
    await rop.page.goto(`${h.url}/accounts/cases`);
    await rop.page.getByTestId('case-log').waitFor();
    expect(await rop.page.getByTestId('case-log').locator('> li').count()).toBe(3);
    await rop.page.getByTestId('log-recorder').selectOption('sales');
    await expect.poll(() => rop.page.getByTestId('case-log').locator('> li').count()).toBe(1);
    await rop.page.getByTestId('case-log').getByText('ООО Альфа', { exact: true }).waitFor();
    expect(plain(await rop.page.getByTestId('case-log').textContent())).toContain('ООО Альфа · Альфа: второй склад');
    await shot(rop.page, 'cases-laptop');
    expect(await axeProblems(rop.page)).toEqual([]);

    await rop.page.getByTestId('accounts-tab-settings').click();
    await rop.page.getByTestId('settings-groups').getByRole('textbox', { name: 'Название: Подписка' }).waitFor();
    await rop.page.getByTestId('add-product-groups-name').fill('Подписка');
    await rop.page.getByTestId('add-product-groups-save').click();
    await rop.page.getByTestId('settings-groups').getByText('«Подписка» уже есть').waitFor();
    await rop.page.getByTestId('add-product-groups-name').fill('Внедрение');
    await rop.page.getByTestId('add-product-groups-save').click();
    await rop.page.getByTestId('settings-groups').getByRole('textbox', { name: 'Название: Внедрение' }).waitFor();
    await rop.page.getByTestId('settings-margin').fill('70');
    await rop.page.getByTestId('settings-save').click();
    await rop.page.getByTestId('settings-status').filter({ hasText: 'Сохранено' }).waitFor();
    const [ws] = await h.db.query<{ gross_margin: number }>(sql`select gross_margin from workspaces where workspace_id = ${w.ws}`);
    expect(Number(ws.gross_margin)).toBe(0.7);
    await shot(rop.page, 'settings-laptop');
    expect(await axeProblems(rop.page)).toEqual([]);
    await rop.context.close();

    const kam = await signIn('kam@acc.test');
    await kam.page.goto(`${h.url}/accounts/settings`);
    await kam.page.getByTestId('settings-read-only').waitFor();
    expect(await kam.page.getByTestId('settings-save').count()).toBe(0);
    expect((await kam.page.getByTestId('settings-groups').locator('li').allTextContents()).map(plain)).toEqual([
      'Подписка',
      'Поддержка',
      'Внедрение',
    ]);
    await kam.context.close();
  });
});

describe('in English and on a phone', () => {
  it('speaks English', async () => {
    const { context, page } = await signIn('kam@acc.test', { lang: 'en' });
    await dashboard(page);
    await page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
    expect(await text(page, 'acc-stat-nrr')).toBe('88.5%');
    expect(await text(page, 'bridge-start')).toBe(rub(26_000, 'en-US'));
    expect(plain(await page.getByTestId('cases-table').locator('thead').textContent())).toBe(
      'KindOpenedPer 100 wonServiceSellersSellers’ share',
    );
    await page.getByTestId('mrr-bridge').locator('canvas').waitFor();
    await shot(page, 'dashboard-en');
    // A contract ending soon, so the renewals have one to show (here and on the phone).
    await created(w.api, '/contracts', {
      company_id: ids.delta,
      product_group_id: ids.support,
      start_date: day(-330),
      end_date: day(12),
      mrr_minor: 1_500_00,
      owner_id: ids.kam,
    });
    await page.goto(`${h.url}/accounts/renewals`);
    await page.getByRole('button', { name: 'Renew with a change: ООО Дельта, Поддержка' }).waitFor();
    expect(plain(await page.getByTestId('renewals-page').locator('.renewal-facts li').first().textContent())).toMatch(
      /^until \d\d\/\d\d\/\d{4}, in 12 days$/,
    );
    await shot(page, 'renewals-en');
    await page.goto(`${h.url}/companies/${ids.alfa}`);
    await page.getByTestId('account-panel').waitFor();
    await page.getByTestId('log-case').click();
    await page.getByTestId('case-dialog').getByText('Solved already').waitFor();
    expect((await page.getByTestId('case-dialog').locator('.case-kind').allTextContents()).map(plain)).toEqual([
      'Complaint',
      'Claim',
      'Question',
      'Praise',
    ]);
    await shot(page, 'case-dialog-en', false);
    await context.close();
  });

  it('reads on a phone without sideways scroll: the dashboard, the renewals, the case dialog, the company card', async () => {
    const { context, page } = await signIn('kam@acc.test', { phone: true });
    const noSideways = async () => {
      const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      expect(scroll).toBeLessThanOrEqual(width);
    };
    await dashboard(page);
    await page.getByTestId('mrr-bridge').locator('canvas').waitFor();
    await noSideways();
    await shot(page, 'dashboard-phone', false);
    expect(await axeProblems(page)).toEqual([]);
    await page.evaluate(() => {
      document.querySelector('[data-testid=mrr-bridge]')?.scrollIntoView();
      window.scrollBy(0, -70); // under the header
    });
    await shot(page, 'bridge-phone', false);

    await page.goto(`${h.url}/accounts/renewals`);
    await page.getByTestId('renewals-page').locator('.renewal-list li').first().waitFor();
    await noSideways();
    await shot(page, 'renewals-phone', false);
    expect(await axeProblems(page)).toEqual([]);

    await page.goto(`${h.url}/companies/${ids.alfa}`);
    await page.getByTestId('account-panel').locator('canvas').waitFor();
    await noSideways();
    await page.evaluate(() => {
      document.querySelector('[data-testid=account-panel]')?.scrollIntoView();
      window.scrollBy(0, -70);
    });
    await shot(page, 'company-phone', false);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByTestId('log-case').tap();
    await page.getByTestId('case-dialog').waitFor();
    await page.getByTestId('case-kind-complaint').tap();
    await page.getByTestId('case-title').fill('Курьер опоздал на два часа');
    await shot(page, 'case-dialog-phone', false);
    expect(await axeProblems(page, ['[role=dialog]'])).toEqual([]);
    await page.getByTestId('case-save').tap();
    await page.getByTestId('case-dialog').waitFor({ state: 'detached' });
    await page.getByTestId('cases-panel').getByText('Курьер опоздал на два часа').waitFor();
    await context.close();
  });
});
