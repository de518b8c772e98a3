import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { type AxeProblem, axeProblems } from '../support/axe.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { openTodaysDemo } from '../support/demo-db.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * Accessibility and layout of every screen (issue 16), in Russian, on a laptop (1440×900) and a
 * phone (390×844): axe-core (WCAG 2.1 A and AA) finds no serious or critical problem on any of
 * them; the keyboard reaches the content by a skip link, stays in the move dialog and returns to
 * the card, walks every card of the virtualised board; the drag-and-drop is announced in Russian;
 * the menu column reaches the bottom of a long page, the phone's bottom bar has labels.
 */
let h: Harness;
let browser: Browser;
let ids: { deal: number; company: number; contact: number; lead: number };

beforeAll(async () => {
  // A real browser drops cookies that expire in the past: pin the clock to the real now.
  // VORONKA_WEB_DIST: a build of the web app elsewhere than web/dist (to try a change while web/dist is another's).
  const now = new Date();
  const { db } = await openTodaysDemo(now);
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: now, db });
  browser = await launchBrowser();
  [ids] = await h.db.query<typeof ids>(sql`
    select (select min(id) from deals) as deal, (select min(id) from companies) as company,
           (select min(id) from contacts) as contact, (select min(id) from leads) as lead`);
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const LAPTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
type Device = 'laptop' | 'phone';

async function open(device: Device): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(
    device === 'laptop' ? { locale: 'ru-RU', viewport: LAPTOP } : { locale: 'ru-RU', viewport: PHONE, isMobile: true, hasTouch: true },
  );
  return { context, page: await context.newPage() };
}

const shot = (page: Page, name: string, device: Device) => page.screenshot({ path: join(SCREENSHOTS, `layout-${name}-${device}.png`) });

async function waitIdle(page: Page) {
  await page.waitForFunction(() => !document.querySelector('.spinner, [aria-busy=true]'));
}

async function signIn(page: Page) {
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill('rop@demo.voronka.local');
  await page.getByLabel('Пароль').fill('voronka-demo');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('heading', { name: 'Мои задачи' }).waitFor();
}

/** The screens of the router in App.tsx (and the sign-in before it), each with what shows it is there. */
function screens(): { name: string; path: string; ready: (p: Page) => Promise<unknown> }[] {
  const h1 = (name: string | RegExp) => (p: Page) => p.getByRole('heading', { level: 1, name }).waitFor();
  return [
    { name: 'tasks', path: '/tasks', ready: h1('Мои задачи') },
    { name: 'board', path: '/board', ready: (p) => p.getByTestId('board').waitFor() },
    { name: 'dashboard', path: '/dashboard', ready: (p) => p.getByTestId('dashboard-stats').waitFor() },
    {
      name: 'drill-down',
      path: '/dashboard',
      ready: async (p) => {
        await p.getByTestId('dashboard-stats').waitFor();
        await waitIdle(p);
        await p.getByTestId('stage_entered-Встреча').click();
        await p.getByTestId('drill-table').waitFor();
      },
    },
    { name: 'yesterday', path: '/yesterday', ready: h1(/^Вчера/) },
    { name: 'deals', path: '/deals', ready: h1('Сделки') },
    { name: 'companies', path: '/companies', ready: h1('Компании') },
    { name: 'contacts', path: '/contacts', ready: h1('Контакты') },
    { name: 'leads', path: '/leads', ready: h1('Лиды') },
    { name: 'deal-card', path: `/deals/${ids.deal}`, ready: (p) => p.getByTestId('deal-title').waitFor() },
    { name: 'company-card', path: `/companies/${ids.company}`, ready: (p) => p.locator('h1').waitFor() },
    { name: 'contact-card', path: `/contacts/${ids.contact}`, ready: (p) => p.locator('h1').waitFor() },
    { name: 'lead-card', path: `/leads/${ids.lead}`, ready: (p) => p.locator('h1').waitFor() },
    { name: 'marketing', path: '/marketing', ready: (p) => p.getByTestId('channels-table').waitFor() },
    { name: 'marketing-spend', path: '/marketing/spend', ready: (p) => p.getByTestId('spend-table').waitFor() },
    { name: 'marketing-icp', path: '/marketing/icp', ready: (p) => p.getByTestId('icp-rule-0').waitFor() },
    // Key accounts and service (issue 19): whatever contracts and cases the demo holds, each screen is drawn.
    { name: 'accounts', path: '/accounts', ready: (p) => p.getByTestId('owners-table').waitFor() },
    { name: 'accounts-renewals', path: '/accounts/renewals', ready: (p) => p.getByTestId('renewals-page').waitFor() },
    { name: 'accounts-cases', path: '/accounts/cases', ready: (p) => p.getByTestId('cases-page').waitFor() },
    { name: 'accounts-settings', path: '/accounts/settings', ready: (p) => p.getByTestId('settings-groups').waitFor() },
    {
      name: 'case-dialog',
      path: `/deals/${ids.deal}`,
      ready: async (p) => {
        await p.getByTestId('deal-title').waitFor();
        await p.getByTestId('log-case').click();
        await p.getByTestId('case-dialog').waitFor();
      },
    },
    { name: 'review', path: '/review', ready: h1('Нетиповые сделки на рассмотрении') },
    { name: 'notifications', path: '/notifications', ready: (p) => p.locator('main').waitFor() },
    { name: 'settings', path: '/settings', ready: h1('Настройки') },
  ];
}

