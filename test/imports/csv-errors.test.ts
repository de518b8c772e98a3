import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_COLUMNS, importBundle } from '../../src/imports/bundle-import.ts';
import { readCsv } from '../../src/imports/csv-source.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { AppError, type Msg } from '../../src/platform/errors.ts';
import { dealRow, writeBundle } from '../support/bundle.ts';
import { openTestDb } from '../support/test-db.ts';

let db: Db;
const now = new Date('2025-06-01T00:00:00Z');
const root = mkdtempSync(join(tmpdir(), 'voronka-csv-errors-'));
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db.close();
});

const fixture = (name: string) => {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** A bundle of `n` good deals (and their entries) in a folder named after the outcome; `edit` rewrites deals.csv's text. */
function bundle(name: string, n: number, edit: (text: string) => string, opts: { crlf?: boolean } = {}) {
  const deals = Array.from({ length: n }, (_, i) => dealRow(`D${i + 1}`));
  const dir = writeBundle(
    { deals, events: deals.map((d) => [d[0], 'Новый лид', '2025-01-10T10:00:00+03:00']), crlf: opts.crlf },
    fixture(name),
  );
  const path = join(dir, 'deals.csv');
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  return dir;
}

async function importError(dir: string): Promise<AppError> {
  const before = await db.query('select count(*)::int8 as n from deals');
  let caught: unknown;
  try {
    await importBundle(db, dir, { workspace: 'Ошибки CSV', now });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect(await db.query('select count(*)::int8 as n from deals')).toEqual(before);
  expect(await db.query(`select 1 from workspaces where name = 'Ошибки CSV'`)).toEqual([]);
  return caught as AppError;
}

const QUOTE_NOT_CLOSED: Msg = {
  en: 'deals.csv, line 3: malformed CSV: the quote that opens the value of column "title" is never closed (a quote inside a value is written twice: "")',
  ru: 'deals.csv, строка 3: некорректный CSV: кавычка, которая открывает значение столбца «title», нигде не закрыта (кавычка внутри значения пишется дважды: "")',
};

describe("malformed CSV is reported where the broken record or field starts, in the reader's language", () => {
  it('an unclosed quote opened on line 3 of a 9-line Windows (CRLF) file: line 3, not 16', async () => {
    const dir = bundle('unclosed-quote-crlf-line-3', 8, (t) => t.replace('Сделка D2', '"Сделка D2 без конца'), { crlf: true });
    expect(readFileSync(join(dir, 'deals.csv'), 'utf8').split('\r\n')).toHaveLength(10); // 9 lines and the final line end
    const err = await importError(dir);
    expect(err.msg).toEqual(QUOTE_NOT_CLOSED);
    expect(err.details).toMatchObject({ file: 'deals.csv', line: 3 });
  });

  it('an unclosed quote opened on line 3 of a 9-line Unix (LF) file: line 3, not 9', async () => {
    const err = await importError(bundle('unclosed-quote-lf-line-3', 8, (t) => t.replace('Сделка D2', '"Сделка D2 без конца')));
    expect(err.msg).toEqual(QUOTE_NOT_CLOSED);
  });

  it('a quote after a closing quote: the line where that field starts, after a value spanning two lines', async () => {
    // (An even number of quotes, "ООО "Альфа"", is taken by COPY as ООО Альфа; an odd one runs to the end of the file.)
    const dir = bundle('closing-quote-followed-by-letter-line-4', 4, (t) =>
      t.replace('D2,Сделка D2,ООО «Альфа»', 'D2,"Сделка D2\nв две строки","ООО "Альфа"'),
    );
    const err = await importError(dir);
    expect(err.msg).toEqual({
      en: 'deals.csv, line 4: malformed CSV: in the value of column "company", the closing quote is followed by "А" instead of the separator "," or the end of the line (a quote inside a value is written twice: "")',
      ru: 'deals.csv, строка 4: некорректный CSV: в значении столбца «company» после закрывающей кавычки идёт «А», а не разделитель «,» или конец строки (кавычка внутри значения пишется дважды: "")',
    });
  });

  it('a row with a field too many: the line where the record starts, with both counts', async () => {
    const dir = bundle('extra-field-line-3', 4, (t) =>
      t.replace('D2,Сделка D2,ООО «Альфа»', 'D2,"Сделка D2\nв две строки",ООО «Альфа», Москва'),
    );
    const err = await importError(dir);
    expect(err.msg).toEqual({
      en: 'deals.csv, line 3: malformed CSV: the row has 10 fields, the header 9 (a value containing "," must be in quotes)',
      ru: 'deals.csv, строка 3: некорректный CSV: в строке 10 полей, а в заголовке 9 (значение, в котором есть «,», нужно взять в кавычки)',
    });
    expect(err.details).toMatchObject({ file: 'deals.csv', line: 3 });
  });

  it('a row cut in two by an unquoted line break: fields too few, in Russian plural forms', async () => {
    const dir = bundle('line-break-outside-quotes-line-3', 4, (t) => t.replace('D2,Сделка D2,', 'D2,Сделка D2,\n'));
    const err = await importError(dir);
    expect(err.msg).toEqual({
      en: 'deals.csv, line 3: malformed CSV: the row has 3 fields, the header 9 (a value with a line break must be in quotes)',
      ru: 'deals.csv, строка 3: некорректный CSV: в строке 3 поля, а в заголовке 9 (значение с переводом строки нужно взять в кавычки)',
    });
  });

  it('an empty line inside the file is named as such (trailing empty lines are fine)', async () => {
    const dir = bundle(
      'empty-line-4',
      4,
      (t) => {
        const lines = t.split('\r\n');
        lines.splice(3, 0, '');
        return `${lines.join('\r\n')}\r\n\r\n`;
      },
      { crlf: true },
    );
    const err = await importError(dir);
    expect(err.msg).toEqual({
      en: 'deals.csv, line 4: malformed CSV: an empty line inside the file (delete it)',
      ru: 'deals.csv, строка 4: некорректный CSV: пустая строка внутри файла (удалите её)',
    });
  });

  it('a broken quote in the header line is reported at line 1 in Russian', async () => {
    const dir = bundle('header-quote-line-1', 2, (t) => t.replace('deal_id,title', 'deal_id,"title'));
    const err = await importError(dir);
    expect(err.msg.ru).toBe(
      'deals.csv, строка 1: некорректный CSV: кавычка, которая открывает значение столбца 2, нигде не закрыта (кавычка внутри значения пишется дважды: "")',
    );
    expect(err.msg.en).toBe(
      'deals.csv, line 1: malformed CSV: the quote that opens the value of column 2 is never closed (a quote inside a value is written twice: "")',
    );
  });

  it('a cross-row error is reported at the line where its record starts in a CRLF file with values on several lines', async () => {
    const deals = [dealRow('X1', { title: 'Первая\r\nсделка\r\nв три строки' }), dealRow('X2'), dealRow('X1', { amount: '999' })];
    const dir = writeBundle(
      { deals, crlf: true, events: deals.map((d) => [d[0], 'Новый лид', '2025-01-10T10:00:00+03:00']) },
      fixture('duplicate-deal-line-6-repeats-line-2'),
    );
    const err = await importError(dir);
    expect(err.msg).toEqual({
      en: 'deals.csv, line 6, column deal_id: deal_id repeats line 2 with different data ("X1")',
      ru: 'deals.csv, строка 6, столбец deal_id: deal_id повторяет строку 2 с другими данными ("X1")',
    });
  });

  it('readCsv: a quote inside an unquoted value, at the line of the record, in Russian', async () => {
    const path = join(fixture('quote-inside-unquoted-value-line-3'), 'stage_events.csv');
    writeFileSync(path, 'deal_id;stage;entered_at\nS1;"Новый\nлид";01.02.2025\nS2;Этап "Б";02.02.2025\n');
    const read = async () => {
      for await (const _ of readCsv(path, { columns: EVENT_COLUMNS, required: ['deal_id'] })) {
        // read through
      }
    };
    await expect(read()).rejects.toMatchObject({
      msg: {
        en: 'stage_events.csv, line 4: malformed CSV: the value of column "stage" has a quote but does not start with one (put the whole value in quotes and write the quote inside twice: "")',
        ru: 'stage_events.csv, строка 4: некорректный CSV: в значении столбца «stage» есть кавычка, но оно не начинается с кавычки (возьмите всё значение в кавычки, а кавычку внутри напишите дважды: "")',
      },
      details: { file: 'stage_events.csv', line: 4 },
    });
  });
});
