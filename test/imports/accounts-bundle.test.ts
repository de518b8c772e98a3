/**
 * The bundle's key-account files (issue 19, kpi.md "Canonical import bundle"): contracts.csv,
 * cases.csv and pipeline.json's gross_margin, on our own fixture test/fixtures/accounts-bundle —
 * three deals; seven contracts of three companies (one no deal names, C1 renewed by C2, C4 by the
 * overlapping C5, C6 ended long ago, C7 not started yet) written as Russian Excel writes them (BOM,
 * `;`, CRLF, `12 000,00`); five cases (one taking its company from its deal, one of a company no
 * deal names, one with a deal without a company). As of 01.06.2025 in Moscow.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatImportReport } from '../../src/cli/import-command.ts';
import { importBundle } from '../../src/imports/bundle-import.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { AppError } from '../../src/platform/errors.ts';
import { createWorkspace } from '../../src/platform/workspaces.ts';
import { type Harness, seedWorkspace, startHarness } from '../support/harness.ts';
import { ICP } from '../support/marketing-fixture.ts';
import { openTestDb } from '../support/test-db.ts';

const FIXTURE = join(import.meta.dirname, '../fixtures/accounts-bundle');
const now = new Date('2025-06-01T00:00:00Z');
let db: Db;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});

/** A copy of the fixture, each file changed by `edit` (its lines, the header first). */
function bundle(edit: Partial<Record<string, (lines: string[]) => string[]>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'voronka-accounts-test-'));
  cpSync(FIXTURE, dir, { recursive: true });
  for (const [file, f] of Object.entries(edit)) {
    const text = readFileSync(join(dir, file), 'utf8');
    const nl = text.includes('\r\n') ? '\r\n' : '\n';
    writeFileSync(join(dir, file), `${(f as (l: string[]) => string[])(text.replace(/\r?\n$/, '').split(/\r?\n/)).join(nl)}${nl}`);
  }
  return dir;
}
/** Line `n` (1-based, the header is 1) with column `col` (0-based) set to `value`. */
const setCell =
  (n: number, col: number, value: string, d = ',') =>
  (lines: string[]) =>
    lines.map((l, i) => {
      if (i !== n - 1) return l;
      const cells = l.split(d);
      cells[col] = value;
      return cells.join(d);
    });
const semi = (n: number, col: number, value: string) => setCell(n, col, value, ';');

const wsId = async (name: string) =>
  Number((await db.query<{ id: number }>(sql`select workspace_id as id from workspaces where name = ${name}`))[0].id);

async function contractsOf(ws: number) {
  return db.query<Record<string, unknown>>(sql`
    select c.external_id as id, co.name as company, g.name as product_group, to_char(c.start_date, 'YYYY-MM-DD') as start,
           to_char(c.end_date, 'YYYY-MM-DD') as end, c.mrr_minor::int8 as mrr_minor, u.name as owner, c.renews_id, c.version
      from contracts c join companies co on co.workspace_id = c.workspace_id and co.id = c.company_id
      join product_groups g on g.workspace_id = c.workspace_id and g.id = c.product_group_id
      left join users u on u.workspace_id = c.workspace_id and u.id = c.owner_id
     where c.workspace_id = ${ws} order by c.external_id`);
}
async function casesOf(ws: number) {
  return db.query<Record<string, unknown>>(sql`
    select k.external_id as id, k.kind, co.name as company, d.external_id as deal, k.status, k.title, k.opened_at, k.closed_at,
           k.recorder_role, k.recorded_by, k.version
      from service_cases k join companies co on co.workspace_id = k.workspace_id and co.id = k.company_id
      left join deals d on d.workspace_id = k.workspace_id and d.id = k.deal_id
     where k.workspace_id = ${ws} order by k.external_id`);
}
async function renewalTasksOf(ws: number) {
  return db.query<Record<string, unknown>>(sql`
    select c.external_id as contract, t.title, t.status, t.due_at, u.name as owner
      from tasks t join contracts c on c.workspace_id = t.workspace_id and c.id = t.contract_id
      left join users u on u.workspace_id = t.workspace_id and u.id = t.owner_id
     where t.workspace_id = ${ws} order by c.external_id`);
}
const TABLES = [
  'workspaces',
  'deals',
  'stage_events',
  'companies',
  'users',
  'product_groups',
  'contracts',
  'service_cases',
  'tasks',
  'audit_log',
  'import_runs',
];
/** Every table an import writes, counted, and every workspace's gross margin and version. */
async function snapshot() {
  const counts: Record<string, number> = {};
  for (const t of TABLES) counts[t] = Number((await db.query<{ n: number }>(`select count(*)::int8 as n from ${t}`))[0].n);
  const margins = await db.query('select workspace_id, gross_margin::float8 as gross_margin, version from workspaces order by 1');
  return { counts, margins };
}