async function everyScreen(device: Device) {
  const { context, page } = await open(device);
  const found: Record<string, AxeProblem[]> = {};
  await page.goto(h.url);
  await page.getByRole('heading', { name: 'Вход в Воронку' }).waitFor();
  found.login = await axeProblems(page);
  await shot(page, 'login', device);
  await signIn(page);
  for (const s of screens()) {
    await page.goto(`${h.url}${s.path}`);
    await s.ready(page);
    await waitIdle(page);
    found[s.name] = await axeProblems(page);
    await shot(page, s.name, device);
  }
  await context.close();
  return found;
}

describe('every screen passes axe-core', () => {
  for (const device of ['laptop', 'phone'] as const) {
    it(`on a ${device}: no serious or critical violation on any of the screens`, async () => {
      const found = await everyScreen(device);
      const names = ['login', ...screens().map((s) => s.name)];
      expect(Object.keys(found)).toEqual(names);
      expect(found).toEqual(Object.fromEntries(names.map((n) => [n, []])));
    });
  }
});

/** The focused element: its test id, else its tag and text. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return el?.getAttribute('data-testid') ?? `${el?.tagName.toLowerCase()}:${el?.textContent?.trim().slice(0, 40)}`;
  });
const liveRegion = (page: Page) => page.evaluate(() => document.querySelector('[id^="DndLiveRegion"]')?.textContent ?? null);
/**
 * dnd-kit's keyboard sensor starts listening for the arrows and Escape in a timer set when the drag
 * starts: a timer set after the pick-up's announcement runs after it.
 */
const sensorListening = (page: Page) => page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
/** Waits for dnd-kit's live region to say `text`; a failure names what it said instead. */
async function announced(page: Page, text: string) {
  await page
    .waitForFunction((t) => document.querySelector('[id^="DndLiveRegion"]')?.textContent === t, text, { timeout: 5000 })
    .catch(async () => {
      throw new Error(`the live region says ${JSON.stringify(await liveRegion(page))}, not ${JSON.stringify(text)}`);
    });
}

