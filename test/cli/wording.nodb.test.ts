import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatImportReport } from '../../src/cli/import-command.ts';
import { count, NOUNS, percent, seconds } from '../../src/cli/wording.ts';
import { emptyReport } from '../../src/imports/bundle-format.ts';
import { csvCodeReason } from '../../src/imports/import-errors.ts';
import { dealRow, writeBundle } from '../support/bundle.ts';

/**
 * The CLI's words in both languages (issue 16): «1 сделок», «deals.csv: 1 rows», «за 0.4 с», and
 * csv-parse's English inside a Russian sentence were what a user saw.
 */
const NB = '\u00a0';
const BIN = join(import.meta.dirname, '../../bin/voronka');

describe('counts in plural forms', () => {
  it.each([
    [1, '1 сделка', '1 deal', '1 строка', '1 row'],
    [3, '3 сделки', '3 deals', '3 строки', '3 rows'],
    [5, '5 сделок', '5 deals', '5 строк', '5 rows'],
    [21, '21 сделка', '21 deals', '21 строка', '21 rows'],
    [12, '12 сделок', '12 deals', '12 строк', '12 rows'],
    [22, '22 сделки', '22 deals', '22 строки', '22 rows'],
    [1234, `1${NB}234 сделки`, '1,234 deals', `1${NB}234 строки`, '1,234 rows'],
  ])('%i', (n, ruDeals, enDeals, ruRows, enRows) => {
    expect(count(n, NOUNS.deal, 'ru')).toBe(ruDeals);
    expect(count(n, NOUNS.deal, 'en')).toBe(enDeals);
    expect(count(n, NOUNS.row, 'ru')).toBe(ruRows);
    expect(count(n, NOUNS.row, 'en')).toBe(enRows);
  });

  it('seconds and percent the way each language writes them', () => {
    expect(seconds(0.4, 'ru')).toBe('0,4 с');
    expect(seconds(0.4, 'en')).toBe('0.4 s');
    expect(seconds(12, 'ru')).toBe('12,0 с');
    expect(percent(0.668, 'ru')).toBe(`66,8${NB}%`);
    expect(percent(0.668, 'en')).toBe('66.8%');
  });
});

describe('the import report', () => {
  const report = (n: number, changed = true) => ({
    ...emptyReport('Продажи', 'Основная'),
    deals_in_file: n,
    deals_created: changed ? n : 0,
    deals_unchanged: changed ? 0 : n,
    stage_entries_in_file: n,
    stage_entries_added: changed ? n : 0,
    stage_entries_already_present: changed ? 0 : n,
    new_companies: changed ? n : 0,
    changed,
    seconds: 0.4,
    encodings: { 'deals.csv': 'UTF-8' as const, 'stage_events.csv': 'Windows-1251' as const },
  });

  it.each([
    [1, '1 строка', '1 row', '1 сделка и 1 переход', '1 deal and 1 stage entry'],
    [3, '3 строки', '3 rows', '3 сделки и 3 перехода', '3 deals and 3 stage entries'],
    [5, '5 строк', '5 rows', '5 сделок и 5 переходов', '5 deals and 5 stage entries'],
    [21, '21 строка', '21 rows', '21 сделка и 21 переход', '21 deals and 21 stage entries'],
  ])('for %i deals', (n, ruRows, enRows, ruSame, enSame) => {
    expect(formatImportReport(report(n), 'ru')).toEqual([
      'Импортировано в пространство «Продажи», воронка «Основная» за 0,4 с:',
      '  прочитаны файлы: deals.csv (UTF-8), stage_events.csv (Windows-1251)',
      `  сделки: создано ${n}, обновлено 0, без изменений 0 (${ruRows})`,
      `  переходы: добавлено ${n}, уже были 0 (${ruRows})`,
      `  новые компании: ${n}`,
    ]);
    expect(formatImportReport(report(n), 'en')).toEqual([
      'Imported into workspace "Продажи", pipeline "Основная" in 0.4 s:',
      '  files read: deals.csv (UTF-8), stage_events.csv (Windows-1251)',
      `  deals: ${n} created, 0 updated, 0 unchanged (${enRows})`,
      `  stage entries: ${n} added, 0 already present (${enRows})`,
      `  new companies: ${n}`,
    ]);
    expect(formatImportReport(report(n, false), 'ru')[0]).toBe(`Ничего не изменилось: ${ruSame} уже есть в пространстве «Продажи».`);
    expect(formatImportReport(report(n, false), 'en')[0]).toBe(`Nothing changed: all ${enSame} are already in workspace "Продажи".`);
  });
});

describe('csv-parse codes in words', () => {
  it('gives every code a reason in both languages, the code in brackets', () => {
    expect(csvCodeReason('CSV_MAX_RECORD_SIZE')).toEqual({
      en: 'a row is too long (an unclosed quote may have swallowed the lines after it) (CSV_MAX_RECORD_SIZE)',
      ru: 'строка слишком длинная (возможно, незакрытая кавычка захватила следующие строки) (CSV_MAX_RECORD_SIZE)',
    });
    expect(csvCodeReason('CSV_UNKNOWN_ERROR')).toEqual({
      en: 'the file could not be read as CSV at this line (CSV_UNKNOWN_ERROR)',
      ru: 'файл не удалось прочитать как CSV на этой строке (CSV_UNKNOWN_ERROR)',
    });
    expect(csvCodeReason('CSV_INVALID_OPTION_DELIMITER').ru).toBe(
      'чтение CSV настроено неверно: это ошибка в Voronka (CSV_INVALID_OPTION_DELIMITER)',
    );
  });
});

