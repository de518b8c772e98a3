import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIVITY_TYPES } from '../../src/crm/activities.ts';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { openTodaysDemo } from '../support/demo-db.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * Notifications in the app (issue 16), in Russian: in one browser the head of sales mentions a
 * manager in a note on the manager's deal; in another the manager's bell shows it at once, without
 * a reload (the badge, its label with the plural, a toast); the panel opens the deal and marks it
 * read; the page lists all and the unread ones. The same on a phone. axe-core: no serious or
 * critical problem on the bell, its panel or the page.
 */
let h: Harness;
let browser: Browser;
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const NOTE = (ACTIVITY_TYPES as readonly string[]).includes('note') ? 'note' : 'email';

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

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });

async function signIn(context: BrowserContext, email: string, heading = 'Мои задачи') {
  const page = await context.newPage();
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Пароль').fill('voronka-demo');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('heading', { name: heading }).first().waitFor();
  return page;
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

/** The head of sales writes a note on the deal through the API from her own signed-in page (session cookie). */
async function mention(rop: Page, dealId: number, text: string) {
  const status = await rop.evaluate(
    async ({ dealId, text, type }) => {
      const r = await fetch('/api/v1/activities', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type, at: new Date().toISOString(), deal_id: dealId, notes: text }),
      });
      return r.status;
    },
    { dealId, text, type: NOTE },
  );
  expect(status).toBe(201);
}