describe('the keyboard and a screen reader', () => {
  it('skip link first; Tab walks every card of the virtualised board; a keyboard drag is announced in Russian; the move dialog keeps focus and gives it back to the card', async () => {
    // A deal in «Квалификация» lacking the decision-maker field «Встреча» requires (as in web-app.test.ts).
    const [target] = await h.db.query<{ id: number; title: string }>(sql`
      select d.id, d.title from deals d join stages s on s.workspace_id = d.workspace_id and s.id = d.stage_id
       where s.name = 'Квалификация' and d.status = 'open' and d.custom->>'decision_maker_known' is null
       order by d.id limit 1`);
    expect(target).toBeDefined();
    const { context, page } = await open('laptop');
    await signIn(page);
    await page.goto(`${h.url}/board`);
    await page.getByTestId('board').waitFor();
    await waitIdle(page);

    // The first Tab of a page reaches the skip link, shown on screen; Enter puts focus on the content.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('skip-link');
    const skip = page.getByTestId('skip-link');
    expect(await skip.textContent()).toBe('Перейти к содержимому');
    expect((await skip.boundingBox())!.y).toBeGreaterThanOrEqual(0);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');

    // Tab from the first card of «Квалификация» visits each of its cards in order (the list draws only
    // those near the view), then the first card of the next stage; Shift+Tab goes back to its last.
    const board = await page.evaluate(() => fetch('/api/v1/board').then((r) => r.json()));
    const open_ = (board.columns as { name: string; kind: string; deals: { id: number }[] }[]).filter((c) => c.kind === 'open');
    const q = open_.findIndex((c) => c.name === 'Квалификация');
    const ids = open_[q].deals.map((d) => `card-${d.id}`);
    const next = open_.slice(q + 1).find((c) => c.deals.length > 0)!;
    expect(ids.length).toBeGreaterThan(12); // more than the column draws at once
    expect(await page.getByTestId('column-Квалификация').locator('.deal-card').count()).toBeLessThan(ids.length);
    await page.getByTestId(ids[0]).focus();
    const walked: string[] = [await focused(page)];
    for (let i = 0; i < ids.length; i++) {
      await page.keyboard.press('Tab');
      await page.waitForFunction((prev) => document.activeElement?.getAttribute('data-testid') !== prev, walked.at(-1));
      walked.push(await focused(page));
    }
    expect(walked).toEqual([...ids, `card-${next.deals[0].id}`]);
    await page.keyboard.press('Shift+Tab');
    await page.waitForFunction((id) => document.activeElement?.getAttribute('data-testid') === id, ids.at(-1));
    for (let i = ids.length - 2; i >= ids.length - 4; i--) {
      await page.keyboard.press('Shift+Tab');
      expect(await focused(page)).toBe(ids[i]);
    }

    // The card says how to drag it, in Russian; Space picks it up, → carries it to «Встреча», Space drops it.
    await page.getByPlaceholder('Сделка или компания').fill(target.title);
    await waitIdle(page);
    const card = page.getByTestId('column-Квалификация').getByTestId(`card-${target.id}`);
    await card.waitFor();
    expect(await card.getAttribute('aria-roledescription')).toBe('перетаскиваемая карточка');
    const described = await card.getAttribute('aria-describedby');
    expect(await page.evaluate((id) => document.getElementById(id!)?.textContent, described)).toBe(
      'Чтобы взять карточку сделки, нажмите пробел или Enter. Стрелками переносите её между этапами, пробелом или Enter отпустите, Esc — отмена.',
    );
    await card.focus();
    await page.keyboard.press('Space');
    await announced(page, `Карточка «${target.title}» взята, этап «Квалификация».`);
    await sensorListening(page);
    await page.keyboard.press('Escape');
    await announced(page, `Перенос отменён, карточка «${target.title}» осталась на этапе «Квалификация».`);
    await card.focus();
    await page.keyboard.press('Space');
    await announced(page, `Карточка «${target.title}» взята, этап «Квалификация».`);
    await sensorListening(page);
    await page.keyboard.press('ArrowRight');
    await announced(page, `Карточка «${target.title}» над этапом «Встреча».`);
    await page.keyboard.press('Space');
    const dialog = page.getByTestId('move-dialog');
    await dialog.waitFor();
    expect(await liveRegion(page)).toBe(`Карточка «${target.title}» отпущена на этапе «Встреча».`);

    // The dialog: focus inside, Tab and Shift+Tab cycle through its controls and never reach the board behind.
    // (Its fields are drawn once the field definitions arrive: the decision-maker field becomes a choice.)
    await dialog.getByLabel('ЛПР определён', { exact: true }).locator('option').nth(1).waitFor({ state: 'attached' });
    await page.waitForFunction(() => document.activeElement?.closest('[role=dialog]')?.contains(document.activeElement), null, {
      timeout: 2000,
    });
    expect(await page.evaluate(() => document.getElementById('root')?.hasAttribute('inert'))).toBe(true);
    const stops = await page.evaluate(
      () =>
        // the controls on screen (those in the closed «Перенести, не заполняя» are not)
        Array.from(document.querySelectorAll<HTMLElement>('[role=dialog] :is(a[href], button, input, select, textarea, summary)')).filter(
          (e) => !(e as HTMLButtonElement).disabled && e.checkVisibility({ visibilityProperty: true }),
        ).length,
    );
    expect(stops).toBe(5); // ✕, the decision-maker choice, Отмена, Заполнить и перенести, the force summary
    const firstStop = await focused(page);
    const trail: string[] = [];
    const where = async () =>
      `${(await page.evaluate(() => !!document.activeElement?.closest('[role=dialog]'))) ? '' : 'OUTSIDE '}${await focused(page)}`;
    for (let i = 0; i < stops * 2 + 1; i++) {
      await page.keyboard.press('Tab');
      trail.push(await where());
    }
    expect(trail).toEqual(trail.map((s) => s.replace(/^OUTSIDE /, '')));
    // Tab from the last control comes back to the first.
    expect(trail[stops - 1]).toBe(firstStop);
    expect(trail[2 * stops - 1]).toBe(firstStop);
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('[role=dialog]'))).toBe(true);
    // Around once more lands where it started.
    for (let i = 0; i < stops; i++) await page.keyboard.press('Shift+Tab');
    for (let i = 0; i < stops + 1; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('[role=dialog]'))).toBe(true);
    expect(await axeProblems(page, ['[role=dialog]'])).toEqual([]);
    await shot(page, 'move-dialog', 'laptop');
    expect(firstStop).not.toBe('body:');

    // Escape closes it and gives focus back to the card; the deal stayed in «Квалификация».
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focused(page)).toBe(`card-${target.id}`);
    expect(await page.evaluate(() => document.getElementById('root')?.hasAttribute('inert'))).toBe(false);
    const [still] = await h.db.query<{ stage: string }>(
      sql`select s.name as stage from deals d join stages s on s.workspace_id = d.workspace_id and s.id = d.stage_id where d.id = ${target.id}`,
    );
    expect(still.stage).toBe('Квалификация');
    await context.close();
  });
});