const msk = (s: string) => new Date(s);

describe('contracts.csv, cases.csv and gross_margin in the bundle', () => {
  it('imports the contracts, cases and gross margin, creating the companies, product groups and owners they name', async () => {
    const r = await importBundle(db, FIXTURE, { now });
    expect(r.workspace_created).toBe(true);
    expect(r.accounts).toEqual({
      contracts_in_file: 7,
      contracts_created: 7,
      contracts_updated: 0,
      contracts_unchanged: 0,
      // C4 and C5 (ООО «Гамма», Поддержка) overlap from 01.09.2025 to 01.03.2026.
      overlapping_contracts: 2,
      renewal_tasks_created: 4,
      cases_in_file: 5,
      cases_created: 5,
      cases_updated: 0,
      cases_unchanged: 0,
      new_companies: ['ООО «Гамма»', 'ООО «Дельта»'],
      // «лицензии» of C2 is «Лицензии» of C1.
      new_product_groups: ['Внедрение', 'Лицензии', 'Поддержка'],
      // Иван Петров and Анна Смирнова came with deals.csv.
      new_owners: ['Пётр Новиков'],
      gross_margin: 0.7,
      gross_margin_changed: true,
    });
    expect(r.new_companies).toBe(2);
    expect(r.encodings).toEqual({
      'deals.csv': 'UTF-8',
      'stage_events.csv': 'UTF-8',
      'contracts.csv': 'UTF-8',
      'cases.csv': 'UTF-8',
    });
    expect(r.ignored_columns).toEqual([]);
    const ws = await wsId('Продажи');
    const [w] = await db.query<{ gross_margin: number }>(
      sql`select gross_margin::float8 as gross_margin from workspaces where workspace_id = ${ws}`,
    );
    expect(w.gross_margin).toBe(0.7);
    const c = (id: string, company: string, product_group: string, start: string, end: string, mrr_minor: number, owner: string) => ({
      id,
      company,
      product_group,
      start,
      end,
      mrr_minor,
      owner,
      renews_id: null,
      version: 1,
    });
    expect((await contractsOf(ws)).map((x) => ({ ...x, mrr_minor: Number(x.mrr_minor) }))).toEqual([
      c('C1', 'ООО «Альфа»', 'Лицензии', '2024-07-01', '2025-07-01', 1_000_000, 'Иван Петров'),
      c('C2', 'ООО «Альфа»', 'Лицензии', '2025-07-01', '2026-07-01', 1_200_000, 'Иван Петров'),
      c('C3', 'ООО «Альфа»', 'Внедрение', '2025-01-01', '2025-12-31', 500_050, 'Анна Смирнова'),
      c('C4', 'ООО «Гамма»', 'Поддержка', '2025-03-01', '2026-03-01', 300_000, 'Пётр Новиков'),
      c('C5', 'ООО «Гамма»', 'Поддержка', '2025-09-01', '2026-09-01', 300_000, 'Пётр Новиков'),
      c('C6', 'ООО «Бета»', 'Лицензии', '2024-01-01', '2025-01-01', 800_000, 'Анна Смирнова'),
      c('C7', 'ООО «Бета»', 'Поддержка', '2026-01-01', '2031-01-01', 250_000, 'Анна Смирнова'),
    ]);
    const k = (
      id: string,
      kind: string,
      company: string,
      deal: string | null,
      status: string,
      title: string,
      opened: string,
      closed: string | null,
      role: string,
    ) => ({
      id,
      kind,
      company,
      deal,
      status,
      title,
      opened_at: msk(opened),
      closed_at: closed === null ? null : msk(closed),
      recorder_role: role,
      recorded_by: null,
      version: 1,
    });
    expect(await casesOf(ws)).toEqual([
      k(
        'K1',
        'complaint',
        'ООО «Альфа»',
        'D1',
        'resolved',
        'Не работает выгрузка',
        '2025-02-01T07:00:00Z',
        '2025-02-03T07:00:00Z',
        'service',
      ),
      k('K2', 'question', 'ООО «Бета»', null, 'open', 'Обращение K2 (импорт)', '2025-03-01T07:00:00Z', null, 'sales'),
      // The company of its deal D2.
      k('K3', 'claim', 'ООО «Бета»', 'D2', 'resolved', 'Обращение K3 (импорт)', '2025-04-01T09:00:00Z', '2025-04-01T12:00:00Z', 'sales'),
      k('K4', 'praise', 'ООО «Дельта»', null, 'open', 'Обращение K4 (импорт)', '2025-05-01T07:00:00Z', null, 'service'),
      // D3 has no company: it fits the case's.
      k('K5', 'question', 'ООО «Бета»', 'D3', 'open', 'Обращение K5 (импорт)', '2025-05-10T07:00:00Z', null, 'sales'),
    ]);
    // A renewal task for each contract ending after 01.06.2025 and not renewed, 30 business days
    // before its end at 10:00 Moscow (no holidays in a new workspace's calendar: six weeks);
    // none for C1 (renewed by C2), C4 (renewed by C5) and C6 (ended).
    const task = (contract: string, company: string, group: string, due: string, owner: string) => ({
      contract,
      title: `Продление договора: ${company} — ${group}`,
      status: 'open',
      due_at: msk(due),
      owner,
    });
    expect(await renewalTasksOf(ws)).toEqual([
      task('C2', 'ООО «Альфа»', 'Лицензии', '2026-05-20T07:00:00Z', 'Иван Петров'),
      task('C3', 'ООО «Альфа»', 'Внедрение', '2025-11-19T07:00:00Z', 'Анна Смирнова'),
      task('C5', 'ООО «Гамма»', 'Поддержка', '2026-07-21T07:00:00Z', 'Пётр Новиков'),
      task('C7', 'ООО «Бета»', 'Поддержка', '2030-11-20T07:00:00Z', 'Анна Смирнова'),
    ]);
    // The companies: two of deals.csv, two only of the account files.
    const companies = await db.query<{ name: string }>(sql`select name from companies where workspace_id = ${ws} order by name`);
    expect(companies.map((x) => x.name)).toEqual(['ООО «Альфа»', 'ООО «Бета»', 'ООО «Гамма»', 'ООО «Дельта»']);
    const [petr] = await db.query<{ role: string; password_hash: string | null }>(
      sql`select role, password_hash from users where workspace_id = ${ws} and name = 'Пётр Новиков'`,
    );
    expect(petr).toEqual({ role: 'manager', password_hash: null });
  });

  it('prints what the account files brought in the CLI summary, in both languages', async () => {
    const again = await importBundle(db, FIXTURE, { now });
    const accountLines = (l: 'en' | 'ru') => formatImportReport(again, l).slice(2);
    expect(accountLines('en')).toEqual([
      '  contracts: 0 created, 0 updated, 7 unchanged (7 rows)',
      '  contracts overlapping another of the same company and product group: 2',
      '  service cases: 0 created, 0 updated, 5 unchanged (5 rows)',
      '  gross margin: 0.7 (unchanged)',
    ]);
    expect(accountLines('ru')).toEqual([
      '  договоры: создано 0, обновлено 0, без изменений 7 (7 строк)',
      '  договоров, пересекающихся с другим договором той же компании и продуктовой группы: 2',
      '  обращения: создано 0, обновлено 0, без изменений 5 (5 строк)',
      '  валовая маржа: 0,7 (без изменений)',
    ]);
  });

  it('changes nothing when the same bundle comes again', async () => {
    const before = await snapshot();
    const ws = await wsId('Продажи');
    const rows = { contracts: await contractsOf(ws), cases: await casesOf(ws), tasks: await renewalTasksOf(ws) };
    const r = await importBundle(db, FIXTURE, { now: new Date('2025-06-02T00:00:00Z') });
    expect(r.changed).toBe(false);
    expect(r.accounts).toEqual({
      contracts_in_file: 7,
      contracts_created: 0,
      contracts_updated: 0,
      contracts_unchanged: 7,
      overlapping_contracts: 2,
      renewal_tasks_created: 0,
      cases_in_file: 5,
      cases_created: 0,
      cases_updated: 0,
      cases_unchanged: 5,
      new_companies: [],
      new_product_groups: [],
      new_owners: [],
      gross_margin: 0.7,
      gross_margin_changed: false,
    });
    expect(await snapshot()).toEqual(before);
    expect({ contracts: await contractsOf(ws), cases: await casesOf(ws), tasks: await renewalTasksOf(ws) }).toEqual(rows);
  });

  it('updates changed rows only; a contract renewing an imported one closes its renewal task', async () => {
    const ws = await wsId('Продажи');
    const later = new Date('2025-06-10T00:00:00Z');
    const dir = bundle({
      'contracts.csv': (l) => [
        ...semi(4, 5, '5 500,00')(l),
        // C2 renewed: its task is done, C8 gets one.
        'C8;ООО «Альфа»;ЛИЦЕНЗИИ;2026-07-01;2027-07-01;12 000,00;Иван Петров',
      ],
      'cases.csv': (l) => setCell(3, 5, '2025-03-02T10:00:00+03:00')(setCell(2, 7, 'Выгрузка не работает')(l)),
    });
    const r = await importBundle(db, dir, { now: later });
    expect(r.accounts).toMatchObject({
      contracts_in_file: 8,
      contracts_created: 1,
      contracts_updated: 1,
      contracts_unchanged: 6,
      overlapping_contracts: 2,
      renewal_tasks_created: 1,
      cases_created: 0,
      cases_updated: 2,
      cases_unchanged: 3,
      new_companies: [],
      new_product_groups: [],
      new_owners: [],
    });
    const contracts = await contractsOf(ws);
    expect(contracts.filter((c) => c.version !== 1).map((c) => [c.id, Number(c.mrr_minor), c.version])).toEqual([['C3', 550_000, 2]]);
    expect(contracts.find((c) => c.id === 'C8')).toMatchObject({ product_group: 'Лицензии', start: '2026-07-01', end: '2027-07-01' });
    const cases = await casesOf(ws);
    expect(cases.filter((k) => k.version !== 1).map((k) => [k.id, k.status, k.title, k.closed_at])).toEqual([
      ['K1', 'resolved', 'Выгрузка не работает', msk('2025-02-03T07:00:00Z')],
      ['K2', 'resolved', 'Обращение K2 (импорт)', msk('2025-03-02T07:00:00Z')],
    ]);
    const tasks = await renewalTasksOf(ws);
    expect(tasks.map((t) => [t.contract, t.status, t.due_at])).toEqual([
      ['C2', 'done', msk('2026-05-20T07:00:00Z')],
      ['C3', 'open', msk('2025-11-19T07:00:00Z')],
      ['C5', 'open', msk('2026-07-21T07:00:00Z')],
      ['C7', 'open', msk('2030-11-20T07:00:00Z')],
      // 01.07.2027 is a Thursday: six weeks before.
      ['C8', 'open', msk('2027-05-20T07:00:00Z')],
    ]);
  });

  it('matches an owner by e-mail when no user has that name', async () => {
    const ws = await wsId('Продажи');
    await db.query(sql`update users set email = 'petr@example.ru' where workspace_id = ${ws} and name = 'Пётр Новиков'`);
    const users = Number((await db.query<{ n: number }>(sql`select count(*)::int8 as n from users where workspace_id = ${ws}`))[0].n);
    const dir = bundle({ 'contracts.csv': (l) => [...l, 'C9;ООО «Гамма»;Внедрение;2025-06-01;2026-06-01;100;PETR@example.ru'] });
    const r = await importBundle(db, dir, { now });
    expect(r.accounts).toMatchObject({ contracts_created: 1, new_owners: [] });
    expect((await contractsOf(ws)).find((c) => c.id === 'C9')?.owner).toBe('Пётр Новиков');
    expect(Number((await db.query<{ n: number }>(sql`select count(*)::int8 as n from users where workspace_id = ${ws}`))[0].n)).toBe(users);
  });

  it('titles imported cases in the workspace’s language and reads cases.csv in Russian Excel’s dialect too', async () => {
    await createWorkspace(db, { name: 'Key accounts', currency: 'RUB', timezone: 'Europe/Moscow', locale: 'en' }, now);
    // Russian Excel also rewrites dates as DD.MM.YYYY.
    const dir = bundle({ 'cases.csv': (l) => l.map((x) => x.replace(/,/g, ';')), 'contracts.csv': semi(8, 3, '01.01.2026') });
    const cases = readFileSync(join(dir, 'cases.csv'), 'utf8');
    writeFileSync(join(dir, 'cases.csv'), `\uFEFF${cases.replace(/\n/g, '\r\n')}`);
    const r = await importBundle(db, dir, { workspace: 'Key accounts', now });
    expect(r.workspace_created).toBe(false);
    expect(r.accounts).toMatchObject({ cases_created: 5, gross_margin: 0.7, gross_margin_changed: true });
    const ws = await wsId('Key accounts');
    expect((await contractsOf(ws)).find((c) => c.id === 'C7')).toMatchObject({ start: '2026-01-01', end: '2031-01-01' });
    expect((await casesOf(ws)).map((k) => [k.id, k.company, k.title])).toEqual([
      ['K1', 'ООО «Альфа»', 'Не работает выгрузка'],
      ['K2', 'ООО «Бета»', 'Imported case K2'],
      ['K3', 'ООО «Бета»', 'Imported case K3'],
      ['K4', 'ООО «Дельта»', 'Imported case K4'],
      ['K5', 'ООО «Бета»', 'Imported case K5'],
    ]);
    expect((await renewalTasksOf(ws)).map((t) => t.title)).toEqual([
      'Renewal: ООО «Альфа» — Лицензии',
      'Renewal: ООО «Альфа» — Внедрение',
      'Renewal: ООО «Гамма» — Поддержка',
      'Renewal: ООО «Бета» — Поддержка',
    ]);
  });
});

