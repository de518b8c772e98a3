import { join } from 'node:path';
import iconv from 'iconv-lite';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { addDays } from '../../src/process/calendar.ts';
import { axeProblems } from '../support/axe.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/**
 * The standard's "requirements and tasks" and "calendar" tabs (issue 17), in Russian, in a real
 * browser: the head of sales picks the stage «Демо», adds required fields (one only for SMB) and
 * playbook tasks (one counted from another being done); an empty title is refused next to the
 * field; an edit made stale by someone else offers a reload; the preview says what a deal entering
 * «Демо» on 04.12.2026 in SMB gets, with the dates the server computes; segments are added and
 * renamed. On the calendar a production-calendar CSV is checked (how many days would change, a bad
 * line named) and applied, a Saturday is made a working day from the keyboard, and the preview's
 * dates follow the holidays. axe-core on each screen, laptop and phone.
 */
let h: Harness;
let w: SeededWorkspace;
let browser: Browser;
const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
const plain = (s: string | null) =>
  (s ?? '')
    .replace(/[\u00a0\u202f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

const CALENDAR_2026 = [
  'Дата;Тип;Примечание',
  '01.01.2026;выходной;Новогодние каникулы',
  '02.01.2026;выходной;Новогодние каникулы',
  '05.01.2026;выходной;Новогодние каникулы',
  '06.01.2026;выходной;Новогодние каникулы',
  '07.01.2026;выходной;Рождество Христово',
  '08.01.2026;выходной;Новогодние каникулы',
  '23.02.2026;выходной;День защитника Отечества',
  '09.03.2026;выходной;Перенос с 8 марта',
  '01.05.2026;выходной;Праздник Весны и Труда',
  '11.05.2026;выходной;Перенос с 9 мая',
  '12.06.2026;выходной;День России',
  '04.11.2026;выходной;День народного единства',
  '31.12.2026;выходной;Перенос с 3 января',
  '',
].join('\n');

beforeAll(async () => {
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: new Date() });
  w = await seedWorkspace(h, 'ООО «Вектор»', 'head_of_sales');
  await w.api.post('/segments', { name: 'SMB', position: 1 });
  await w.api.post('/segments', { name: 'Крупный бизнес', position: 2 });
  await w.api.post('/custom-fields', { object_type: 'deal', key: 'budget', type: 'money', label_ru: 'Бюджет', label_en: 'Budget' });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function signedIn(phone = false): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(
    phone
      ? { locale: 'ru-RU', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, timezoneId: 'Europe/Moscow' }
      : { locale: 'ru-RU', viewport: { width: 1280, height: 800 }, timezoneId: 'Europe/Moscow' },
  );
  const page = await context.newPage();
  await page.goto(h.url);
  await page.getByLabel('E-mail').fill(`admin@${w.ws}.test`);
  await page.getByLabel('Пароль').fill('correct horse battery');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('navigation').first().waitFor();
  return { context, page };
}

const noHorizontalScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

describe('the standard: requirements, playbooks, segments, calendar', () => {
  it('configures the stage «Демо» and previews what an SMB deal entering it gets', async () => {
    const { context, page } = await signedIn();
    await page.goto(`${h.url}/standard/playbooks`);
    await page.getByTestId('playbooks-page').waitFor();
    await page.getByLabel('Этап', { exact: true }).selectOption({ label: 'Демо' });
    await page.getByText('Этап ничего не требует.').waitFor();

    // Requirements: the company for every deal, the budget only for SMB.
    const add = page.getByTestId('add-requirement');
    await add.getByLabel('Поле сделки').selectOption({ label: 'Компания' });
    await add.getByRole('button', { name: 'Добавить требование' }).click();
    await page.getByTestId('requirement-company_id').getByText('Все сегменты').waitFor();
    await add.getByLabel('Поле сделки').selectOption({ label: 'Бюджет' });
    await add.getByLabel('Только выбранные').check();
    await add.getByRole('button', { name: 'Добавить требование' }).click();
    await add.getByText('Отметьте хотя бы один сегмент').waitFor();
    await add.getByLabel('SMB').check();
    await add.getByRole('button', { name: 'Добавить требование' }).click();
    await page.getByTestId('requirement-custom.budget').getByText('только SMB').waitFor();
    // Reordered with the keyboard-reachable buttons.
    await page.getByRole('button', { name: 'Выше: Бюджет' }).click();
    await page.getByTestId('requirements').locator('li').first().getByText('Бюджет').waitFor();

    // A task refused without its Russian title, at the field; then saved.
    await page.getByRole('button', { name: 'Добавить задачу' }).click();
    const form = page.getByTestId('template-form');
    await form.getByLabel('Название по-английски').fill('Run the demo');
    await form.getByLabel('Тип').selectOption({ label: 'Встреча' });
    await form.getByLabel('Срок, дней').fill('3');
    // The form says the deadline a deal entering today would get (no calendar days yet: Mon–Fri).
    const due = new Intl.DateTimeFormat('ru-RU', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'Europe/Moscow' }).format(
      addDays(h.clock.now(), 3, 'business', 'Europe/Moscow', new Map()),
    );
    await form.getByTestId('template-draft-due').getByText(`Сделка, вошедшая на этап сегодня, получит срок ${due}.`).waitFor();
    await form.getByRole('button', { name: 'Сохранить' }).click();
    const titleRu = form.getByLabel('Название по-русски');
    await page.waitForFunction(() => document.querySelector('#pb-tpl-title_ru')?.getAttribute('aria-invalid') === 'true');
    expect(await form.locator('#pb-tpl-title_ru-error').textContent()).toBeTruthy();
    expect(await titleRu.getAttribute('aria-describedby')).toBe('pb-tpl-title_ru-error');
    await titleRu.fill('Провести демо');
    await form.getByRole('button', { name: 'Сохранить' }).click();
    await page.getByText('Задача «Провести демо» добавлена').waitFor();
    // One counted from the demo being done, for SMB, kept open if the deal moves on.
    await page.getByRole('button', { name: 'Добавить задачу' }).click();
    await form.getByLabel('Название по-русски').fill('Отправить итоги демо');
    await form.getByLabel('Название по-английски').fill('Send the demo summary');
    await form.getByLabel('Тип').selectOption({ label: 'Письмо' });
    await form.getByLabel('Срок, дней').fill('1');
    await form.getByLabel('Отсчёт от').selectOption({ label: 'выполнения задачи «Провести демо»' });
    await form.getByLabel('Сегмент').selectOption({ label: 'SMB' });
    await form.getByLabel('Если сделка ушла с этапа раньше').selectOption({ label: 'оставить открытой' });
    await form.getByRole('button', { name: 'Сохранить' }).click();
    await page.getByText('Задача «Отправить итоги демо» добавлена').waitFor();
    const [summary] = await h.db.query<Record<string, unknown>>(
      sql`select due_days, day_kind, segment_id, on_stage_exit, anchor_template_id is not null as anchored from task_templates
           where workspace_id = ${w.ws} and title_ru = 'Отправить итоги демо'`,
    );
    expect(summary).toMatchObject({ due_days: 1, day_kind: 'business', on_stage_exit: 'keep_open', anchored: true });
    await page
      .getByTestId('templates')
      .getByText(/после «Провести демо»/)
      .waitFor();
    expect(plain(await page.getByTestId('templates').textContent())).toContain(
      'через 1 рабочий день после «Провести демо» · Владелец сделки · SMB · остаётся открытой при уходе с этапа',
    );

    // The preview: an SMB deal entering «Демо» on Friday 4 December 2026.
    const preview = page.getByTestId('preview');
    await preview.getByLabel('Сегмент сделки').selectOption({ label: 'SMB' });
    await preview.getByLabel('Дата входа на этап').fill('2026-12-04');
    const result = preview.getByTestId('preview-result');
    await result.getByText('Сделка, вошедшая в «Демо» 04.12.2026 в сегменте SMB, получит:').waitFor();
    expect(plain(await result.textContent())).toContain(
      'Провести демо — встреча, срок 09.12.2026 (3 рабочих дня; ответственный: владелец сделки)',
    );
    expect(plain(await result.textContent())).toContain('Отправить итоги демо — письмо, после «Провести демо»: +1 рабочий день');
    expect(plain(await preview.getByTestId('preview-required').textContent())).toBe('Бюджет, Компания');
    // Without a segment: neither the SMB task nor the SMB requirement.
    await preview.getByLabel('Сегмент сделки').selectOption({ label: 'Без сегмента' });
    await result.getByText('Сделка, вошедшая в «Демо» 04.12.2026, получит:').waitFor();
    expect(plain(await preview.getByTestId('preview-required').textContent())).toBe('Компания');
    expect(plain(await result.textContent())).not.toContain('Отправить итоги демо');

    // A stale edit: someone renames the task while the form is open; the form offers the reload.
    const [demo] = (await w.api.get(`/task-templates?stage_id=${w.stage('Демо').id}&limit=100`)).body.items.filter(
      (t: { title_ru: string }) => t.title_ru === 'Провести демо',
    );
    await page.getByRole('button', { name: 'Изменить: Провести демо' }).click();
    await form.getByLabel('Срок, дней').fill('2');
    expect((await w.api.patch(`/task-templates/${demo.id}`, { version: demo.version, title_ru: 'Провести демонстрацию' })).status).toBe(
      200,
    );
    await form.getByRole('button', { name: 'Сохранить' }).click();
    await form.getByText('Пока вы редактировали, это изменил кто-то другой.').waitFor();
    await form.getByRole('button', { name: 'Загрузить заново' }).click();
    await form.getByText('Загружена текущая версия: проверьте и сохраните снова.').waitFor();
    expect(await form.getByLabel('Название по-русски').inputValue()).toBe('Провести демонстрацию');
    await form.getByLabel('Срок, дней').fill('2');
    await form.getByRole('button', { name: 'Сохранить' }).click();
    await form.waitFor({ state: 'detached' });
    const [after] = await h.db.query<{ title_ru: string; due_days: number }>(
      sql`select title_ru, due_days from task_templates where workspace_id = ${w.ws} and id = ${demo.id}`,
    );
    expect(after).toEqual({ title_ru: 'Провести демонстрацию', due_days: 2 });
    expect(
      await page.getByRole('button', { name: 'Изменить: Провести демонстрацию' }).evaluate((el) => el === document.activeElement),
    ).toBe(true);

    // Segments: a new atypical one, and a rename.
    await page.getByLabel('Новый сегмент').fill('Госсектор');
    await page.getByLabel('Вид', { exact: true }).selectOption({ label: 'Нетипичный' });
    await page.getByRole('button', { name: 'Добавить сегмент' }).click();
    await page.getByText('Сегмент «Госсектор» добавлен').waitFor();
    const rename = page.getByLabel('Название сегмента Крупный бизнес');
    await rename.fill('Enterprise');
    await rename.press('Enter');
    await page.getByLabel('Название сегмента Enterprise').waitFor();
    const segs = await h.db.query<{ name: string; kind: string }>(
      sql`select name, kind from segments where workspace_id = ${w.ws} order by position, id`,
    );
    expect(segs).toEqual([
      { name: 'SMB', kind: 'typical' },
      { name: 'Enterprise', kind: 'typical' },
      { name: 'Госсектор', kind: 'atypical' },
    ]);
    await preview.getByLabel('Сегмент сделки').selectOption({ label: 'SMB' });
    await result.getByText(/в сегменте SMB, получит:/).waitFor();
    expect(await axeProblems(page)).toEqual([]);
    expect(await noHorizontalScroll(page)).toBe(true);
    await page.mouse.move(0, 0);
    await page.locator('#standard-title').scrollIntoViewIfNeeded();
    await shot(page, 'standard-playbooks');
    await page.getByTestId('templates').scrollIntoViewIfNeeded();
    await shot(page, 'standard-playbooks-tasks');
    await page.getByRole('button', { name: 'Изменить: Отправить итоги демо' }).click();
    await form.waitFor();
    expect(await axeProblems(page)).toEqual([]);
    await form.screenshot({ path: join(SCREENSHOTS, 'standard-playbooks-form.png') });
    await page.keyboard.press('Escape');
    await context.close();
  });

  it('loads a production calendar, sets a working Saturday from the keyboard, and the preview follows it', async () => {
    const { context, page } = await signedIn();
    await page.goto(`${h.url}/standard/calendar`);
    await page.getByTestId('calendar-page').waitFor();
    // The year on screen is this year; go to 2026.
    for (let i = 0; i < 20; i++) {
      const y = Number(await page.locator('.cal-year').textContent());
      if (y === 2026) break;
      await page.getByRole('button', { name: y > 2026 ? 'Предыдущий год' : 'Следующий год' }).click();
    }
    await page.getByText('В 2026 году особых дней нет: работают понедельник — пятница.').waitFor();

    // A file with a bad line: the server's message names it, nothing is written.
    const input = page.getByLabel('Выбрать файл CSV');
    await input.setInputFiles({
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('Дата;Тип\n01.01.2026;выходной\n02.01.2026;отгул\n'),
    });
    expect(plain(await page.getByTestId('calendar-import-error').textContent())).toBe(
      'календарь, строка 3, столбец kind: «отгул» — не «выходной» и не «рабочий»',
    );
    // The real file, in Windows-1251 as Excel saves it: checked first, then applied.
    await input.setInputFiles({ name: 'proizvodstvennyj-2026.csv', mimeType: 'text/csv', buffer: iconv.encode(CALENDAR_2026, 'win1251') });
    await page
      .getByTestId('calendar-import-check')
      .getByText('Файл «proizvodstvennyj-2026.csv»: добавится 13, изменится 0, без изменений 0.')
      .waitFor();
    const [{ n }] = await h.db.query<{ n: number }>(sql`select count(*)::int8 as n from calendar_days where workspace_id = ${w.ws}`);
    expect(n).toBe(0);
    await page.getByRole('button', { name: 'Применить' }).click();
    await page.getByText('Календарь загружен: добавлено 13, изменено 0, без изменений 0.').waitFor();
    const list = page.getByTestId('calendar-list');
    // The list is read again after the message shows: wait for its new last row before reading it.
    await list.locator('tbody tr').last().getByText('Перенос с 3 января').waitFor();
    expect((await list.locator('tbody tr').last().locator('th, td').allTextContents()).map(plain).join(' ')).toBe(
      '31.12.2026 нерабочий Перенос с 3 января',
    );
    const dec31 = page.locator('[data-day="2026-12-31"]');
    expect(await dec31.getAttribute('aria-label')).toBe('31 декабря 2026 г., четверг — нерабочий день: Перенос с 3 января');
    expect(await dec31.getAttribute('title')).toBe('Перенос с 3 января');

    // The keyboard: from 31 December, left five days to Saturday 26, Enter, make it a working day.
    await dec31.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.day)).toBe('2026-12-26');
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('calendar-day');
    await dialog.getByRole('heading', { name: '26 декабря 2026 г., суббота' }).waitFor();
    expect(await dialog.getByLabel('Как обычно (выходной)').isChecked()).toBe(true);
    await dialog.getByLabel('Рабочий день (перенесённая суббота)').check();
    await dialog.getByLabel('Примечание').fill('Перенос с 4 января');
    expect(await axeProblems(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Сохранить' }).click();
    await page.getByText('26.12.2026: рабочий день').waitFor();
    // The status says it at once; the month redraws when the calendar is read again.
    await page.locator('[data-day="2026-12-26"].workday').waitFor();
    const [day] = await h.db.query<{ kind: string; note: string }>(
      sql`select kind, note from calendar_days where workspace_id = ${w.ws} and day = '2026-12-26'`,
    );
    expect(day).toEqual({ kind: 'workday', note: 'Перенос с 4 января' });
    expect(await axeProblems(page)).toEqual([]);
    expect(await noHorizontalScroll(page)).toBe(true);
    await page.mouse.move(0, 0);
    await page.locator('.cal-title').scrollIntoViewIfNeeded();
    await shot(page, 'standard-calendar');
    await page.getByTestId('calendar-import').scrollIntoViewIfNeeded();
    await shot(page, 'standard-calendar-list');

    // The preview counts over the holidays: entering on Tuesday 29 December, 2 business days:
    // Wed 30 (1), Thu 31 off, Fri 1 January 2027 (2).
    await page.getByTestId('standard-tab-playbooks').click();
    await page.getByLabel('Этап', { exact: true }).selectOption({ label: 'Демо' });
    const preview = page.getByTestId('preview');
    await preview.getByLabel('Дата входа на этап').fill('2026-12-29');
    await preview.getByTestId('preview-result').getByText('Сделка, вошедшая в «Демо» 29.12.2026, получит:').waitFor();
    expect(plain(await preview.getByTestId('preview-result').textContent())).toContain('Провести демонстрацию — встреча, срок 01.01.2027');
    await context.close();
  });

  it('reads well on a phone: both tabs without horizontal scroll, axe-clean', async () => {
    const { context, page } = await signedIn(true);
    await page.goto(`${h.url}/standard/playbooks`);
    await page.getByTestId('playbooks-page').waitFor();
    await page.getByLabel('Этап', { exact: true }).selectOption({ label: 'Демо' });
    await page.getByTestId('templates').waitFor();
    await page.getByTestId('preview-result').waitFor();
    expect(await noHorizontalScroll(page)).toBe(true);
    expect(await axeProblems(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'standard-playbooks-phone.png') });
    await page.getByTestId('preview').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'standard-playbooks-phone-preview.png') });
    await page.goto(`${h.url}/standard/calendar`);
    await page.getByTestId('calendar-page').waitFor();
    await page.locator('.cal-month').first().waitFor();
    expect(await noHorizontalScroll(page)).toBe(true);
    expect(await axeProblems(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'standard-calendar-phone.png') });
    await context.close();
  });
});
