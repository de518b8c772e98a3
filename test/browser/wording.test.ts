import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { openTodaysDemo } from '../support/demo-db.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * The wording of issue 16 on the screens, in Russian: the dashboard says «Доля выигранных»,
 * «Выбыли», «Скорость воронки (выручка в день)» — none of «Конверсия в успех», «Винрейт
 * когорты», «Отвал»; its charts write months «янв 2026» and percent «66,8 %»; a list's saved
 * views are «Сохранённые фильтры». Screenshots: docs/screenshots/wording-*.png.
 */
let h: Harness;
let browser: Browser;

beforeAll(async () => {
  const now = new Date();
  const { db } = await openTodaysDemo(now);
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: now, db });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const plain = (s: string | null) => (s ?? '').replace(/[\u00a0\u202f]/g, ' ');

async function signIn(page: Page) {
  await page.goto(h.url);
  await page.evaluate(() => localStorage.setItem('voronka.lang', 'ru'));
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill('rop@demo.voronka.local');
  await page.getByLabel('Пароль').fill('voronka-demo');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('heading', { name: 'Мои задачи' }).waitFor();
}

describe('the words on the screens', () => {
  it.each([
    ['laptop', { width: 1440, height: 900 }],
    ['phone', { width: 390, height: 844 }],
  ] as const)('the dashboard and a list in Russian (%s)', async (device, viewport) => {
    const page = await browser.newPage({ viewport, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
    try {
      await signIn(page);
      await page.goto(`${h.url}/dashboard`);
      await page.locator('canvas').first().waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1500);
      const text = plain(await page.locator('main').innerText());
      for (const word of ['Доля выигранных', 'Скорость воронки (выручка в день)']) expect(text).toContain(word);
      for (const word of ['Конверсия в успех', 'Винрейт когорты', 'Отвал', 'Скорость воронки, в день']) expect(text).not.toContain(word);
      await page.locator('.chart').last().scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SCREENSHOTS, `wording-dashboard-${device}.png`), fullPage: device === 'laptop' });

      await page.goto(`${h.url}/deals`);
      await page.getByRole('combobox', { name: 'Сохранённые фильтры' }).waitFor();
      // A table on a laptop, cards on a phone.
      await page.locator('[data-testid=deals-table] tbody tr, [data-testid=deals-cards] li').first().waitFor({ timeout: 60_000 });
      const list = plain(await page.locator('main').innerText());
      expect(list).not.toContain('Сохранить вид');
      expect(list).toMatch(/\d \d{3} \d{3}( ₽|,\d\d ₽)/);
      await page.screenshot({ path: join(SCREENSHOTS, `wording-deals-${device}.png`) });
    } finally {
      await page.close();
    }
  });
});
