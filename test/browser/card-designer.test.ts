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
 * The card designer (issue 17), in Russian, in a real browser over the demo: Ольга Смирнова, the
 * head of sales, adds a block «Оплата» to the deal card, pins it and moves it to the top, adds a
 * multiple-choice field «Способ оплаты» in it, moves «Основной конкурент» there with the «В блок» select and
 * puts it first with the keyboard; the preview shows it all before «Сохранить»; the API, the
 * database and a reload show it kept, and a demo deal's card shows the block on top, where the
 * field is edited with its chips. A layout changed behind the page answers 409 with the edit kept;
 * «Отменить» drops unsaved changes; axe-core on a laptop and a phone; on a phone no sideways
 * scroll and «Сохранить» clear of the floating buttons.
 */
let h: Harness;
let browser: Browser;
let dealId: number;

beforeAll(async () => {
  const now = new Date();
  const { db } = await openTodaysDemo(now);
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: now, db });
  const [d] = await h.db.query<{ id: number }>(sql`select id from deals where status = 'open' order by id limit 1`);
  dealId = Number(d.id);
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

async function signedIn(phone = false): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(
    phone
      ? { locale: 'ru-RU', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 }
      : { locale: 'ru-RU', viewport: { width: 1440, height: 900 } },
  );
  const page = await context.newPage();
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill('rop@demo.voronka.local');
  await page.getByLabel('Пароль').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('navigation').first().waitFor();
  await page.waitForLoadState('networkidle');
  return { context, page };
}

interface LayoutOut {
  version: string;
  blocks: { id: number; name_ru: string; name_en: string; pinned: boolean; fields: { key: string }[] }[];
  loose: { key: string }[];
}

