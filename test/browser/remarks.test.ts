import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/demo/demo-plan.ts';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { axeProblems } from '../support/axe.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { openTodaysDemo } from '../support/demo-db.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * Remarks on the standard (issue 17), in Russian, in a real browser over the demo: Мария Кузнецова
 * leaves a remark on the «Регион» field from her deal's card (the button, the dialog, «Отправить»,
 * the toast), and one from a company card on a phone with the keyboard alone; she sees both under
 * «Мои замечания». Ольга Смирнова, the head of sales, reads them on the standard's «Замечания» tab
 * beside the field-usage table (the same figures as the API, rare fields marked as candidates to
 * retire, the open remark counted on its field), accepts one with an answer, and Мария sees the
 * answer. axe-core on the dialog and the tab; no sideways scroll on a phone.
 */
let h: Harness;
let browser: Browser;
let dealId: number;
let dealTitle: string;
let companyId: number;

beforeAll(async () => {
  const now = new Date();
  const { db } = await openTodaysDemo(now);
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: now, db });
  const [d] = await h.db.query<{ id: number; title: string; company_id: number }>(sql`
    select d.id, d.title, d.company_id from deals d join users u on u.workspace_id = d.workspace_id and u.id = d.owner_id
     where u.email = 'kuznetsova@demo.voronka.local' and d.status = 'open' and d.company_id is not null order by d.id limit 1`);
  dealId = Number(d.id);
  dealTitle = d.title;
  companyId = Number(d.company_id);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
