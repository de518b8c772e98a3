import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { openTodaysDemo } from '../support/demo-db.ts';
import { apiClient, type Harness, startHarness } from '../support/harness.ts';

/**
 * Every figure opens its records (issue 16), in Russian: each dashboard tile opens the deals it
 * counts — the listed count and sum are the tile's —, the managers' Overdue column and the team's
 * overdue on «Мои задачи» open those tasks, «Вчера» says what «Встречи 9 / 13» are and opens
 * them. «Мои задачи» buckets by the day in Moscow, the workspace's zone, with the browser in UTC
 * and in Novosibirsk, and shows a task entered for 10:00 as «10:00 МСК». axe-core finds nothing
 * serious or critical on the dashboard, the tasks and the yesterday pages.
 */
let h: Harness;
let browser: Browser;
let ropApi: ReturnType<typeof apiClient>;
let ropId: number;
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

beforeAll(async () => {
  const now = new Date();
  const { db, demo } = await openTodaysDemo(now);
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: now, db });
  const [rop] = await h.db.query<{ id: number }>(`select id from users where email = 'rop@demo.voronka.local'`);
  ropId = rop.id;
  ropApi = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: demo.workspaceId, userId: rop.id }, { name: 't' })).token);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
const plain = (s: string | null) => (s ?? '').replace(/[\u00a0\u202f]/g, ' ').trim();

async function open(opts: { timezoneId?: string; viewport?: { width: number; height: number }; at?: string } = {}) {
  const context: BrowserContext = await browser.newContext({
    locale: 'ru-RU',
    timezoneId: opts.timezoneId ?? 'Europe/Moscow',
    viewport: opts.viewport ?? { width: 1440, height: 900 },
  });
  const page = await context.newPage();
  if (opts.at) await page.clock.setFixedTime(new Date(opts.at));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill('rop@demo.voronka.local');
  await page.getByLabel('Пароль').fill('voronka-demo');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('heading', { name: 'Мои задачи' }).waitFor();
  return { page, errors, close: () => context.close() };
}

/** axe-core over the page's content (the screens of this feature; the shell has its own test): serious and critical problems. */
async function axeProblems(page: Page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: any[] }> } }).axe;
    const r = await axe.run({ include: [['main']] }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n: any) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const apiGet = (page: Page, path: string) =>
  page.evaluate(async (p) => (await fetch(`/api/v1${p}`, { credentials: 'same-origin' })).json(), path);

const PERIOD = 'from=2026-06-01&to=2026-12-01';

/** Clicks a control, reads the drill-down's count and sum, closes it with Escape (focus returns to the page). */
async function drillOf(page: Page, testId: string) {
  await page.getByTestId(testId).click();
  const total = page.getByTestId('drill-total');
  await total.waitFor();
  const out = {
    count: Number(await total.getAttribute('data-count')),
    amount: Number(await total.getAttribute('data-amount')),
    text: plain(await total.textContent()),
    note: (await page.getByTestId('drill-note').count()) ? plain(await page.getByTestId('drill-note').textContent()) : null,
    won: (await page.getByTestId('drill-won').count()) ? Number(await page.getByTestId('drill-won').getAttribute('data-won')) : null,
    cycle: (await page.getByTestId('drill-cycle').count()) ? plain(await page.getByTestId('drill-cycle').textContent()) : null,
    rows: await page.getByTestId('drill-table').locator('tbody tr').count(),
  };
  await page.keyboard.press('Escape');
  await total.waitFor({ state: 'detached' });
  return out;
}

