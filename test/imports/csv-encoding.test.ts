import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatImportReport } from '../../src/cli/import-command.ts';
import { DEAL_COLUMNS, EVENT_COLUMNS, type ImportReport, importBundle } from '../../src/imports/bundle-import.ts';
import { type CsvHeader, readCsv } from '../../src/imports/csv-source.ts';
import { stageCsv } from '../../src/imports/csv-stage.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { AppError } from '../../src/platform/errors.ts';
import { dealRow, writeBundle } from '../support/bundle.ts';
import { openTestDb } from '../support/test-db.ts';

let db: Db;
const now = new Date('2025-06-01T00:00:00Z');
const root = mkdtempSync(join(tmpdir(), 'voronka-csv-encoding-'));
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db.close();
});

const RU_DEALS_HEADER = ['ID сделки', 'Название', 'Компания', 'Ответственный', 'Сегмент', 'Канал', 'Регион', 'Сумма', 'Дата создания'];
const RU_EVENTS_HEADER = ['ID сделки', 'Этап', 'Дата перехода'];

/** A fixture folder named after the outcome the test expects of it. */
const fixture = (name: string) => {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** Re-encodes a file of the bundle written as UTF-8 into Windows-1251, as Russian Excel saves "CSV (разделители — точка с запятой)". */
function toWindows1251(dir: string, file: string) {
  const path = join(dir, file);
  writeFileSync(path, iconv.encode(readFileSync(path, 'utf8'), 'win1251'));
}

async function importError(dir: string, workspace: string): Promise<AppError> {
  const before = await db.query('select count(*)::int8 as n from deals');
  let caught: unknown;
  try {
    await importBundle(db, dir, { workspace, now });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect(await db.query('select count(*)::int8 as n from deals')).toEqual(before);
  expect(await db.query('select 1 from workspaces where name = $1', [workspace])).toEqual([]);
  return caught as AppError;
}

const stagedEncoding = (path: string, file: string, columns: Record<string, string[]>, required: string[]) =>
  db.transaction(async (tx) => (await stageCsv(tx, path, file, { columns, required }, 'imp_raw_probe')).encoding);

describe('CSV encodings', () => {
  it('imports a Windows-1251 deals.csv from Russian Excel and says it read Windows-1251', async () => {
    const dir = writeBundle(
      {
        delimiter: ';',
        crlf: true,
        dealsHeader: RU_DEALS_HEADER,
        eventsHeader: RU_EVENTS_HEADER,
        deals: [
          [
            'W1',
            'Поставка «Ёлка»; монтаж',
            'ООО «Щит и Меч»',
            'Пётр Иванов',
            'SMB',
            'Выставки',
            'Нижний Новгород',
            '1 234,50',
            '15.01.2025 10:30',
          ],
          ['W2', 'Сервис №2 — годовой', 'АО «Бета»', 'Анна Смирнова', 'SMB', 'Выставки', 'Казань', '12\u00a0000', '16.01.2025'],
        ],
        events: [
          ['W1', 'Новый лид', '15.01.2025 10:30'],
          ['W2', 'Новый лид', '16.01.2025'],
        ],
      },
      fixture('windows-1251-deals-imported'),
    );
    toWindows1251(dir, 'deals.csv');
    const r = await importBundle(db, dir, { workspace: 'Кодировка', now });
    expect(r).toMatchObject({ deals_created: 2, stage_entries_added: 2, ignored_columns: [] });
    const rows = await db.query<{
      external_id: string;
      title: string;
      company: string;
      owner: string;
      region: string;
      amount_minor: number;
    }>(
      `select d.external_id, d.title, c.name as company, u.name as owner, d.region, d.amount_minor
         from deals d join workspaces w using (workspace_id)
         join companies c on c.workspace_id = d.workspace_id and c.id = d.company_id
         join users u on u.workspace_id = d.workspace_id and u.id = d.owner_id
        where w.name = 'Кодировка' order by d.external_id`,
    );
    expect(rows).toEqual([
      {
        external_id: 'W1',
        title: 'Поставка «Ёлка»; монтаж',
        company: 'ООО «Щит и Меч»',
        owner: 'Пётр Иванов',
        region: 'Нижний Новгород',
        amount_minor: 123450,
      },
      {
        external_id: 'W2',
        title: 'Сервис №2 — годовой',
        company: 'АО «Бета»',
        owner: 'Анна Смирнова',
        region: 'Казань',
        amount_minor: 1200000,
      },
    ]);
    expect(await stagedEncoding(join(dir, 'deals.csv'), 'deals.csv', DEAL_COLUMNS, ['deal_id'])).toBe('Windows-1251');
    expect(await stagedEncoding(join(dir, 'stage_events.csv'), 'stage_events.csv', EVENT_COLUMNS, ['deal_id'])).toBe('UTF-8');
  });

  it('reads as Windows-1251 a file whose first 64 KiB are plain ASCII and the Cyrillic comes later', async () => {
    const deals = Array.from({ length: 1500 }, (_, i) =>
      dealRow(`A${i}`, { title: 'Plain', company: 'Acme', owner: 'John Smith', channel: 'Web', region: 'Moscow' }),
    );
    deals.push(dealRow('A9999', { title: 'Ёжик в тумане', company: 'Acme', owner: 'John Smith', channel: 'Web', region: 'Moscow' }));
    const dir = writeBundle(
      { deals, events: deals.map((d) => [d[0], 'Новый лид', '2025-01-10T10:00:00+03:00']) },
      fixture('ascii-first-then-windows-1251-imported'),
    );
    toWindows1251(dir, 'deals.csv');
    expect(
      readFileSync(join(dir, 'deals.csv'))
        .subarray(0, 64 * 1024)
        .every((b) => b < 0x80),
    ).toBe(true);
    const r = await importBundle(db, dir, { workspace: 'Поздняя кириллица', now });
    expect(r).toMatchObject({ deals_created: 1501 });
    expect(await db.query(`select title from deals where external_id = 'A9999'`)).toEqual([{ title: 'Ёжик в тумане' }]);
    expect(await stagedEncoding(join(dir, 'deals.csv'), 'deals.csv', DEAL_COLUMNS, ['deal_id'])).toBe('Windows-1251');
  });

  it('refuses the byte 0x98, no character in Windows-1251, with its line instead of storing U+FFFD', async () => {
    const dir = writeBundle(
      {
        deals: [dealRow('B1', { title: 'Поставка' }), dealRow('B2', { title: 'Сервис' })],
        events: [
          ['B1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
          ['B2', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ],
      },
      fixture('windows-1251-byte-0x98-refused'),
    );
    const path = join(dir, 'deals.csv');
    const bytes = iconv.encode(readFileSync(path, 'utf8'), 'win1251');
    const at = bytes.indexOf(iconv.encode('Сервис', 'win1251'));
    bytes[at + 2] = 0x98;
    writeFileSync(path, bytes);
    const err = await importError(dir, 'Байт 0x98');
    expect(err.msg).toEqual({
      en: 'deals.csv, line 3: byte 0x98 is not a character in Windows-1251, the encoding the file was read in',
      ru: 'deals.csv, строка 3: байт 0x98 — не символ в Windows-1251, кодировке, в которой прочитан файл',
    });
    expect(err.details).toMatchObject({ file: 'deals.csv', line: 3 });
  });

  it('refuses a UTF-8 file with Windows-1251 bytes further down, at their line', async () => {
    const deals = [dealRow('M1'), dealRow('M2'), dealRow('M3')];
    const dir = writeBundle(
      { deals, events: deals.map((d) => [d[0], 'Новый лид', '2025-01-10T10:00:00+03:00']) },
      fixture('utf-8-then-windows-1251-refused'),
    );
    const path = join(dir, 'deals.csv');
    const text = readFileSync(path, 'utf8').split('\n');
    const tail = iconv.encode(`${text.slice(3).join('\n').replace('Сделка M3', 'Ёжик')}`, 'win1251');
    writeFileSync(path, Buffer.concat([Buffer.from(`${text.slice(0, 3).join('\n')}\n`), tail]));
    const err = await importError(dir, 'Смесь кодировок');
    expect(err.msg).toEqual({
      en: 'deals.csv, line 4: bytes 0xa8 0xe6 0xe8 0xea are not UTF-8, though the file begins in UTF-8: save the whole file in one encoding',
      ru: 'deals.csv, строка 4: байты 0xa8 0xe6 0xe8 0xea — не UTF-8, хотя начало файла в UTF-8: сохраните весь файл в одной кодировке',
    });
  });

  it('refuses a Latin-1 file instead of reading it as Cyrillic, naming what it looks like', async () => {
    const dir = writeBundle(
      {
        deals: [dealRow('L1', { title: 'Café Müller', company: 'Société Générale', owner: 'José', channel: 'Web', region: 'Zürich' })],
        events: [['L1', 'Новый лид', '2025-01-10T10:00:00+03:00']],
      },
      fixture('latin-1-refused'),
    );
    const path = join(dir, 'deals.csv');
    writeFileSync(path, iconv.encode(readFileSync(path, 'utf8').replace('ООО «Альфа»', 'Acme'), 'latin1'));
    const err = await importError(dir, 'Латиница');
    expect(err.msg).toEqual({
      en: 'deals.csv: the file is neither UTF-8 nor Windows-1251 (it looks like ISO-8859-1): save it from Excel as "CSV UTF-8 (Comma delimited)"',
      ru: 'deals.csv: файл не в UTF-8 и не в Windows-1251 (похоже на ISO-8859-1): сохраните его в Excel как «CSV UTF-8 (разделитель — запятая)»',
    });
    expect(err.code).toBe('IMPORT_FILE_INVALID');
  });

  it('refuses UTF-16 ("Unicode text" from Excel) and an Excel workbook saved under a .csv name', async () => {
    const dir = writeBundle(
      { deals: [dealRow('U1')], events: [['U1', 'Новый лид', '2025-01-10T10:00:00+03:00']] },
      fixture('utf-16-refused'),
    );
    const path = join(dir, 'deals.csv');
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf16le')]));
    expect((await importError(dir, 'UTF-16')).msg.ru).toBe(
      'deals.csv: файл не в UTF-8 и не в Windows-1251 (похоже на UTF-16LE): сохраните его в Excel как «CSV UTF-8 (разделитель — запятая)»',
    );
    writeFileSync(path, iconv.encode(text, 'utf16le'));
    expect((await importError(dir, 'UTF-16')).msg.en).toBe(
      'deals.csv: the file is neither UTF-8 nor Windows-1251 (it looks like UTF-16LE): save it from Excel as "CSV UTF-8 (Comma delimited)"',
    );
    writeFileSync(path, Buffer.from('PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00', 'latin1'));
    expect((await importError(dir, 'XLSX')).msg).toEqual({
      en: 'deals.csv: this is an Excel workbook (.xlsx), not CSV: save it from Excel as "CSV UTF-8 (Comma delimited)"',
      ru: 'deals.csv: это книга Excel (.xlsx), а не CSV: сохраните её в Excel как «CSV UTF-8 (разделитель — запятая)»',
    });
  });

  it('streams a Windows-1251 file through readCsv with exact values and lines, naming the encoding', async () => {
    const dir = fixture('windows-1251-streamed');
    const path = join(dir, 'stage_events.csv');
    writeFileSync(
      path,
      iconv.encode('ID сделки;Этап;Дата перехода\r\nS1;"Переговоры\r\nи КП";01.02.2025\r\nS2;Новый лид;02.02.2025\r\n', 'win1251'),
    );
    let header: CsvHeader | undefined;
    const rows = [];
    for await (const row of readCsv(path, { columns: EVENT_COLUMNS, required: ['deal_id', 'stage'] }, { onHeader: (h) => (header = h) }))
      rows.push(row);
    expect(header).toMatchObject({ encoding: 'Windows-1251', delimiter: ';', bom: false });
    expect(rows).toEqual([
      { line: 2, values: { deal_id: 'S1', stage: 'Переговоры\r\nи КП', entered_at: '01.02.2025' } },
      { line: 4, values: { deal_id: 'S2', stage: 'Новый лид', entered_at: '02.02.2025' } },
    ]);
  });

  it('the CLI report names the encoding read per file, counts rows in plural forms and writes a decimal comma in Russian', () => {
    const report = {
      workspace: 'Продажи',
      workspace_created: true,
      pipeline: 'Продажи',
      pipeline_created: false,
      deals_in_file: 1,
      deals_created: 1,
      deals_updated: 0,
      deals_unchanged: 0,
      stage_entries_in_file: 22,
      stage_entries_added: 22,
      stage_entries_already_present: 0,
      identical_duplicate_deal_rows: 0,
      identical_duplicate_stage_rows: 0,
      created_at_differs_from_first_entry: 0,
      empty_amounts_as_zero: 0,
      new_owners: [],
      new_segments: [],
      new_channels: [],
      new_companies: 0,
      ignored_columns: [],
      changed: true,
      seconds: 0.44,
      encodings: { 'deals.csv': 'Windows-1251', 'stage_events.csv': 'UTF-8' },
    } as ImportReport;
    expect(formatImportReport(report, 'ru')).toEqual([
      'Импортировано в пространство «Продажи» (новое), воронка «Продажи» за 0,4 с:',
      '  прочитаны файлы: deals.csv (Windows-1251), stage_events.csv (UTF-8)',
      '  сделки: создано 1, обновлено 0, без изменений 0 (1 строка)',
      '  переходы: добавлено 22, уже были 0 (22 строки)',
    ]);
    expect(formatImportReport(report, 'en')).toEqual([
      'Imported into workspace "Продажи" (new), pipeline "Продажи" in 0.4 s:',
      '  files read: deals.csv (Windows-1251), stage_events.csv (UTF-8)',
      '  deals: 1 created, 0 updated, 0 unchanged (1 row)',
      '  stage entries: 22 added, 0 already present (22 rows)',
    ]);
    const same = { ...report, changed: false, deals_in_file: 5, stage_entries_in_file: 1 } as ImportReport;
    expect(formatImportReport(same, 'ru')).toEqual([
      'Ничего не изменилось: 5 сделок и 1 переход уже есть в пространстве «Продажи».',
      '  прочитаны файлы: deals.csv (Windows-1251), stage_events.csv (UTF-8)',
    ]);
    expect(formatImportReport(same, 'en')[0]).toBe('Nothing changed: all 5 deals and 1 stage entry are already in workspace "Продажи".');
  });
});