const plain = (s: string | null) =>
  (s ?? '')
    .replace(/[\u00a0\u202f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

async function signedIn(email: string, phone = false): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(
    phone
      ? { locale: 'ru-RU', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 }
      : { locale: 'ru-RU', viewport: { width: 1280, height: 800 } },
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

/** A request from the signed-in page (its cookie and origin). */
async function call<T = any>(page: Page, path: string): Promise<T> {
  return page.evaluate(async (path) => {
    const r = await fetch(`/api/v1${path}`);
    return r.json();
  }, path);
}

const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('remarks on the standard', () => {
  it('a manager leaves a remark from a deal card, and one from a company card on a phone with the keyboard', async () => {
    const { context, page } = await signedIn('kuznetsova@demo.voronka.local');
    await page.goto(`${h.url}/deals/${dealId}`);
    await page.getByTestId('deal-title').waitFor();
    await page.getByRole('button', { name: 'Замечание к стандарту' }).click();
    const dialog = page.getByRole('dialog', { name: 'Замечание к стандарту' });
    await dialog.waitFor();
    // The text takes the focus at once: the field is optional.
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('TEXTAREA');
    await expect
      .poll(async () => (await dialog.getByLabel('Поле').locator('option').allTextContents()).slice(0, 4))
      .toEqual(['Карточка в целом', 'Название', 'Сумма', 'Компания']);
    await dialog.getByLabel('Поле').selectOption({ label: 'Регион' });
    const text = 'Регион никто не заполняет — он и так есть в карточке компании';
    await dialog.getByLabel('Замечание').fill(text);
    expect(plain(await dialog.locator('.remark-left').textContent())).toBe(`осталось ${2000 - text.length} знаков`);
    expect(await axeProblems(page, ['[data-testid="remark-dialog"]'])).toEqual([]);
    await shot(page, 'card-remark');
    await dialog.getByRole('button', { name: 'Отправить' }).click();
    await dialog.waitFor({ state: 'detached' });
    const toast = page.getByTestId('create-toast');
    await expect.poll(async () => plain(await toast.textContent())).toContain('Замечание отправлено РОП');
    await context.close();

    const [stored] = await h.db.query<{ field: string; record_id: number; stage_id: number; deal_stage: number }>(sql`
      select r.field, r.record_id, r.stage_id, d.stage_id as deal_stage from standard_remarks r
        join deals d on d.workspace_id = r.workspace_id and d.id = r.record_id where r.object_type = 'deal'`);
    expect([stored.field, Number(stored.record_id), Number(stored.stage_id)]).toEqual(['region', dealId, Number(stored.deal_stage)]);

    const phone = await signedIn('kuznetsova@demo.voronka.local', true);
    const p = phone.page;
    await p.goto(`${h.url}/companies/${companyId}`);
    const button = p.getByRole('button', { name: 'Замечание к стандарту' });
    await button.waitFor();
    await button.focus();
    await p.keyboard.press('Enter');
    const sheet = p.getByRole('dialog', { name: 'Замечание к стандарту' });
    await sheet.waitFor();
    await p.keyboard.type('Нужно поле «Холдинг»: половина клиентов — дочки');
    await shot(p, 'card-remark-phone');
    expect(await sideways(p)).toBeLessThanOrEqual(0);
    expect(await axeProblems(p, ['[data-testid="remark-dialog"]'])).toEqual([]);
    // Tab goes from the text to «Отмена», then «Отправить».
    await p.keyboard.press('Tab');
    await p.keyboard.press('Tab');
    expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Отправить');
    await p.keyboard.press('Enter');
    await sheet.waitFor({ state: 'detached' });
    // Focus is back on the button that opened the dialog.
    expect(await p.evaluate(() => document.activeElement?.textContent?.trim())).toBe('✎ Замечание к стандарту');

    await p.goto(`${h.url}/standard/remarks`);
    await p.getByRole('heading', { name: 'Мои замечания' }).waitFor();
    const mine = p.getByTestId('remark');
    await expect.poll(() => mine.count()).toBe(2);
    expect(plain(await mine.nth(0).textContent())).toContain('Нужно поле «Холдинг»: половина клиентов — дочки');
    expect(plain(await mine.nth(1).locator('.remark-head').textContent())).toBe('СделкаРегионНовое');
    expect(await p.getByTestId('remark-answer-form').count()).toBe(0);
    expect(await sideways(p)).toBeLessThanOrEqual(0);
    await phone.context.close();
  });

  it('the head of sales reads them beside the field usage, accepts one with an answer; the author sees it', async () => {
    const { context, page } = await signedIn('rop@demo.voronka.local');
    await page.goto(`${h.url}/standard/remarks`);
    await page.getByRole('heading', { name: 'Замечания к стандарту' }).waitFor();
    const table = page.getByTestId('usage-table');
    await table.waitFor();
    const usage = await call(page, '/field-usage?object=deal');
    const region = usage.fields.find((f: { field: string }) => f.field === 'region');
    const row = page.getByTestId('usage-region');
    const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)} %`);
    // The row shows the API's figures: the share, n of N, each stage's share, the open remark.
    expect(plain(await row.locator('td').first().textContent())).toBe(
      plain(`${pct(region.share)}${region.filled.toLocaleString('ru-RU')} из ${usage.records.toLocaleString('ru-RU')}`),
    );
    expect((await row.locator('td').allTextContents()).slice(1, -1).map(plain)).toEqual(
      region.by_stage.map((s: { share: number | null }) => plain(pct(s.share))),
    );
    expect(plain(await row.locator('td').last().textContent())).toBe('1 — показать замечания к полю «Регион»');
    expect(await table.locator('thead th').allTextContents()).toEqual([
      'Поле',
      'Заполнено',
      ...usage.stages.map((s: { name: string }) => s.name),
      'Замечания',
    ]);
    const rare = usage.fields
      .filter((f: { share: number | null }) => f.share !== null && f.share < 0.1)
      .map((f: { field: string }) => f.field);
    expect(rare.length).toBeGreaterThan(0);
    expect(await table.locator('tr.candidate').count()).toBe(rare.length);
    expect(plain(await page.getByTestId(`usage-${rare[0]}`).locator('th').textContent())).toContain('Кандидат на удаление');
    expect(await page.getByTestId('usage-designer').getAttribute('href')).toBe('/standard/cards');

    // The remark count on the field filters the list to it.
    const list = page.getByTestId('remark');
    await expect.poll(() => list.count()).toBe(2);
    await row.getByRole('button', { name: '1 — показать замечания к полю «Регион»' }).click();
    await expect.poll(() => list.count()).toBe(1);
    expect(plain(await list.first().textContent())).toContain('Мария Кузнецова');
    expect(plain(await list.first().textContent())).toContain(dealTitle);
    expect(await axeProblems(page, ['.remarks-page'])).toEqual([]);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'standard-remarks');
    await page.getByTestId('field-usage').scrollIntoViewIfNeeded();
    await page.locator('.usage-wrap').evaluate((el) => el.scrollTo(0, 0));
    await shot(page, 'standard-remarks-usage');

    const form = list.first().getByTestId('remark-answer-form');
    await form.getByLabel('Статус').selectOption({ label: 'Отклонено' });
    await form.getByRole('button', { name: 'Сохранить' }).click();
    expect(plain(await form.getByRole('alert').textContent())).toBe('Напишите, почему замечание отклонено');
    await form.getByLabel('Статус').selectOption({ label: 'Принято' });
    await form.getByLabel('Ответ').fill('Согласна: уберём регион со сделки на следующей неделе');
    await form.getByRole('button', { name: 'Сохранить' }).click();
    await expect.poll(async () => plain(await page.getByTestId('create-toast').textContent())).toContain('Ответ сохранён');
    // The list shows the open ones: the accepted remark has left it, and the count on the field is 0.
    await expect.poll(() => list.count()).toBe(0);
    await expect.poll(async () => plain(await row.locator('td').last().textContent())).toBe('0');
    await context.close();

    const phone = await signedIn('rop@demo.voronka.local', true);
    await phone.page.goto(`${h.url}/standard/remarks`);
    await phone.page.getByTestId('usage-table').waitFor();
    await expect.poll(() => phone.page.getByTestId('remark').count()).toBe(1);
    expect(await sideways(phone.page)).toBeLessThanOrEqual(0);
    expect(await axeProblems(phone.page, ['.remarks-page'])).toEqual([]);
    await shot(phone.page, 'standard-remarks-phone');
    await phone.context.close();

    const maria = await signedIn('kuznetsova@demo.voronka.local');
    await maria.page.goto(`${h.url}/standard/remarks`);
    const answered = maria.page.getByTestId('remark').filter({ hasText: 'Регион никто не заполняет' });
    await answered.waitFor();
    expect(plain(await answered.locator('.remark-answer').textContent())).toMatch(
      /^Ответ: Ольга Смирнова, \d\d\.\d\d\.\d{4}Согласна: уберём регион со сделки на следующей неделе$/,
    );
    expect(plain(await answered.locator('.remark-status').textContent())).toBe('Принято');
    await shot(maria.page, 'standard-remarks-mine');
    await maria.context.close();
  });
});
