import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/platform/http/server.ts';
import { axeProblems } from '../support/axe.ts';
import { launchBrowser, SCREENSHOTS } from '../support/browser.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * Issue 17's whole path, in Russian, from an empty database and without touching JSON or the CLI:
 * the setup page creates the workspace and its admin from a blank slate; the admin invites a
 * manager, who sets a password through the link; the admin builds a pipeline from the B2B template,
 * moves «Демо» up a place, adds a segment SMB, designs the deal card (a new pinned block «Решение»
 * with a new money field «Бюджет»), makes «Бюджет» required for «Демо» in SMB only and gives «Демо»
 * a task due in 2 business days. The manager creates an SMB deal, moves it to «Демо» from its card:
 * the move asks for «Бюджет», and once filled the deal is there with the task, due as configured.
 */
let h: Harness;
let browser: Browser;
const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `standard-scenario-${name}.png`) });
const LAPTOP = { locale: 'ru-RU', viewport: { width: 1440, height: 900 }, timezoneId: 'Europe/Moscow' };

beforeAll(async () => {
  h = await startHarness({ webDist: process.env.VORONKA_WEB_DIST ?? WEB_DIST, clockAt: new Date() });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('the standard configured in the app from an empty database', () => {
  it('setup → invite → pipeline, segment, card, requirement, playbook → the manager meets them on a move', async () => {
    const context = await browser.newContext(LAPTOP);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    // 1. Setup, a blank slate.
    await page.goto(h.url);
    await page.getByRole('heading', { name: 'Добро пожаловать в Voronka' }).waitFor();
    await page.getByLabel('Название пространства').fill('ООО «Север»');
    await page.getByLabel('Имя и фамилия').fill('Ирина Белова');
    await page.getByLabel('E-mail').fill('irina@sever.ru');
    await page.getByLabel('Пароль', { exact: true }).fill('сосна-ракета-облако-17');
    await page.getByRole('radio', { name: /С чистого листа/ }).check();
    await page.getByRole('button', { name: 'Создать пространство' }).click();
    await page.getByRole('heading', { name: 'Мои задачи' }).waitFor();
    const [ws] = await h.db.query<{ id: number }>(sql`select workspace_id as id from workspaces`);
    const q = <T>(query: ReturnType<typeof sql>) => h.db.query<T>(query);
    expect(await q(sql`select count(*)::int as n from pipelines where workspace_id = ${ws.id}`)).toEqual([{ n: 1 }]);

    // 2. A manager invited; the link sets a password and signs her in.
    await page.getByTestId('nav-team').click();
    await page.getByRole('button', { name: 'Добавить человека' }).click();
    const add = page.getByTestId('add-person');
    await add.getByLabel('Имя и фамилия').fill('Мария Орлова');
    await add.getByLabel('E-mail').fill('maria@sever.ru');
    await add.getByRole('button', { name: 'Добавить и получить ссылку' }).click();
    const link = await page.getByTestId('invite-link').getByTestId('invite-link-value').inputValue();
    await page.getByTestId('invite-link').getByRole('button', { name: 'Готово' }).click();
    const mariaCtx = await browser.newContext(LAPTOP);
    const maria = await mariaCtx.newPage();
    await maria.goto(link);
    await maria.getByLabel('Пароль', { exact: true }).fill('зелёный-трамвай-88-вечер');
    await maria.getByLabel('Пароль ещё раз').fill('зелёный-трамвай-88-вечер');
    await maria.getByRole('button', { name: 'Задать пароль и войти' }).click();
    await maria.getByRole('heading', { name: 'Мои задачи' }).waitFor();

    // 3. A pipeline from the B2B template; «Демо» one place up.
    await page.getByTestId('nav-standard').click();
    await page.getByRole('heading', { name: 'Стандарт продаж', level: 1 }).waitFor();
    await page.locator('#new-pipeline-name').fill('B2B');
    const template = page.getByLabel('Начать с');
    const options = await template.locator('option').allTextContents();
    const b2b = options.find((o) => /^Шаблона «.*» \(9 этапов\)$/.test(o));
    expect(b2b, options.join(' | ')).toBeDefined();
    await template.selectOption({ label: b2b as string });
    await page.getByRole('button', { name: 'Добавить воронку' }).click();
    await page.getByRole('navigation', { name: 'Воронки' }).getByRole('button', { name: 'B2B', exact: true }).click();
    await page.getByRole('heading', { name: 'Этапы воронки «B2B»' }).waitFor();
    const openStages = () =>
      page
        .getByTestId('open-stages')
        .locator('.stage-name')
        .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect((await openStages()).slice(0, 4)).toEqual(['Новый лид', 'Квалификация', 'Встреча', 'Демо']);
    await page.getByRole('button', { name: 'Выше: Демо' }).click();
    await expect.poll(async () => (await openStages()).slice(0, 4)).toEqual(['Новый лид', 'Квалификация', 'Демо', 'Встреча']);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'pipelines');
    const [pipe] = await q<{ id: number }>(sql`select id from pipelines where workspace_id = ${ws.id} and name = 'B2B'`);
    const stageId = async (name: string) =>
      Number((await q<{ id: number }>(sql`select id from stages where pipeline_id = ${pipe.id} and name = ${name}`))[0].id);

    // 4. The segment SMB, on the requirements tab.
    await page.getByTestId('standard-tab-playbooks').click();
    await page.getByTestId('playbooks-page').waitFor();
    await page.getByLabel('Новый сегмент').fill('SMB');
    await page.getByRole('button', { name: 'Добавить сегмент' }).click();
    await page.getByText('Сегмент «SMB» добавлен').waitFor();

    // 5. The deal card: a new block «Решение», pinned, with a new money field «Бюджет».
    await page.getByTestId('standard-tab-cards').click();
    await page.getByTestId('card-designer').waitFor();
    await page.getByTestId('new-block-name').fill('Решение');
    await page.getByRole('button', { name: 'Добавить блок' }).click();
    await page.getByTestId('designer-block-Решение').waitFor();
    await page.getByRole('button', { name: 'Закрепить блок «Решение» сверху карточки' }).click();
    const nf = page.getByTestId('new-field');
    await nf.getByTestId('new-field-label_ru').fill('Бюджет');
    await nf.getByTestId('new-field-label_en').fill('Budget');
    expect(await nf.getByTestId('new-field-key').inputValue()).toBe('budget');
    await nf.getByTestId('new-field-type').selectOption({ label: 'Сумма' });
    await nf.getByTestId('new-field-block').selectOption({ label: 'Решение' });
    await nf.getByTestId('new-field-add').click();
    await page.getByTestId('designer-block-Решение').getByTestId('designer-field-budget').waitFor();
    await page.getByTestId('designer-preview').getByText('Бюджет').waitFor();
    await shot(page, 'card');
    await page.getByTestId('designer-save').click();
    await expect.poll(() => page.getByTestId('designer-save').isDisabled()).toBe(true);
    const [block] = await q<{ pinned: boolean; keys: string[] }>(sql`
      select b.pinned, array(select f.key from custom_fields f where f.workspace_id = b.workspace_id and f.block_id = b.id order by f.position, f.id) as keys
        from field_blocks b where b.workspace_id = ${ws.id} and b.object_type = 'deal' and b.name_ru = 'Решение'`);
    expect(block).toEqual({ pinned: true, keys: ['budget'] });

    // 6. «Бюджет» required for «Демо» in SMB; a task due in 2 business days on entering «Демо».
    await page.getByTestId('standard-tab-playbooks').click();
    await page.getByTestId('playbooks-page').waitFor();
    await page.getByLabel('Воронка', { exact: true }).selectOption({ label: 'B2B' });
    await page.getByLabel('Этап', { exact: true }).selectOption({ label: 'Демо' });
    const req = page.getByTestId('add-requirement');
    await req.getByLabel('Поле сделки').selectOption({ label: 'Бюджет' });
    await req.getByLabel('Только выбранные').check();
    await req.getByLabel('SMB').check();
    await req.getByRole('button', { name: 'Добавить требование' }).click();
    await page.getByTestId('requirement-custom.budget').getByText('только SMB').waitFor();
    await page.getByRole('button', { name: 'Добавить задачу' }).click();
    const form = page.getByTestId('template-form');
    await form.getByLabel('Название по-русски').fill('Согласовать бюджет демо');
    await form.getByLabel('Название по-английски').fill('Agree the demo budget');
    await form.getByLabel('Срок, дней').fill('2');
    await form.getByLabel('Считать').selectOption({ label: 'рабочие дни' });
    await form.getByRole('button', { name: 'Сохранить' }).click();
    await page.getByText('Задача «Согласовать бюджет демо» добавлена').waitFor();
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'playbooks');
    const [tpl] = await q<{ due_days: number; day_kind: string; stage_id: number }>(
      sql`select due_days, day_kind, stage_id from task_templates where workspace_id = ${ws.id} and title_ru = 'Согласовать бюджет демо'`,
    );
    expect(tpl).toEqual({ due_days: 2, day_kind: 'business', stage_id: await stageId('Демо') });

    // 7. The manager: an SMB deal in «Квалификация», moved to «Демо» from its card.
    await maria.reload();
    await maria.getByTestId('create-button').click();
    await maria.getByRole('menuitem', { name: 'Сделка', exact: true }).click();
    const dialog = maria.getByTestId('create-dialog');
    await dialog.getByLabel('Название сделки').fill('Склад в Мурманске');
    await dialog.getByLabel('Воронка').selectOption({ label: 'B2B' });
    await dialog.getByLabel('Этап').selectOption({ label: 'Квалификация' });
    await dialog.getByLabel('Сегмент').selectOption({ label: 'SMB' });
    await dialog.getByRole('button', { name: 'Создать' }).click();
    await dialog.waitFor({ state: 'detached' });
    const [deal] = await q<{ id: number }>(sql`select id from deals where workspace_id = ${ws.id} and title = 'Склад в Мурманске'`);
    await maria.goto(`${h.url}/deals/${deal.id}`);
    await maria.getByRole('heading', { name: 'Склад в Мурманске' }).waitFor();
    // The pinned block is on the card, above the rest.
    await maria.getByRole('heading', { name: 'Решение' }).waitFor();
    await maria.getByTitle('Перенести: Демо').click();
    const move = maria.getByRole('dialog');
    await move.getByText('Чтобы перейти на этап «Демо», заполните поля').waitFor();
    await move.getByLabel('Бюджет').fill('1 250 000');
    await shot(maria, 'move');
    await move.getByRole('button', { name: 'Заполнить и перенести' }).click();
    await move.waitFor({ state: 'detached' });
    const [after] = await q<{ stage_id: number; budget: unknown }>(
      sql`select stage_id, custom -> 'budget' as budget from deals where workspace_id = ${ws.id} and id = ${deal.id}`,
    );
    expect(Number(after.stage_id)).toBe(await stageId('Демо'));
    expect(Number(after.budget)).toBe(1_250_000_00);
    const [task] = await q<{ owner: string; due_local: string; entered_local: string }>(sql`
      select u.email as owner, to_char(t.due_at at time zone 'Europe/Moscow', 'YYYY-MM-DD') as due_local,
             to_char(e.entered_at at time zone 'Europe/Moscow', 'YYYY-MM-DD') as entered_local
        from tasks t join users u on u.workspace_id = t.workspace_id and u.id = t.owner_id
        join stage_events e on e.workspace_id = t.workspace_id and e.id = t.stage_event_id
       where t.workspace_id = ${ws.id} and t.deal_id = ${deal.id} and t.title = 'Согласовать бюджет демо'`);
    expect(task.owner).toBe('maria@sever.ru');
    // Two business days after the entry (no holidays in a blank slate's calendar: Monday–Friday).
    const addBusiness = (iso: string, n: number) => {
      const d = new Date(`${iso}T12:00:00Z`);
      let left = n;
      while (left > 0) {
        d.setUTCDate(d.getUTCDate() + 1);
        if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) left--;
      }
      return d.toISOString().slice(0, 10);
    };
    expect(task.due_local).toBe(addBusiness(task.entered_local, 2));
    const [y, m, d] = task.due_local.split('-');
    await maria.getByText('Согласовать бюджет демо').first().waitFor();
    expect(await maria.locator('main').textContent()).toContain(`${d}.${m}.${y}`);
    expect(await axeProblems(maria)).toEqual([]);
    await shot(maria, 'deal');
    expect(errors).toEqual([]);
    await mariaCtx.close();
    await context.close();
  });
});
