import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { axeProblems } from '../support/axe.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/**
 * The standard's pipelines and rules tabs (issue 17), in Russian, in a real browser: the head of
 * sales reorders open stages with the keyboard and the buttons, adds and deletes a stage without
 * history, archives «Демо» with its 3 open deals moved to «Встреча» (the dialog's preview says so)
 * and restores it; adds loss reasons, reorders one, and sets the forced-move policy, whose preview
 * sentence follows the form. axe-core on each
 * screen, laptop and phone.
 */
let h: Harness;
let browser: Browser;
let w: SeededWorkspace;
const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });

beforeAll(async () => {
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: new Date() });
  w = await seedWorkspace(h, 'ООО «Стандарт»');
  for (const title of ['Поставка серверов', 'Лицензии CRM', 'Внедрение']) {
    const d = await w.api.post('/deals', { title, amount_minor: 1_500_000_00, stage_id: w.stage('Новый лид').id });
    await w.api.post(`/deals/${d.body.id}/move`, { stage_id: w.stage('Демо').id });
  }
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function signedIn(phone = false): Promise<Page> {
  const context = await browser.newContext(
    phone
      ? { locale: 'ru-RU', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 }
      : { locale: 'ru-RU', viewport: { width: 1280, height: 800 } },
  );
  const page = await context.newPage();
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill(`admin@${w.ws}.test`);
  await page.getByLabel('Пароль').fill('correct horse battery');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('navigation').first().waitFor();
  return page;
}

const openStages = async (page: Page) =>
  page
    .getByTestId('open-stages')
    .locator('.stage-name')
    .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));

const sensorListening = (page: Page) => page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
/** Waits for dnd-kit's live region to say `text`; a failure names what it said instead. */
async function announced(page: Page, text: string) {
  await page
    .waitForFunction((t) => document.querySelector('[id^="DndLiveRegion"]')?.textContent === t, text, { timeout: 5000 })
    .catch(async () => {
      const said = await page.evaluate(() => document.querySelector('[id^="DndLiveRegion"]')?.textContent);
      throw new Error(`the live region says ${JSON.stringify(said)}, not ${JSON.stringify(text)}`);
    });
}

const noHorizontalScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

