import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../src/imports/bundle-import.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { AppError } from '../../src/platform/errors.ts';
import { dealRow, writeBundle } from '../support/bundle.ts';
import { openTestDb } from '../support/test-db.ts';

let db: Db;
const now = new Date('2025-06-01T00:00:00Z');
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db.close();
});

async function expectImportError(dir: string, workspace: string, details: Record<string, unknown>, message?: RegExp) {
  const before = await db.query<{ n: number }>('select count(*)::int8 as n from deals');
  const workspaces = await db.query<{ n: number }>('select count(*)::int8 as n from workspaces');
  let caught: unknown;
  try {
    await importBundle(db, dir, { workspace, now });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AppError);
  const err = caught as AppError;
  expect(err.details).toMatchObject(details);
  if (message) expect(err.message).toMatch(message);
  expect(await db.query('select count(*)::int8 as n from deals')).toEqual(before);
  expect(await db.query('select count(*)::int8 as n from workspaces')).toEqual(workspaces);
  return err;
}

describe('canonical bundle import', () => {
  it('creates the workspace and pipeline, the deals and their history; a second run changes nothing', async () => {
    const dir = writeBundle({
      deals: [
        dealRow('D1', { amount: '1500.50' }),
        dealRow('D2', { owner: 'Анна Смирнова', amount: '0', segment: 'Enterprise' }),
        dealRow('D3'),
      ],
      // Rows in any order.
      events: [
        ['D2', 'Закрыто и не реализовано', '2025-02-01T12:00:00+03:00'],
        ['D1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['D1', 'Квалификация', '2025-01-12T10:00:00+03:00'],
        ['D2', 'Новый лид', '2025-01-11T09:00:00+03:00'],
        ['D1', 'Успешно реализовано', '2025-01-20T15:30:00+03:00'],
        ['D3', 'Новый лид', '2025-01-15T10:00:00+03:00'],
      ],
    });
    const first = await importBundle(db, dir, { workspace: 'Импорт', now });
    expect(first).toMatchObject({
      workspace_created: true,
      pipeline_created: true,
      deals_in_file: 3,
      deals_created: 3,
      deals_updated: 0,
      stage_entries_in_file: 6,
      stage_entries_added: 6,
      new_owners: ['Анна Смирнова', 'Иван Петров'],
      new_segments: ['Enterprise', 'SMB'],
      new_channels: ['Сайт'],
      new_companies: 1,
      created_at_differs_from_first_entry: 2,
      changed: true,
    });
    const deals = await db.query<{ external_id: string; status: string; amount_minor: number; created_at: Date; closed_at: Date | null }>(
      'select external_id, status, amount_minor, created_at, closed_at from deals order by external_id',
    );
    expect(deals).toEqual([
      {
        external_id: 'D1',
        status: 'won',
        amount_minor: 150050,
        created_at: new Date('2025-01-10T07:00:00Z'),
        closed_at: new Date('2025-01-20T12:30:00Z'),
      },
      {
        external_id: 'D2',
        status: 'lost',
        amount_minor: 0,
        created_at: new Date('2025-01-11T06:00:00Z'),
        closed_at: new Date('2025-02-01T09:00:00Z'),
      },
      { external_id: 'D3', status: 'open', amount_minor: 100000, created_at: new Date('2025-01-15T07:00:00Z'), closed_at: null },
    ]);
    const again = await importBundle(db, dir, { workspace: 'Импорт', now });
    expect(again).toMatchObject({
      changed: false,
      deals_created: 0,
      deals_updated: 0,
      deals_unchanged: 3,
      stage_entries_added: 0,
      stage_entries_already_present: 6,
    });
    expect(await db.query('select count(*)::int8 as n from import_runs')).toEqual([{ n: 1 }]);

    // A later export of the same system: D3 moved on and its amount changed.
    const later = writeBundle({
      deals: [
        dealRow('D1', { amount: '1500.50' }),
        dealRow('D2', { owner: 'Анна Смирнова', amount: '0', segment: 'Enterprise' }),
        dealRow('D3', { amount: '2000' }),
      ],
      events: [
        ['D1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['D1', 'Квалификация', '2025-01-12T10:00:00+03:00'],
        ['D1', 'Успешно реализовано', '2025-01-20T15:30:00+03:00'],
        ['D2', 'Новый лид', '2025-01-11T09:00:00+03:00'],
        ['D2', 'Закрыто и не реализовано', '2025-02-01T12:00:00+03:00'],
        ['D3', 'Новый лид', '2025-01-15T10:00:00+03:00'],
        ['D3', 'Встреча', '2025-02-15T10:00:00+03:00'],
      ],
    });
    const third = await importBundle(db, later, { workspace: 'Импорт', now });
    expect(third).toMatchObject({ deals_updated: 1, deals_unchanged: 2, stage_entries_added: 1, stage_entries_already_present: 6 });
    const d3 = await db.query<{ amount_minor: number; version: number; stage: string }>(
      `select d.amount_minor, d.version, s.name as stage from deals d join stages s on s.id = d.stage_id and s.workspace_id = d.workspace_id where external_id = 'D3'`,
    );
    expect(d3).toEqual([{ amount_minor: 200000, version: 2, stage: 'Встреча' }]);
  });

  it('reads Russian Excel files: semicolons, BOM, Windows line ends, Russian headers and numbers', async () => {
    const dir = writeBundle({
      delimiter: ';',
      bom: true,
      crlf: true,
      dealsHeader: ['ID сделки', 'Название', 'Компания', 'Ответственный', 'Сегмент', 'Канал', 'Регион', 'Сумма', 'Дата создания'],
      eventsHeader: ['ID сделки', 'Этап', 'Дата перехода'],
      deals: [
        ['R1', 'Поставка; монтаж', 'АО «Бета»', 'Пётр Иванов', 'SMB', 'Выставки', 'Казань', '1 234 567,89', '15.01.2025 10:30'],
        ['R2', 'Сервис', 'АО «Бета»', 'Пётр Иванов', 'SMB', 'Выставки', 'Казань', '12\u00a0000', '2025-01-16'],
      ],
      events: [
        ['R1', 'новый лид', '15.01.2025 10:30'],
        ['R1', 'Квалификация', '2025-01-20T10:00:00+03:00'],
        ['R2', 'Новый лид', '16.01.2025'],
      ],
    });
    const r = await importBundle(db, dir, { workspace: 'Excel', now });
    expect(r).toMatchObject({ deals_created: 2, stage_entries_added: 3, ignored_columns: [] });
    const rows = await db.query<{ external_id: string; title: string; amount_minor: number; created_at: Date }>(
      `select d.external_id, d.title, d.amount_minor, d.created_at from deals d join workspaces w using (workspace_id) where w.name = 'Excel' order by d.external_id`,
    );
    expect(rows).toEqual([
      { external_id: 'R1', title: 'Поставка; монтаж', amount_minor: 123456789, created_at: new Date('2025-01-15T07:30:00Z') },
      { external_id: 'R2', title: 'Сервис', amount_minor: 1200000, created_at: new Date('2025-01-15T21:00:00Z') },
    ]);
  });

  it('stops at a broken quote on line 5000 with the file and line, writing nothing', async () => {
    const deals = Array.from({ length: 6000 }, (_, i) => dealRow(`Q${i + 2}`));
    const dir = writeBundle({ deals, events: deals.map((d) => [d[0], 'Новый лид', '2025-01-10T10:00:00+03:00']) });
    const path = join(dir, 'deals.csv');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[4999] = lines[4999].replace('Сделка Q5000', '"Сделка "Q5000" без конца');
    writeFileSync(path, lines.join('\n'));
    const err = await expectImportError(dir, 'Кавычки', { file: 'deals.csv', line: 5000 }, /deals\.csv, line 5000: malformed CSV/);
    expect(err.code).toBe('IMPORT_ROW_INVALID');
  });

  it('refuses duplicate deal_id rows with different data, naming both lines', async () => {
    const dir = writeBundle({
      deals: [dealRow('X1'), dealRow('X2'), dealRow('X1', { amount: '999' })],
      events: [
        ['X1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['X2', 'Новый лид', '2025-01-10T10:00:00+03:00'],
      ],
    });
    await expectImportError(
      dir,
      'Дубли',
      { file: 'deals.csv', line: 4, column: 'deal_id', value: 'X1' },
      /repeats line 2 with different data/,
    );
    const same = writeBundle({
      deals: [dealRow('Y1'), dealRow('Y1')],
      events: [
        ['Y1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['Y1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
      ],
    });
    const r = await importBundle(db, same, { workspace: 'Дубли-одинаковые', now });
    expect(r).toMatchObject({
      deals_created: 1,
      identical_duplicate_deal_rows: 1,
      identical_duplicate_stage_rows: 1,
      stage_entries_added: 1,
    });
  });

  it('names the file, line, column and reason of each kind of bad row', async () => {
    const ok = [dealRow('Z1')];
    const okEvents = [['Z1', 'Новый лид', '2025-01-10T10:00:00+03:00']];
    const cases: [Parameters<typeof writeBundle>[0], Record<string, unknown>, RegExp][] = [
      [
        { deals: [dealRow('Z1', { amount: '12,345' })], events: okEvents },
        { file: 'deals.csv', line: 2, column: 'amount' },
        /more than two decimals/,
      ],
      [{ deals: [dealRow('Z1', { amount: '-5' })], events: okEvents }, { file: 'deals.csv', line: 2, column: 'amount' }, /negative/],
      [
        { deals: [dealRow('Z1', { created_at: '31.02.2025' })], events: okEvents },
        { file: 'deals.csv', line: 2, column: 'created_at' },
        /not a date/,
      ],
      [{ deals: [dealRow('')], events: okEvents }, { file: 'deals.csv', line: 2, column: 'deal_id' }, /empty/],
      [
        { deals: ok, events: [['Z1', 'Переговоры', '2025-01-10T10:00:00+03:00']] },
        { file: 'stage_events.csv', line: 2, column: 'stage' },
        /no such stage/,
      ],
      [
        { deals: ok, events: [...okEvents, ['Z9', 'Новый лид', '2025-01-10T10:00:00+03:00']] },
        { file: 'stage_events.csv', line: 3, column: 'deal_id', value: 'Z9' },
        /no such deal/,
      ],
      [{ deals: [...ok, dealRow('Z2')], events: okEvents }, { file: 'deals.csv', line: 3, value: 'Z2' }, /no row in stage_events/],
      [
        { deals: ok, events: okEvents, eventsHeader: ['deal_id', 'stage', 'when'] },
        { file: 'stage_events.csv', line: 1 },
        /missing column\(s\): entered_at/,
      ],
      [
        {
          deals: ok,
          events: okEvents,
          pipeline: {
            name: 'P',
            currency: 'RUB',
            timezone: 'Mars/Olympus',
            stages: [
              { name: 'a', kind: 'open' },
              { name: 'b', kind: 'won' },
              { name: 'c', kind: 'lost' },
            ],
          },
        },
        { file: 'pipeline.json' },
        /time zone/,
      ],
      [
        {
          deals: ok,
          events: okEvents,
          pipeline: {
            name: 'P',
            currency: 'RUB',
            timezone: 'Europe/Moscow',
            stages: [
              { name: 'a', kind: 'open' },
              { name: 'b', kind: 'open' },
              { name: 'c', kind: 'lost' },
            ],
          },
        },
        { file: 'pipeline.json' },
        /won stage/,
      ],
    ];
    for (const [files, details, message] of cases) await expectImportError(writeBundle(files), 'Ошибки', details, message);
    const noFile = writeBundle({ deals: ok, events: okEvents });
    writeFileSync(join(noFile, 'pipeline.json'), '{ not json');
    await expectImportError(noFile, 'Ошибки', { file: 'pipeline.json' }, /not valid JSON/);
  });

  it('never rewrites an existing history: an earlier entry for an imported deal is refused', async () => {
    const first = writeBundle({
      deals: [dealRow('H1')],
      events: [
        ['H1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['H1', 'Встреча', '2025-01-20T10:00:00+03:00'],
      ],
    });
    await importBundle(db, first, { workspace: 'История', now });
    const rewrite = writeBundle({ deals: [dealRow('H1')], events: [['H1', 'Квалификация', '2025-01-15T10:00:00+03:00']] });
    await expectImportError(rewrite, 'История', { file: 'stage_events.csv', line: 2, column: 'entered_at' }, /append-only/);
    const [{ n }] = await db.query<{ n: number }>(
      sql`select count(*)::int8 as n from stage_events e join deals d on d.id = e.deal_id and d.workspace_id = e.workspace_id where d.external_id = 'H1'`,
    );
    expect(n).toBe(2);
  });

  it('creates nothing from files that hold only their headers, and says so', async () => {
    const err = await expectImportError(
      writeBundle({ deals: [], events: [] }),
      'Пустой импорт',
      { file: 'deals.csv', reason: 'no rows' },
      /nothing to import, nothing was created/,
    );
    expect(err.msg.ru).toMatch(/импортировать нечего, ничего не создано/);
    expect(await db.query(sql`select name from workspaces where name = 'Пустой импорт'`)).toEqual([]);
    expect(await db.query(sql`select id from pipelines p join workspaces w using (workspace_id) where w.name = 'Пустой импорт'`)).toEqual(
      [],
    );
  });
});