/** A request from the signed-in page (its cookie and origin). */
async function call<T = any>(page: Page, path: string, method = 'GET', body?: unknown): Promise<{ status: number; json: T }> {
  return page.evaluate(
    async ({ path, method, body }) => {
      const r = await fetch(`/api/v1${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, json: await r.json() };
    },
    { path, method, body },
  );
}

/** The layout as the PUT takes it. */
const bodyOf = (l: LayoutOut) => ({
  version: l.version,
  blocks: l.blocks.map((b) => ({ id: b.id, name_ru: b.name_ru, name_en: b.name_en, pinned: b.pinned, fields: b.fields.map((f) => f.key) })),
  loose: l.loose.map((f) => f.key),
});

const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);
const blockKeys = (page: Page, name: string) =>
  page
    .getByTestId(`designer-block-${name}`)
    .locator('[data-testid^="designer-field-"]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')?.slice('designer-field-'.length)));
const previewBlocks = (page: Page) =>
  page
    .getByTestId('designer-preview')
    .locator('section[data-block]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-block')));

async function openDesigner(page: Page) {
  await page.goto(`${h.url}/standard/cards`);
  await page.getByTestId('card-designer').waitFor();
  await page.getByTestId('designer-object-deal').click();
  await page.getByTestId('designer-block-Квалификация').waitFor();
}

describe('the card designer', () => {
  it('a new pinned block with a new multiple-choice field and a moved field, saved, on the deal card', async () => {
    const { context, page } = await signedIn();
    await openDesigner(page);
    expect(await page.getByTestId('designer-object-deal').getAttribute('aria-pressed')).toBe('true');
    expect(plain(await page.getByTestId('designer-status').textContent())).toBe('Изменений нет');
    expect(await page.getByTestId('designer-save').isDisabled()).toBe(true);
    expect(await blockKeys(page, 'Конкуренция и решение')).toEqual(['competitor', 'decision_date']);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'standard-cards-laptop');

    // A new block «Оплата», pinned and moved above the others.
    await page.getByTestId('new-block-name').fill('Оплата');
    await page.getByRole('button', { name: 'Добавить блок' }).click();
    const block = page.getByTestId('designer-block-Оплата');
    await block.waitFor();
    // An empty block is not on the card yet.
    expect(await previewBlocks(page)).not.toContain('Оплата');
    const pin = page.getByRole('button', { name: 'Закрепить блок «Оплата» сверху карточки' });
    await pin.click();
    expect(await pin.getAttribute('aria-pressed')).toBe('true');
    expect(plain(await block.locator('h3').textContent())).toBe('Оплата Закреплён');
    await page.getByRole('button', { name: 'Блок «Оплата» выше' }).click();
    await page.getByRole('button', { name: 'Блок «Оплата» выше' }).click();
    expect(await page.getByRole('button', { name: 'Блок «Оплата» выше' }).isDisabled()).toBe(true);

    // A new multiple-choice field in it; the form checks its choices first.
    const nf = page.getByTestId('new-field');
    await nf.getByTestId('new-field-label_ru').fill('Способ оплаты');
    await nf.getByTestId('new-field-label_en').fill('Payment method');
    expect(await nf.getByTestId('new-field-key').inputValue()).toBe('payment_method');
    await nf.getByTestId('new-field-type').selectOption({ label: 'Несколько из списка' });
    await nf.getByTestId('new-field-block').selectOption({ label: 'Оплата' });
    await nf.getByTestId('new-field-add').click();
    expect(plain(await nf.locator('.designer-choices .cf-error').textContent())).toBe('Нужен хотя бы один вариант');
    await nf.getByTestId('new-field-choices').fill('Безнал\nНаличные\nБезнал');
    await nf.getByTestId('new-field-add').click();
    expect(plain(await nf.locator('.designer-choices .cf-error').textContent())).toBe('Вариант «Безнал» повторяется');
    await nf.getByTestId('new-field-choices').fill('Безнал\nНаличные\nРассрочка');
    await nf.getByTestId('new-field-add').click();
    await block.getByTestId('designer-field-payment_method').waitFor();
    expect(plain(await block.getByTestId('designer-field-payment_method').locator('.designer-type').textContent())).toBe(
      'Несколько из спискановое',
    );

    // «Основной конкурент» moved into «Оплата» with the «В блок» select, then put first with the keyboard.
    await page.getByTestId('move-competitor').selectOption({ label: 'Оплата' });
    expect(await blockKeys(page, 'Оплата')).toEqual(['payment_method', 'competitor']);
    expect(await blockKeys(page, 'Конкуренция и решение')).toEqual(['decision_date']);
    await page.getByRole('button', { name: 'Поле «Основной конкурент» выше' }).focus();
    await page.keyboard.press('Enter');
    expect(await blockKeys(page, 'Оплата')).toEqual(['competitor', 'payment_method']);

    // The preview is the card as it will be, before saving: «Оплата» first, with its two fields.
    expect((await previewBlocks(page))[0]).toBe('Оплата');
    const pv = page.getByTestId('designer-preview').locator('section[data-block="Оплата"]');
    expect(await pv.locator('dt').allTextContents()).toEqual(['Основной конкурент', 'Способ оплаты']);
    expect(plain(await pv.locator('h2').textContent())).toContain('Оплата');
    expect(await pv.evaluate((e) => e.classList.contains('pinned'))).toBe(true);
    expect(plain(await page.getByTestId('designer-status').textContent())).toMatch(/^\d+ несохранённ/);
    expect(await axeProblems(page)).toEqual([]);
    await page.getByTestId('designer-preview').scrollIntoViewIfNeeded();
    await shot(page, 'standard-cards-preview');

    await page.getByTestId('designer-save').click();
    await expect.poll(async () => plain(await page.getByTestId('designer-status').textContent())).toBe('Раскладка сохранена');
    expect(await page.getByTestId('designer-save').isDisabled()).toBe(true);

    // The API and the database: the block first, pinned, with its fields in order; the new field with its choices.
    const { json: api } = await call<LayoutOut>(page, '/card-layouts/deal');
    expect(api.blocks.map((b) => [b.name_ru, b.pinned, b.fields.map((f) => f.key)])).toEqual([
      ['Оплата', true, ['competitor', 'payment_method']],
      ['Квалификация', true, ['budget_confirmed', 'decision_maker_known']],
      ['Конкуренция и решение', false, ['decision_date']],
    ]);
    const [row] = await h.db.query<{ pinned: boolean; keys: string[] }>(sql`
      select b.pinned, array(select f.key from custom_fields f where f.workspace_id = b.workspace_id and f.block_id = b.id order by f.position, f.id) as keys
        from field_blocks b where b.object_type = 'deal' and b.name_ru = 'Оплата'`);
    expect(row).toEqual({ pinned: true, keys: ['competitor', 'payment_method'] });
    const [field] = await h.db.query<{ type: string; label_ru: string; choices: { value: string; label_ru: string }[] }>(
      sql`select type, label_ru, choices from custom_fields where object_type = 'deal' and key = 'payment_method'`,
    );
    expect([field.type, field.label_ru, field.choices.map((c) => [c.value, c.label_ru])]).toEqual([
      'multi_choice',
      'Способ оплаты',
      [
        ['beznal', 'Безнал'],
        ['nalichnye', 'Наличные'],
        ['rassrochka', 'Рассрочка'],
      ],
    ]);

    // A reload reads it back.
    await page.reload();
    await page.getByTestId('designer-block-Оплата').waitFor();
    expect(await blockKeys(page, 'Оплата')).toEqual(['competitor', 'payment_method']);
    expect(plain(await page.getByTestId('designer-block-Оплата').locator('h3').textContent())).toBe('Оплата Закреплён');
    expect(plain(await page.getByTestId('designer-status').textContent())).toBe('Изменений нет');

    // The deal card: «Оплата» on top, and «Способ оплаты» edited with its chips.
    await page.goto(`${h.url}/deals/${dealId}`);
    await page.getByTestId('deal-title').waitFor();
    const onCard = page.locator('section[data-block="Оплата"]');
    await onCard.waitFor();
    const order = await page.locator('section[data-block]').evaluateAll((els) => els.map((e) => e.getAttribute('data-block')));
    expect(order.slice(0, 3)).toEqual(['Оплата', 'Квалификация', 'Конкуренция и решение']);
    expect(await onCard.locator('dt').allTextContents()).toEqual(['Основной конкурент', 'Способ оплаты']);
    expect(plain(await onCard.getByTestId('value-custom.payment_method').textContent())).toBe('—');
    await onCard.getByRole('button', { name: 'Изменить: Способ оплаты' }).click();
    const chips = onCard.getByTestId('edit-custom.payment_method');
    await chips.waitFor();
    expect(await chips.locator('label').allTextContents()).toEqual(['Безнал', 'Наличные', 'Рассрочка']);
    await chips.getByLabel('Рассрочка').check();
    await chips.getByLabel('Безнал').check();
    await onCard.getByRole('button', { name: 'Сохранить' }).click();
    await chips.waitFor({ state: 'detached' });
    // Shown in the choices' order, whatever order they were ticked in.
    await expect
      .poll(() => onCard.getByTestId('value-custom.payment_method').locator('.cf-chip').allTextContents())
      .toEqual(['Безнал', 'Рассрочка']);
    await shot(page, 'card-designer-deal');
    const [deal] = await h.db.query<{ v: unknown }>(sql`select custom -> 'payment_method' as v from deals where id = ${dealId}`);
    expect(deal.v).toEqual(['beznal', 'rassrochka']);
    await context.close();
  });

  it('a layout changed behind the page is said so on save, the edit kept; «Отменить» drops unsaved changes', async () => {
    const { context, page } = await signedIn();
    await openDesigner(page);
    // An unsaved edit: «Дата решения клиента» moved out of its block.
    await page.getByTestId('move-decision_date').selectOption({ label: 'Без блока' });
    expect(await blockKeys(page, 'loose')).toContain('decision_date');
    expect(plain(await page.getByTestId('designer-status').textContent())).toBe('1 несохранённое изменение');

    // Meanwhile, through the API with the current version: «Квалификация» unpinned.
    const { json: now } = await call<LayoutOut>(page, '/card-layouts/deal');
    const body = bodyOf(now);
    body.blocks = body.blocks.map((b) => (b.name_ru === 'Квалификация' ? { ...b, pinned: false } : b));
    expect((await call(page, '/card-layouts/deal', 'PUT', body)).status).toBe(200);

    await page.getByTestId('designer-save').click();
    const problem = page.getByTestId('designer-problem');
    await problem.waitFor();
    expect(plain(await problem.locator('p').textContent())).toBe(
      'Раскладку уже изменили, пока вы её редактировали. Обновите её и повторите изменения.',
    );
    // The edit is still there, unsaved; the database has the other change only.
    expect(await blockKeys(page, 'loose')).toContain('decision_date');
    expect(plain(await page.getByTestId('designer-status').textContent())).toBe('1 несохранённое изменение');
    const [dd] = await h.db.query<{ block_id: number | null }>(
      sql`select block_id from custom_fields where object_type = 'deal' and key = 'decision_date'`,
    );
    expect(dd.block_id).not.toBeNull();
    expect(await axeProblems(page)).toEqual([]);
    await problem.getByRole('button', { name: 'Обновить раскладку' }).click();
    await problem.waitFor({ state: 'detached' });
    // The layout read again: «Квалификация» unpinned, the edit gone.
    await expect
      .poll(async () => plain(await page.getByTestId('designer-block-Квалификация').locator('h3').textContent()))
      .toBe('Квалификация');
    expect(await blockKeys(page, 'Конкуренция и решение')).toEqual(['decision_date']);
    expect(plain(await page.getByTestId('designer-status').textContent())).toBe('Изменений нет');

    // «Отменить»: a new block and a pin dropped, nothing sent.
    await page.getByTestId('new-block-name').fill('Черновик');
    await page.getByRole('button', { name: 'Добавить блок' }).click();
    await page.getByRole('button', { name: 'Закрепить блок «Квалификация» сверху карточки' }).click();
    expect(plain(await page.getByTestId('designer-status').textContent())).toBe('2 несохранённых изменения');
    await page.getByRole('button', { name: 'Отменить' }).click();
    expect(await page.getByTestId('designer-block-Черновик').count()).toBe(0);
    expect(plain(await page.getByTestId('designer-block-Квалификация').locator('h3').textContent())).toBe('Квалификация');
    expect(plain(await page.getByTestId('designer-status').textContent())).toBe('Изменений нет');
    const blocks = await h.db.query<{ name_ru: string }>(
      sql`select name_ru from field_blocks where object_type = 'deal' order by position, id`,
    );
    expect(blocks.map((b) => b.name_ru)).toEqual(['Оплата', 'Квалификация', 'Конкуренция и решение']);
    await context.close();
  });

  it('on a phone: no sideways scroll, «Сохранить» clear of the floating buttons, axe-core', async () => {
    const { context, page } = await signedIn(true);
    await openDesigner(page);
    // A change, so that the save bar is live.
    await page.getByRole('button', { name: 'Закрепить блок «Конкуренция и решение» сверху карточки' }).click();
    expect(await page.getByTestId('designer-save').isEnabled()).toBe(true);
    expect(await sideways(page)).toBeLessThanOrEqual(390);
    expect(await axeProblems(page)).toEqual([]);
    const save = page.getByTestId('designer-save');
    await save.scrollIntoViewIfNeeded();
    const box = await save.boundingBox();
    expect(box).not.toBeNull();
    const fabs = await page.locator('.fab').evaluateAll((els) =>
      els
        .map((e) => e.getBoundingClientRect())
        .filter((r) => r.width > 0 && r.height > 0)
        .map((r) => ({ x: r.x, y: r.y, width: r.width, height: r.height })),
    );
    expect(fabs.length).toBeGreaterThan(0);
    const b = box as { x: number; y: number; width: number; height: number };
    for (const f of fabs) {
      const overlap = b.x < f.x + f.width && f.x < b.x + b.width && b.y < f.y + f.height && f.y < b.y + b.height;
      expect(overlap, `«Сохранить» ${JSON.stringify(b)} under a floating button ${JSON.stringify(f)}`).toBe(false);
    }
    // The button is the topmost element at its centre.
    expect(
      await save.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
      }),
    ).toBe(true);
    await shot(page, 'standard-cards-phone');
    await page.getByRole('button', { name: 'Отменить' }).click();
    await context.close();
  });
});