describe('every figure opens its records', () => {
  it('the dashboard tiles open exactly the deals they count; charts and footer in Russian formats', async () => {
    const s = await open();
    const { page } = s;
    await page.goto(`${h.url}/dashboard?${PERIOD}`);
    await page.getByTestId('dashboard-stats').waitFor();
    await page.getByTestId('managers-table').waitFor();
    const r = await apiGet(page, `/reports/funnel?${PERIOD}`);
    expect(r.deals_won).toBeGreaterThan(5);

    const revenue = await drillOf(page, 'stat-won_amount');
    expect(revenue.count).toBe(r.deals_won);
    expect(revenue.amount).toBe(r.won_amount);
    expect(revenue.rows).toBe(Math.min(200, r.deals_won));

    const avg = await drillOf(page, 'stat-avg_won_amount');
    expect(avg.count).toBe(r.deals_won);
    expect(avg.amount / avg.count).toBeCloseTo(r.avg_won_amount, 6);
    expect(avg.note).toMatch(/^Средний чек = выручка \/ число выигранных:/);

    const cycle = await drillOf(page, 'stat-cycle_days');
    expect(cycle.count).toBe(r.deals_won);
    const median = new Intl.NumberFormat('ru-RU', { maximumFractionDigits: 1 }).format(r.cycle_days.median).replace(/\u00a0/g, ' ');
    expect(cycle.cycle).toContain(`медиана ${median} дн.`);

    const winRate = await drillOf(page, 'stat-win_rate');
    expect(winRate.count).toBe(r.deals_won + r.deals_lost);
    expect(winRate.won).toBe(r.deals_won);

    const cohort = await drillOf(page, 'stat-cohort_win_rate');
    expect(cohort.count / r.deals_created).toBeCloseTo(r.cohort_win_rate, 12);

    const velocity = await drillOf(page, 'stat-velocity_per_day');
    expect(velocity.count).toBe(r.open_deals);
    expect(velocity.note).toMatch(/^Скорость = сделки в работе × доля выигранных × средний чек \/ средний цикл:/);

    // The stage table: the median opens the finished visits it is the median of.
    const first = r.stage_duration_days[0];
    const finished = await drillOf(page, `stage_finished-${first.stage}`);
    expect(finished.count).toBe(first.n);

    // The managers' Overdue column opens the manager's overdue tasks.
    const d = await apiGet(page, `/reports/discipline?${PERIOD}&by=owner`);
    const behind = d.groups.find((g: { overdue_open: number; key_id: number | null }) => g.overdue_open > 0 && g.key_id);
    expect(behind).toBeTruthy();
    const cell = page.getByTestId(`mgr-overdue_open-${behind.key_id}`);
    expect(await cell.getAttribute('aria-label')).toBe(`${behind.key}, Просрочено: ${behind.overdue_open}`);
    await cell.focus();
    await page.keyboard.press('Enter');
    const tasksTotal = page.getByTestId('task-drill-total');
    await tasksTotal.waitFor();
    expect(Number(await tasksTotal.getAttribute('data-count'))).toBe(behind.overdue_open);
    const owners = await page.getByTestId('task-drill-table').locator('tbody tr td:nth-child(3)').allTextContents();
    expect(new Set(owners)).toEqual(new Set([behind.key]));
    await shot(page, 'figures-overdue-laptop');
    await page.keyboard.press('Escape');
    await tasksTotal.waitFor({ state: 'detached' });

    // Completeness opens the stage entries: filled / required of the listed entries is the cell.
    await page.getByTestId(`mgr-card_completeness-${behind.key_id}`).click();
    const entries = page.getByTestId('entry-drill-total');
    await entries.waitFor();
    const pctRu = new Intl.NumberFormat('ru-RU', { style: 'percent', maximumFractionDigits: 1 })
      .format(behind.card_completeness)
      .replace(/[\u00a0\u202f]/g, ' ');
    expect(plain(await entries.textContent())).toMatch(new RegExp(`обязательных полей — ${pctRu}$`));
    await page.keyboard.press('Escape');
    await entries.waitFor({ state: 'detached' });

    // Russian formats: the footer in words with дд.мм.гггг, the month axis «янв 2026», percentages «66,8 %».
    expect(plain(await page.getByTestId('dashboard-footer').textContent())).toMatch(
      /^Период: с 01\.06\.2026 до 01\.12\.2026 · данные на \d\d\.\d\d\.\d{4}, \d\d:\d\d · часовой пояс: МСК \(Europe\/Moscow\)$/,
    );
    expect(await page.locator('#root').innerText()).not.toMatch(/\b\d{4}-\d{2}-\d{2}\b|\d\.\d%/);

    // At 1440×900 the managers' table scrolls inside its panel, its first column stays in view.
    const fit = await page.evaluate(() => {
      const wrap = document.querySelector('[data-testid="managers-table"]')?.parentElement as HTMLElement;
      const panel = wrap.closest('.panel') as HTMLElement;
      return { wrap: wrap.getBoundingClientRect().right, panel: panel.getBoundingClientRect().right, vw: window.innerWidth };
    });
    expect(fit.wrap).toBeLessThanOrEqual(fit.panel + 0.5);
    expect(fit.panel).toBeLessThanOrEqual(fit.vw);
    // The stage table fits its panel at 1440×900: no column cut off.
    const stages = await page.evaluate(() => {
      const wrap = document.querySelector('[data-testid="stage-table"]')?.parentElement as HTMLElement;
      return { scroll: wrap.scrollWidth, client: wrap.clientWidth };
    });
    expect(stages.scroll).toBeLessThanOrEqual(stages.client);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'figures-dashboard-laptop');
    await page.getByTestId('managers-table').scrollIntoViewIfNeeded();
    await shot(page, 'figures-managers-laptop');
    expect(await axeProblems(page)).toEqual([]);
    await page.getByTestId('stat-velocity_per_day').click();
    await page.getByTestId('drill-total').waitFor();
    await shot(page, 'figures-drill-laptop');
    expect(await axeProblems(page)).toEqual([]);
    await page.keyboard.press('Escape');
    expect(s.errors).toEqual([]);
    await s.close();
  });

  it('the dashboard filter takes a day typed as дд.мм.гггг', async () => {
    const s = await open();
    const { page } = s;
    await page.goto(`${h.url}/dashboard?${PERIOD}`);
    await page.getByTestId('dashboard-stats').waitFor();
    expect(await page.getByTestId('filter-from').inputValue()).toBe('01.06.2026');
    await page.getByTestId('filter-from').fill('15.07.2026');
    await page.keyboard.press('Enter');
    await page.waitForURL(/from=2026-07-15/);
    await page.getByTestId('filter-from').fill('31.02.2026');
    await page.keyboard.press('Enter');
    await page.getByText('Дата в виде дд.мм.гггг').waitFor();
    expect(page.url()).toMatch(/from=2026-07-15/);
    await s.close();
  });

  it('«Вчера»: every tile opens its records, and the meetings say what their two numbers are', async () => {
    const s = await open();
    const { page } = s;
    await page.goto(`${h.url}/yesterday`);
    await page.getByTestId('y-meetings').waitFor();
    await page.waitForFunction(() => !document.querySelector('[data-testid="y-meetings"]')?.textContent?.includes('…'));
    const [held, total] = plain(await page.getByTestId('y-meetings').textContent())
      .split(' / ')
      .map((x) => Number(x.replace(/\s/g, '')));
    expect(plain(await page.getByTestId('tile-meetings').textContent())).toContain(`${held} из ${total} прошли или согласованы клиентом`);
    await page.getByTestId('tile-meetings').click();
    await page.getByTestId('meetings-summary').waitFor();
    if (total > 0) expect(await page.getByTestId('meetings-table').locator('tbody tr').count()).toBe(total);
    expect(await page.getByTestId('meetings-table').locator('tbody tr', { hasText: 'Учтено в' }).count()).toBe(held);
    await page.keyboard.press('Escape');
    const moved = Number(plain(await page.getByTestId('y-moved').textContent()).replace(/\s/g, ''));
    await page.getByTestId('tile-moved').click();
    if (moved > 0) {
      await page.getByTestId('drill-total').waitFor();
      expect(Number(await page.getByTestId('drill-total').getAttribute('data-count'))).toBe(moved);
    } else await page.getByText('Здесь пока пусто').waitFor();
    await page.keyboard.press('Escape');
    const done = Number(plain(await page.getByTestId('y-tasks_done').textContent()).replace(/\s/g, ''));
    await page.getByTestId('tile-tasks_done').click();
    await page.getByTestId('tasks-done-summary').waitFor();
    if (done > 0) expect(await page.getByTestId('tasks-done-table').locator('tbody tr').count()).toBe(done);
    await page.keyboard.press('Escape');
    await shot(page, 'figures-yesterday-laptop');
    expect(await axeProblems(page)).toEqual([]);
    await s.close();
  });
});