describe('a bad row of contracts.csv or cases.csv, or a bad gross_margin', () => {
  /**
   * The fixture plus what a good import would write into workspace «Продажи» (a new deal, a new
   * contract, another gross margin), broken by `edit`.
   */
  const broken = (edit: Partial<Record<string, (lines: string[]) => string[]>>) =>
    bundle({
      'pipeline.json': (l) => l.map((x) => x.replace('"gross_margin": 0.7', '"gross_margin": 0.5')),
      'deals.csv': (l) => [...l, 'D9,Новая,ООО «Новая»,Новый Менеджер,SMB,Сайт,Москва,100.00,2025-05-01T10:00:00+03:00'],
      'stage_events.csv': (l) => [...l, 'D9,Новый лид,2025-05-01T10:00:00+03:00'],
      ...edit,
      'contracts.csv': (l) => [
        ...(edit['contracts.csv'] ?? ((x) => x))(l),
        'C10;ООО «Ещё новая»;Обучение;2025-06-01;2026-06-01;100;Ещё Менеджер',
      ],
    });

  async function refused(edit: Partial<Record<string, (lines: string[]) => string[]>>) {
    const before = await snapshot();
    const e = await importBundle(db, broken(edit), { now }).catch((x) => x);
    expect(e).toBeInstanceOf(AppError);
    expect(await snapshot()).toEqual(before);
    const err = e as AppError;
    return { code: err.code, details: err.details, msg: err.msg };
  }
  const rowProblem = (file: string, line: number, column: string, value: string, en: string, ru: string) => ({
    code: 'IMPORT_ROW_INVALID',
    details: { file, line, column, value, reason: en },
    msg: {
      en: `${file}, line ${line}, column ${column}: ${en} ("${value}")`,
      ru: `${file}, строка ${line}, столбец ${column}: ${ru} ("${value}")`,
    },
  });

  it('is imported when nothing is broken (so that each refusal below refuses real writes)', async () => {
    const dir = broken({});
    const e = await importBundle(db, dir, { workspace: 'Проба', now });
    expect(e.accounts).toMatchObject({ contracts_created: 8, gross_margin: 0.5 });
    expect(e.deals_created).toBe(4);
  });

  it('refuses an end not after the start', async () => {
    expect(await refused({ 'contracts.csv': semi(4, 4, '2025-01-01') })).toEqual(
      rowProblem(
        'contracts.csv',
        4,
        'end',
        '2025-01-01',
        'the end (2025-01-01) must be after the start (2025-01-01): the end is exclusive',
        'окончание (2025-01-01) должно быть позже начала (2025-01-01): день окончания в договор не входит',
      ),
    );
  });

  it('refuses a negative, a non-numeric mrr and one with more decimals than the currency has', async () => {
    expect(await refused({ 'contracts.csv': semi(5, 5, '-3000') })).toEqual(
      rowProblem('contracts.csv', 5, 'mrr', '-3000', 'amount is negative', 'сумма отрицательная'),
    );
    expect(await refused({ 'contracts.csv': semi(5, 5, 'три тысячи') })).toEqual(
      rowProblem('contracts.csv', 5, 'mrr', 'три тысячи', '"три тысячи" is not an amount', '«три тысячи» — не сумма'),
    );
    expect(await refused({ 'contracts.csv': semi(6, 5, '3000,123') })).toEqual(
      rowProblem(
        'contracts.csv',
        6,
        'mrr',
        '3000,123',
        '"3000,123" has more than two decimals',
        'в «3000,123» больше двух знаков после запятой',
      ),
    );
    expect(await refused({ 'contracts.csv': semi(2, 5, '') })).toEqual(
      rowProblem('contracts.csv', 2, 'mrr', '', 'amount is empty', 'сумма не указана'),
    );
  });

  it('refuses a date that is not a day', async () => {
    expect(await refused({ 'contracts.csv': semi(3, 3, '2025-02-30') })).toEqual(
      rowProblem(
        'contracts.csv',
        3,
        'start',
        '2025-02-30',
        '"2025-02-30" is not a date: use YYYY-MM-DD, e.g. 2025-03-01',
        '«2025-02-30» — не дата: используйте ГГГГ-ММ-ДД, например 2025-03-01',
      ),
    );
    expect(await refused({ 'contracts.csv': semi(7, 4, '1 января 2025') })).toEqual(
      rowProblem(
        'contracts.csv',
        7,
        'end',
        '1 января 2025',
        '"1 января 2025" is not a date: use YYYY-MM-DD, e.g. 2025-03-01',
        '«1 января 2025» — не дата: используйте ГГГГ-ММ-ДД, например 2025-03-01',
      ),
    );
  });

  it('refuses a contract_id twice', async () => {
    expect(await refused({ 'contracts.csv': (l) => [...l, l[1]] })).toEqual(
      rowProblem('contracts.csv', 9, 'contract_id', 'C1', 'contract_id C1 is also on line 2', 'contract_id C1 есть и в строке 2'),
    );
  });

  it('refuses an unknown kind or recorder_role', async () => {
    expect(await refused({ 'cases.csv': setCell(3, 3, 'wish') })).toEqual(
      rowProblem(
        'cases.csv',
        3,
        'kind',
        'wish',
        'not a kind of case: one of complaint, claim, question or praise',
        'не вид обращения: одно из complaint (жалоба), claim (рекламация), question (вопрос), praise (благодарность)',
      ),
    );
    expect(await refused({ 'cases.csv': setCell(4, 6, 'support') })).toEqual(
      rowProblem(
        'cases.csv',
        4,
        'recorder_role',
        'support',
        'not a recorder role: service or sales',
        'не роль записавшего: service (сервис) или sales (продажи)',
      ),
    );
  });

  it('refuses closed_at before opened_at and a timestamp without its offset', async () => {
    expect(await refused({ 'cases.csv': setCell(2, 5, '2025-01-31T10:00:00+03:00') })).toEqual(
      rowProblem(
        'cases.csv',
        2,
        'closed_at',
        '2025-01-31T10:00:00+03:00',
        'closed before it was opened (2025-02-01T10:00:00+03:00)',
        'закрыто раньше, чем открыто (2025-02-01T10:00:00+03:00)',
      ),
    );
    expect(await refused({ 'cases.csv': setCell(3, 4, '2025-03-01T10:00:00') })).toEqual(
      rowProblem(
        'cases.csv',
        3,
        'opened_at',
        '2025-03-01T10:00:00',
        '"2025-03-01T10:00:00" has no time zone: add its offset, e.g. 2025-03-01T10:00:00+03:00',
        'у «2025-03-01T10:00:00» нет часового пояса: добавьте смещение, например 2025-03-01T10:00:00+03:00',
      ),
    );
    expect(await refused({ 'cases.csv': setCell(4, 5, '01.04.2025 12:00') })).toEqual(
      rowProblem(
        'cases.csv',
        4,
        'closed_at',
        '01.04.2025 12:00',
        '"01.04.2025 12:00" is not an instant: use ISO 8601 with its offset, e.g. 2025-03-01T10:00:00+03:00',
        '«01.04.2025 12:00» — не момент времени: используйте ISO 8601 со смещением, например 2025-03-01T10:00:00+03:00',
      ),
    );
  });

  it('refuses a deal_id naming no deal, a deal of another company, and a case without a company', async () => {
    expect(await refused({ 'cases.csv': setCell(5, 2, 'D404') })).toEqual(
      rowProblem(
        'cases.csv',
        5,
        'deal_id',
        'D404',
        'no deal "D404" in deals.csv or in the workspace',
        'сделки «D404» нет ни в deals.csv, ни в пространстве',
      ),
    );
    expect(await refused({ 'cases.csv': setCell(6, 2, 'D1') })).toEqual(
      rowProblem(
        'cases.csv',
        6,
        'deal_id',
        'D1',
        'deal "D1" is of company "ООО «Альфа»", not of the case\'s company "ООО «Бета»"',
        'сделка «D1» относится к компании «ООО «Альфа»», а не к компании обращения «ООО «Бета»»',
      ),
    );
    // A company no deal names is not the company of D2.
    expect(await refused({ 'cases.csv': setCell(4, 1, 'ООО «Омега»') })).toMatchObject({
      details: { file: 'cases.csv', line: 4, column: 'deal_id', value: 'D2' },
    });
    expect(await refused({ 'cases.csv': setCell(6, 1, '') })).toEqual(
      rowProblem('cases.csv', 6, 'company', '', 'company is empty and deal "D3" has none', 'компания не указана, и у сделки «D3» её нет'),
    );
    expect(await refused({ 'cases.csv': setCell(3, 1, '') })).toEqual(
      rowProblem(
        'cases.csv',
        3,
        'company',
        '',
        'company is empty (it may be left empty only when deal_id names a deal of a company)',
        'компания не указана (её можно не указывать, только если deal_id называет сделку с компанией)',
      ),
    );
  });

  it('refuses a case_id twice', async () => {
    expect(await refused({ 'cases.csv': (l) => [...l, l[2]] })).toEqual(
      rowProblem('cases.csv', 7, 'case_id', 'K2', 'case_id K2 is also on line 3', 'case_id K2 есть и в строке 3'),
    );
  });

  it('refuses a gross_margin that is not a number in (0, 1]', async () => {
    const margin = (v: string) => ({
      'pipeline.json': (l: string[]) => l.map((x) => x.replace('"gross_margin": 0.7', `"gross_margin": ${v}`)),
    });
    for (const v of ['0', '1.5', '-0.2', '"0.7"', 'null']) {
      expect(await refused(margin(v))).toEqual({
        code: 'IMPORT_FILE_INVALID',
        details: {
          file: 'pipeline.json',
          line: null,
          column: 'gross_margin',
          value: v,
          reason: 'gross_margin must be a number in (0, 1], e.g. 0.7',
        },
        msg: {
          en: `pipeline.json, column gross_margin: gross_margin must be a number in (0, 1], e.g. 0.7 ("${v}")`,
          ru: `pipeline.json, столбец gross_margin: gross_margin должна быть числом в интервале (0, 1], например 0.7 ("${v}")`,
        },
      });
    }
  });
});