describe('the standard: pipelines and rules', () => {
  it('edits the stages of a pipeline and archives one with its open deals', async () => {
    const page = await signedIn();
    await page.goto(`${h.url}/standard/pipelines`);
    await page.getByRole('heading', { name: 'Этапы воронки «Продажи»' }).waitFor();
    expect(await openStages(page)).toEqual(['Новый лид', 'Квалификация', 'Встреча', 'Демо', 'КП отправлено']);
    await page.getByTestId('stage-Демо').getByText('3 открытые сделки').waitFor();

    // Up and down buttons.
    await page.getByRole('button', { name: 'Выше: Демо' }).click();
    await expect.poll(() => openStages(page)).toEqual(['Новый лид', 'Квалификация', 'Демо', 'Встреча', 'КП отправлено']);
    // The keyboard sensor: Space, arrow down, Space.
    await page.getByRole('button', { name: 'Перетащить: Демо' }).focus();
    await page.keyboard.press('Space');
    await announced(page, 'Этап «Демо» взят');
    await sensorListening(page);
    await page.keyboard.press('ArrowDown');
    await announced(page, 'Этап «Демо»: позиция 4');
    await page.keyboard.press('Space');
    await announced(page, 'Этап «Демо» поставлен на позицию 4');
    await expect.poll(() => openStages(page)).toEqual(['Новый лид', 'Квалификация', 'Встреча', 'Демо', 'КП отправлено']);

    // A stage without history: added, then deleted.
    await page.getByLabel('Название этапа', { exact: true }).fill('Пилот');
    await page.getByRole('button', { name: 'Добавить этап' }).click();
    await page.getByTestId('stage-Пилот').waitFor();
    await page.getByTestId('stage-Пилот').getByRole('button', { name: 'Удалить' }).click();
    await page.getByTestId('stage-Пилот').waitFor({ state: 'detached' });

    // Archive «Демо»: its three open deals go to «Встреча».
    await page.getByTestId('stage-Демо').getByRole('button', { name: 'В архив' }).click();
    const dialog = page.getByTestId('archive-dialog');
    await dialog.getByLabel('Куда перевести открытые сделки').selectOption({ label: 'Встреча' });
    expect(await dialog.getByTestId('archive-preview').textContent()).toBe('3 сделки перейдут на этап «Встреча»');
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'standard-pipelines-archive');
    await dialog.getByRole('button', { name: 'В архив' }).click();
    await page.getByTestId('archived-stages').getByText('Демо').waitFor();
    await page.getByTestId('stage-Встреча').getByText('3 открытые сделки').waitFor();
    const deals = await h.db.query<{ n: number }>(
      sql`select count(*)::int8 as n from deals where workspace_id = ${w.ws} and stage_id = ${w.stage('Встреча').id}`,
    );
    expect(deals[0].n).toBe(3);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'standard-pipelines');

    // The board has no «Демо» column.
    await page.goto(`${h.url}/board`);
    await page.getByTestId('board').waitFor();
    expect(await page.getByTestId('board').getByText('Демо', { exact: true }).count()).toBe(0);

    await page.goto(`${h.url}/standard/pipelines`);
    await page.getByTestId('archived-stages').getByRole('button', { name: 'Вернуть из архива' }).click();
    await expect.poll(() => openStages(page)).toContain('Демо');
    await page.context().close();
  });

  it('keeps loss reasons and the forced-move policy, with a preview sentence', async () => {
    const page = await signedIn();
    await page.goto(`${h.url}/standard/rules`);
    await page.getByRole('heading', { name: 'Причины проигрыша' }).waitFor();
    for (const [ru, en] of [
      ['Цена', 'Price'],
      ['Выбрали конкурента', 'Chose a competitor'],
      ['Нет бюджета', 'No budget'],
    ]) {
      await page.getByLabel('Название по-русски', { exact: true }).fill(ru);
      await page.getByLabel('Название по-английски', { exact: true }).fill(en);
      await page.getByRole('button', { name: 'Добавить причину' }).click();
      await page.getByTestId(`reason-${ru}`).waitFor();
    }
    await page.getByRole('button', { name: 'Выше: Нет бюджета' }).click();
    await expect
      .poll(() =>
        page
          .getByTestId('reasons')
          .locator('li')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid'))),
      )
      .toEqual(['reason-Цена', 'reason-Нет бюджета', 'reason-Выбрали конкурента']);

    const preview = page.getByTestId('policy-preview');
    expect(await preview.textContent()).toBe('Сделку без обязательных полей сможет провести РОП или администратор, указав причину.');
    await page.getByLabel('Также руководители групп — для сделок своей группы').check();
    await page.getByLabel('Нужно указать причину').uncheck();
    expect(await preview.textContent()).toBe(
      'Сделку без обязательных полей сможет провести РОП, администратор или руководитель группы — для сделок своей группы, причину можно не указывать.',
    );
    await page.getByRole('button', { name: 'Сохранить правило' }).click();
    await expect.poll(async () => (await w.api.get('/move-policy')).body.who).toBe('team_leads');
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'standard-rules');

    await page.context().close();
  });

  it('works on a phone', async () => {
    const page = await signedIn(true);
    await page.goto(`${h.url}/standard/pipelines`);
    await page.getByRole('heading', { name: 'Этапы воронки «Продажи»' }).waitFor();
    expect(await noHorizontalScroll(page)).toBe(true);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'standard-pipelines-phone');
    await page.goto(`${h.url}/standard/rules`);
    await page.getByRole('heading', { name: 'Причины проигрыша' }).waitFor();
    expect(await noHorizontalScroll(page)).toBe(true);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'standard-rules-phone');
    await page.context().close();
  });
});