describe('«Мои задачи» in the workspace’s zone, whatever the browser’s', () => {
  /** Titles of the tasks in a section of the page. */
  const section = async (page: Page, name: 'overdue' | 'today' | 'upcoming') =>
    (await page.getByTestId(`tasks-${name}`).count())
      ? await page.getByTestId(`tasks-${name}`).locator('.task-title').allTextContents()
      : [];

  it('with the browser in UTC at 22:30 (01:30 in Moscow), a task due at 10:00 Moscow today is under «На сегодня», shown «10:00 МСК»', async () => {
    const due = '2026-12-03T07:00:00Z'; // 10:00 in Moscow on 03.12.2026
    await ropApi.post('/tasks', { title: 'Позвонить в УТЦ', type: 'call', due_at: due, owner_id: ropId });
    // 22:30 UTC on the 2nd is 01:30 on the 3rd in Moscow: the browser's day is still the 2nd.
    const s = await open({ timezoneId: 'UTC', at: '2026-12-02T22:30:00Z' });
    const { page } = s;
    await page.getByTestId('tasks-today').waitFor();
    await page.getByTestId('team-table').waitFor();
    expect(await section(page, 'today')).toContain('Позвонить в УТЦ');
    expect(await section(page, 'upcoming')).not.toContain('Позвонить в УТЦ');
    const item = page.getByTestId('tasks-today').locator('li', { hasText: 'Позвонить в УТЦ' });
    expect(plain(await item.getByTestId('task-due').textContent())).toBe('10:00 МСК');
    expect(plain(await page.getByTestId('zone-note').textContent())).toBe('Время указано в поясе МСК (Europe/Moscow)');
    await shot(page, 'figures-tasks-utc-laptop');
    expect(await axeProblems(page)).toEqual([]);
    await s.close();
  });

  it('with the browser in Novosibirsk at 02:00 (22:00 in Moscow), tomorrow’s 10:00 Moscow task is under «Ближайшие», not today', async () => {
    const due = '2026-12-03T07:00:00Z'; // 10:00 on the 3rd in Moscow = 14:00 on the 3rd in Novosibirsk
    await ropApi.post('/tasks', { title: 'Встреча в Новосибирске', type: 'meeting', due_at: due, owner_id: ropId });
    await ropApi.post('/tasks', { title: 'Отчёт до полуночи', type: 'follow_up', due_at: '2026-12-02T20:30:00Z', owner_id: ropId });
    // 19:00 UTC on the 2nd: 22:00 on the 2nd in Moscow, 02:00 on the 3rd in Novosibirsk.
    const s = await open({ timezoneId: 'Asia/Novosibirsk', at: '2026-12-02T19:00:00Z' });
    const { page } = s;
    await page.getByTestId('tasks-today').waitFor();
    await page.getByTestId('team-table').waitFor();
    expect(await section(page, 'upcoming')).toContain('Встреча в Новосибирске');
    expect(await section(page, 'today')).not.toContain('Встреча в Новосибирске');
    // 23:30 in Moscow on the 2nd: still today there (01:30 tomorrow in Novosibirsk).
    expect(await section(page, 'today')).toContain('Отчёт до полуночи');
    const item = page.getByTestId('tasks-upcoming').locator('li', { hasText: 'Встреча в Новосибирске' });
    expect(plain(await item.getByTestId('task-due').textContent())).toBe('03.12.2026, 10:00 МСК');
    const tonight = page.getByTestId('tasks-today').locator('li', { hasText: 'Отчёт до полуночи' });
    expect(plain(await tonight.getByTestId('task-due').textContent())).toBe('23:30 МСК');
    await shot(page, 'figures-tasks-novosibirsk-laptop');
    await s.close();
  });

  it('the team’s overdue count opens the manager’s overdue tasks; on a phone too', async () => {
    const s = await open({ viewport: { width: 390, height: 844 } });
    const { page } = s;
    await page.getByTestId('team-table').waitFor();
    const first = page.locator('[data-testid^="team-overdue-"]').first();
    const label = (await first.getAttribute('aria-label')) ?? '';
    const n = Number(plain(await first.textContent()).replace(/\s/g, ''));
    expect(label).toMatch(/, Просрочено сейчас: /);
    await first.click();
    const total = page.getByTestId('task-drill-total');
    await total.waitFor();
    expect(Number(await total.getAttribute('data-count'))).toBe(n);
    await shot(page, 'figures-team-overdue-phone');
    await page.keyboard.press('Escape');
    await page.getByTestId('team-overdue-all').click();
    await total.waitFor();
    const all = Number(await total.getAttribute('data-count'));
    expect(all).toBeGreaterThanOrEqual(n);
    await page.keyboard.press('Escape');
    await shot(page, 'figures-tasks-phone');
    expect(await axeProblems(page)).toEqual([]);
    await page.goto(`${h.url}/dashboard?${PERIOD}`);
    await page.getByTestId('managers-table').waitFor();
    await shot(page, 'figures-dashboard-phone');
    await page.getByTestId('stat-won_amount').click();
    await page.getByTestId('drill-total').waitFor();
    await shot(page, 'figures-drill-phone');
    await s.close();
  });

  it('a person’s own time zone (Settings) overrides the workspace’s; a wrong name is refused in Russian', async () => {
    // 15:00 in Moscow on the 2nd (19:00 in Novosibirsk): the task due at 10:00 Moscow on the 3rd is upcoming
    // whatever day the suite runs on.
    const s = await open({ at: '2026-12-02T12:00:00Z' });
    const { page } = s;
    await page.goto(`${h.url}/settings`);
    const field = page.getByLabel('Часовой пояс');
    await field.fill('Москва');
    await page.getByTestId('save-zone').click();
    await page.getByText('часовой пояс — название IANA вроде Europe/Moscow или Asia/Novosibirsk').waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    await field.fill('Asia/Novosibirsk');
    await page.getByTestId('save-zone').click();
    await page.getByRole('status').filter({ hasText: 'Сохранено' }).waitFor();
    await shot(page, 'figures-settings-zone-laptop');
    expect(await axeProblems(page)).toEqual([]);
    await page.goto(`${h.url}/tasks`);
    await page.getByTestId('tasks-upcoming').waitFor();
    // 10:00 in Moscow is 14:00 in Novosibirsk, the person's zone now; the browser is in Moscow, so the label shows.
    const item = page.getByTestId('tasks-upcoming').locator('li', { hasText: 'Позвонить в УТЦ' });
    expect(plain(await item.getByTestId('task-due').textContent())).toMatch(/14:00 МСК\+4$/);
    expect(plain(await page.getByTestId('zone-note').textContent())).toBe('Время указано в поясе МСК+4 (Asia/Novosibirsk)');
    await page.goto(`${h.url}/settings`);
    await page.getByLabel('Часовой пояс').fill('');
    await page.getByTestId('save-zone').click();
    await page.getByRole('status').filter({ hasText: 'Сохранено' }).waitFor();
    await s.close();
  });
});