describe('the import screen’s upload', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('takes contracts.csv and cases.csv beside the marketing files', async () => {
    const w = await seedWorkspace(h, 'Загрузка');
    // The workspace's own «Продажи» has other stages: the bundle's pipeline is a second one.
    const dir = bundle({ 'pipeline.json': (l) => l.map((x) => x.replace('"name": "Продажи"', '"name": "Ключевые клиенты"')) });
    writeFileSync(
      join(dir, 'leads.csv'),
      'lead_id,created_at,channel,campaign,company,industry,employees,region,deal_id\nL1,2025-01-05T09:00:00+03:00,Вебинары,,,,,,D1\n',
    );
    writeFileSync(join(dir, 'touches.csv'), 'lead_id,channel,at\nL1,Вебинары,2025-01-05T10:00:00+03:00\n');
    writeFileSync(join(dir, 'spend.csv'), 'channel,month,amount\nВебинары,2025-01,600\n');
    writeFileSync(join(dir, 'icp.json'), JSON.stringify(ICP));
    const names = [
      'pipeline.json',
      'deals.csv',
      'stage_events.csv',
      'leads.csv',
      'touches.csv',
      'spend.csv',
      'icp.json',
      'contracts.csv',
      'cases.csv',
    ];
    const form = new FormData();
    for (const n of names) form.append(n, new Blob([readFileSync(join(dir, n))]), n);
    const res = await fetch(`${h.url}/api/v1/imports`, { method: 'POST', headers: { authorization: `Bearer ${w.token}` }, body: form });
    const body = (await res.json()) as { report: Record<string, any> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.report.marketing).toMatchObject({ leads_created: 1, touches_added: 1, spend_created: 1 });
    expect(body.report.accounts).toMatchObject({ contracts_created: 7, cases_created: 5, renewal_tasks_created: 4, gross_margin: 0.7 });
    const [n] = await h.db.query<{ contracts: number; cases: number }>(
      sql`select (select count(*)::int8 from contracts where workspace_id = ${w.ws}) as contracts,
                 (select count(*)::int8 from service_cases where workspace_id = ${w.ws}) as cases`,
    );
    expect([Number(n.contracts), Number(n.cases)]).toEqual([7, 5]);
  });
});