function run(args: string[], lang: 'ru' | 'en'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, VORONKA_LANG: lang, LANG: lang === 'ru' ? 'ru_RU.UTF-8' : 'en_US.UTF-8' };
  delete env.DATABASE_URL;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// The words do not depend on the engine: the CLI runs once, on an embedded folder of its own.
describe('bin/voronka in Russian and English', () => {
  it('a broken CSV: the line, the column and what is wrong, in the language of the terminal', async () => {
    const data = mkdtempSync(join(tmpdir(), 'voronka-words-'));
    const dir = writeBundle({ deals: [dealRow('B1')], events: [['B1', 'Новый лид', '2025-01-10T10:00:00+03:00']] });
    writeFileSync(
      join(dir, 'deals.csv'),
      'deal_id,title,company,owner,segment,channel,region,amount,created_at\n' +
        'B1,"Сделка "плохая",ООО,Иван,SMB,Сайт,Москва,1000,2025-01-10T10:00:00+03:00\n',
    );
    const ru = await run(['import', dir, '--workspace', 'Слова', '--data-dir', data], 'ru');
    expect(ru.code).toBe(1);
    expect(ru.stderr).toBe(
      'ошибка: deals.csv, строка 2: некорректный CSV: в значении столбца «title» после закрывающей кавычки идёт «п», ' +
        'а не разделитель «,» или конец строки (кавычка внутри значения пишется дважды: "")\n',
    );
    const en = await run(['import', dir, '--workspace', 'Слова', '--data-dir', data], 'en');
    expect(en.code).toBe(1);
    expect(en.stderr).toBe(
      'error: deals.csv, line 2: malformed CSV: in the value of column "title", the closing quote is followed by "п" ' +
        'instead of the separator "," or the end of the line (a quote inside a value is written twice: "")\n',
    );
    rmSync(data, { recursive: true, force: true });
  });

  it('a data folder held by another process: one message, all in the terminal’s language', async () => {
    const data = mkdtempSync(join(tmpdir(), 'voronka-busy-'));
    mkdirSync(data, { recursive: true });
    // This test's own process holds it: alive, and not the CLI's.
    writeFileSync(join(data, 'voronka.pid'), String(process.pid));
    const ru = await run(['workspaces', '--data-dir', data], 'ru');
    expect(ru.code).toBe(1);
    expect(ru.stderr).toBe(
      `ошибка: папка данных ${data} занята процессом ${process.pid} (запущен «voronka serve»?). ` +
        'Сначала остановите его или направьте эту команду на тот же сервер через DATABASE_URL.\n',
    );
    const en = await run(['workspaces', '--data-dir', data], 'en');
    expect(en.stderr).toBe(
      `error: the data folder ${data} is in use by process ${process.pid} (is "voronka serve" running?). ` +
        'Stop it first, or point this command at the same server with DATABASE_URL.\n',
    );
    rmSync(data, { recursive: true, force: true });
  });
});

describe('a migration refusal in Russian', () => {
  it('names the migration and what to do', async () => {
    const { migrationMismatchRu } = await import('../../src/cli/cli-support.ts');
    expect(
      migrationMismatchRu(
        'migration 0003_x.sql was applied with different content (checksum abcdef012345, file 0123456789ab); write a new migration instead of editing an applied one',
      ),
    ).toBe(
      'миграция 0003_x.sql уже применена, но её файл изменился (контрольная сумма в базе abcdef012345, у файла 0123456789ab): не правьте применённую миграцию, напишите новую',
    );
    expect(
      migrationMismatchRu(
        'the database has migrations this version of Voronka does not know (0099_y.sql): it was upgraded by a newer version',
      ),
    ).toBe('в базе есть миграции, которых эта версия Voronka не знает (0099_y.sql): базу обновила более новая версия');
  });
});

describe("commander's own messages in Russian", () => {
  it('an unknown command, a missing argument or option, help titles', async () => {
    const { commanderRu, HELP_TITLES_RU } = await import('../../src/cli/wording.ts');
    expect(commanderRu("error: unknown command 'frobnicate'\n")).toBe('ошибка: неизвестная команда «frobnicate»\n');
    expect(commanderRu("error: missing required argument 'dir'\n")).toBe('ошибка: не указан обязательный аргумент «dir»\n');
    expect(commanderRu("error: required option '--admin <email>' not specified\n")).toBe(
      'ошибка: не указан обязательный параметр «--admin <email>»\n',
    );
    expect(commanderRu("error: unknown option '--frob'\n(Did you mean --from?)\n")).toBe(
      'ошибка: неизвестный параметр «--frob»\n(может быть, --from?)\n',
    );
    expect(commanderRu("error: option '--port <n>' argument missing\n")).toBe('ошибка: у параметра «--port <n>» нет значения\n');
    expect(HELP_TITLES_RU['Options:']).toBe('Параметры:');
  });
});