describe('notifications in the app', () => {
  it("a colleague's mention reaches the manager's bell live, opens the deal and is marked read", async () => {
    const [maria] = await h.db.query<{ id: number }>(sql`select id from users where email = 'kuznetsova@demo.voronka.local'`);
    const deals = await h.db.query<{ id: number; title: string }>(
      sql`select id, title from deals where owner_id = ${maria.id} and status = 'open' order by id limit 2`,
    );
    // The demo writes no audit rows, so it leaves nobody anything to read.
    expect(await h.db.query(sql`select 1 from notifications`)).toEqual([]);

    const managerCtx = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1440, height: 900 } });
    const ropCtx = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    const manager = await signIn(managerCtx, 'kuznetsova@demo.voronka.local');
    manager.on('pageerror', (e) => errors.push(e.message));
    const rop = await signIn(ropCtx, 'rop@demo.voronka.local');
    const bell = manager.getByTestId('notif-bell');
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Уведомления: непрочитанных нет');
    // The stream is open before the colleague writes.
    await expect.poll(() => bell.getAttribute('data-live')).toBe('true');

    await mention(rop, deals[0].id, 'Мария, @мария кузнецова, клиент ждёт КП до пятницы');
    // No reload: the badge, the label and the toast come by the stream.
    await expect.poll(() => bell.getAttribute('aria-label'), { timeout: 10_000 }).toBe('1 непрочитанное уведомление');
    expect(await manager.getByTestId('notif-badge').textContent()).toBe('1');
    const toast = manager.getByTestId('notif-toast');
    await toast.waitFor();
    const sentence =
      NOTE === 'note'
        ? `Ольга Смирнова упоминает вас в заметке к сделке «${deals[0].title}»`
        : `Ольга Смирнова упоминает вас в записи «Письмо» по сделке «${deals[0].title}»`;
    expect(await toast.textContent()).toContain(sentence);
    await manager.waitForTimeout(400); // the toast's fade-in
    await shot(manager, 'notifications-toast');

    await mention(rop, deals[1].id, '@Мария Кузнецова, посмотрите договор');
    await mention(rop, deals[1].id, '@Мария Кузнецова и ещё раз — срочно');
    await expect.poll(() => bell.getAttribute('aria-label'), { timeout: 10_000 }).toBe('3 непрочитанных уведомления');

    await bell.click();
    const panel = manager.getByTestId('notif-panel');
    await panel.waitFor();
    await expect.poll(() => panel.locator('.notif-item').count()).toBe(3);
    expect(await panel.locator('.notif-item.unread').count()).toBe(3);
    expect(await axeProblems(manager, ['.notif-wrap', '.topbar'])).toEqual([]);
    await shot(manager, 'notifications-bell');

    // The oldest opens its deal and is read; the badge says 2.
    await panel.locator('.notif-item a').last().click();
    await manager.waitForURL(`**/deals/${deals[0].id}`);
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('2 непрочитанных уведомления');

    // The page: all three, then the unread two; one marked unread again; then all read from the page.
    await manager.goto(`${h.url}/notifications`);
    await manager.getByRole('heading', { name: 'Уведомления', level: 1 }).waitFor();
    const list = manager.getByTestId('notif-page-list');
    await expect.poll(() => list.locator('.notif-item').count()).toBe(3);
    expect(await list.locator('.notif-item.unread').count()).toBe(2);
    expect(await axeProblems(manager, ['.notif-page'])).toEqual([]);
    await shot(manager, 'notifications-page');
    await manager.getByRole('link', { name: /Непрочитанные/ }).click();
    await expect.poll(() => list.locator('.notif-item').count()).toBe(2);
    expect(manager.url()).toContain('/notifications?unread=1');
    await manager.getByRole('link', { name: 'Все', exact: true }).click();
    await expect.poll(() => list.locator('.notif-item').count()).toBe(3);
    await list.getByRole('button', { name: /^Отметить непрочитанным/ }).click();
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('3 непрочитанных уведомления');
    await manager.getByRole('button', { name: 'Отметить все прочитанными' }).click();
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Уведомления: непрочитанных нет');
    await expect.poll(() => list.locator('.notif-item.unread').count()).toBe(0);
    const [{ n }] = await h.db.query<{ n: number }>(
      sql`select count(*)::int8 as n from notifications where user_id = ${maria.id} and read_at is null`,
    );
    expect(Number(n)).toBe(0);
    expect(errors).toEqual([]);
    await managerCtx.close();
    await ropCtx.close();
  });

  it('on a phone: the bell in the top bar, its panel across the screen, the page', async () => {
    const [maria] = await h.db.query<{ id: number }>(sql`select id from users where email = 'kuznetsova@demo.voronka.local'`);
    const [deal] = await h.db.query<{ id: number }>(
      sql`select id from deals where owner_id = ${maria.id} and status = 'open' order by id desc limit 1`,
    );
    await h.db.query(sql`update notifications set read_at = now() where user_id = ${maria.id} and read_at is null`);
    const phone = await browser.newContext({ locale: 'ru-RU', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const ropCtx = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1440, height: 900 } });
    const manager = await signIn(phone, 'kuznetsova@demo.voronka.local');
    const rop = await signIn(ropCtx, 'rop@demo.voronka.local');
    const bell = manager.getByTestId('notif-bell');
    await expect.poll(() => bell.getAttribute('data-live')).toBe('true');
    await mention(rop, deal.id, '@Мария Кузнецова, позвоните клиенту сегодня');
    await expect.poll(() => bell.getAttribute('aria-label'), { timeout: 10_000 }).toBe('1 непрочитанное уведомление');
    await manager.getByTestId('notif-toast').waitFor();
    await manager.waitForTimeout(400);
    await shot(manager, 'notifications-phone-toast');
    const box = await bell.boundingBox();
    expect(box && box.x + box.width <= 390 && box.width >= 40).toBe(true);
    await bell.tap();
    const panel = manager.getByTestId('notif-panel');
    await panel.waitFor();
    const pbox = await panel.boundingBox();
    expect(pbox && pbox.x >= 0 && pbox.x + pbox.width <= 390).toBe(true);
    expect(await axeProblems(manager, ['.notif-wrap'])).toEqual([]);
    await shot(manager, 'notifications-phone-bell');
    await panel.getByRole('link', { name: 'Все уведомления' }).tap();
    await manager.getByRole('heading', { name: 'Уведомления', level: 1 }).waitFor();
    await manager.getByTestId('notif-page-list').waitFor();
    // Nothing scrolls sideways.
    expect(await manager.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await axeProblems(manager, ['.notif-page'])).toEqual([]);
    await shot(manager, 'notifications-phone-page');
    await phone.close();
    await ropCtx.close();
  });
});