describe('the layout', () => {
  it('on a laptop: the menu column reaches the bottom of long pages; board, tasks, review and settings are not cut off', async () => {
    const { context, page } = await open('laptop');
    await signIn(page);
    for (const path of ['/dashboard', `/deals/${ids.deal}`]) {
      await page.goto(`${h.url}${path}`);
      await page.locator('main h1').first().waitFor();
      await waitIdle(page);
      const m = await page.evaluate(() => {
        window.scrollTo(0, document.documentElement.scrollHeight);
        const side = document.querySelector('.sidebar')!.getBoundingClientRect();
        const nav = document.querySelector('.mainnav')!.getBoundingClientRect();
        return {
          page: document.documentElement.scrollHeight,
          view: innerHeight,
          side: side.height,
          sideBottom: side.bottom,
          navTop: nav.top,
        };
      });
      expect(m.page).toBeGreaterThan(m.view); // a long page
      expect(Math.round(m.side)).toBe(m.page); // the dark column is as tall as the page
      expect(Math.round(m.sideBottom)).toBe(m.view);
      expect(m.navTop).toBeGreaterThanOrEqual(0); // and its menu is in view at the bottom of the page
      expect(m.navTop).toBeLessThan(120);
      await shot(page, `${path === '/dashboard' ? 'dashboard' : 'deal-card'}-bottom`, 'laptop');
    }
    for (const path of ['/board', '/tasks', '/review', '/settings']) {
      await page.goto(`${h.url}${path}`);
      await page.locator('main h1').first().waitFor();
      await waitIdle(page);
      const cut = await page.evaluate(() => {
        const root = document.documentElement;
        const out: string[] = [];
        if (root.scrollWidth > root.clientWidth) out.push(`page ${root.scrollWidth} > ${root.clientWidth}`);
        const top = document.querySelector('.topbar')!;
        if (top.scrollWidth > top.clientWidth) out.push('topbar');
        for (const t of document.querySelectorAll('main .table-wrap'))
          if (t.scrollWidth > t.clientWidth) out.push(`table ${t.scrollWidth} > ${t.clientWidth}`);
        for (const c of document.querySelectorAll('.column')) {
          const r = c.getBoundingClientRect();
          if (r.bottom > innerHeight) out.push(`column ${c.getAttribute('aria-label')} ends at ${r.bottom}`);
        }
        return out;
      });
      expect({ path, cut }).toEqual({ path, cut: [] });
    }
    await context.close();
  });

  it('on a phone: a bottom bar with labels, "Ещё" for the rest, the search and the "+" above it under the thumb, Settings and the header fit', async () => {
    const { context, page } = await open('phone');
    await signIn(page);
    const bar = (await page.locator('nav.mainnav').boundingBox())!;
    expect(bar.y + bar.height).toBeGreaterThan(844 - 40); // at the bottom edge
    // innerText, not textContent: the words on screen (the phone's short label, not the hidden full one).
    const tabs = await page.locator('nav.mainnav > :is(a, button)').evaluateAll((els) =>
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is checked
      els.filter((e) => e.getClientRects().length > 0).map((e) => (e as HTMLElement).innerText.replace(/\s+/g, ' ').trim()),
    );
    expect(tabs).toEqual(['☑ Задачи', '▦ Доска', '◔ Дашборд', '◷ Вчера', '☰ Ещё']);
    for (const id of ['search-fab', 'create-fab']) {
      const b = (await page.getByTestId(id).boundingBox())!;
      expect(b.y + b.height).toBeLessThanOrEqual(bar.y); // above the bar, not over it
      expect(b.y + b.height).toBeGreaterThan(844 * 0.8);
      expect(b.x).toBeGreaterThan(390 / 2);
    }
    const header = await page.evaluate(() => {
      const t = document.querySelector('.topbar')!;
      return { scroll: t.scrollWidth, client: t.clientWidth, page: document.documentElement.scrollWidth };
    });
    expect(header.scroll).toBeLessThanOrEqual(header.client);
    expect(header.page).toBeLessThanOrEqual(390);
    await shot(page, 'tasks-bar', 'phone');

    // "Ещё": every other section, Settings, the language and sign-out, in a sheet; focus comes back to "Ещё" on Escape.
    await page.getByTestId('nav-more').tap();
    const sheet = page.getByTestId('more-sheet');
    await sheet.waitFor();
    expect(await sheet.getByRole('link').allTextContents()).toEqual([
      '☑Мои задачи',
      '▦Доска сделок',
      '◔Дашборд',
      '◷Вчерашние цифры',
      '₽Сделки',
      '▣Компании',
      '☺Контакты',
      '✦Лиды',
      '◎Маркетинг',
      '◈Клиенты',
      '⚙Настройки',
      '☰Стандарт продаж',
      '⇪Импорт',
    ]);
    await sheet.getByLabel('Язык').waitFor();
    await sheet.getByRole('button', { name: 'Выйти' }).waitFor();
    expect(await axeProblems(page, ['[role=dialog]'])).toEqual([]);
    await shot(page, 'more', 'phone');
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'detached' });
    expect(await focused(page)).toBe('nav-more');
    await page.getByTestId('nav-more').tap();
    await sheet.getByRole('link', { name: 'Настройки' }).tap();
    await page.getByRole('heading', { level: 1, name: 'Настройки' }).waitFor();
    await sheet.waitFor({ state: 'detached' });
    expect(await page.getByTestId('nav-more').getAttribute('class')).toContain('active');
    const settings = await page.evaluate(() => {
      const out: string[] = [];
      for (const el of document.querySelectorAll<HTMLElement>('main *')) {
        const r = el.getBoundingClientRect();
        if (r.width > 0 && (r.left < -1 || r.right > innerWidth + 1))
          out.push(`${el.tagName} ${Math.round(r.left)}…${Math.round(r.right)}`);
      }
      return { out, scroll: document.documentElement.scrollWidth };
    });
    expect(settings).toEqual({ out: [], scroll: 390 });
    await context.close();
  });
});
