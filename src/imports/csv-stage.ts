import { open, stat } from 'node:fs/promises';
import { DbError, type Queryable } from '../platform/db/types.ts';
import { AppError, type Msg } from '../platform/errors.ts';
import { type CsvRecord, type CsvSpec, csvRecords, mapHeader, sniff } from './csv-source.ts';
import { detectEncoding, type TextEncoding, utf8Copy } from './encoding.ts';
import { rowError } from './import-errors.ts';
import { countOf } from './values.ts';

/**
 * Loads a CSV file into a temporary table with PostgreSQL's own COPY (far faster
 * than parsing row by row in JavaScript): one text column per header column,
 * plus `idx`, the record's position in the file. The header decides the
 * separator (comma or semicolon) and which columns are which; a BOM sits in the
 * header line, which COPY skips. A Windows-1251 file is copied as UTF-8 through
 * a temporary file (PGlite's COPY does not convert encodings). Malformed CSV
 * stops COPY; the strict parser then names the line.
 */
export interface StagedCsv {
  /** The file's name in messages. */
  file: string;
  table: string;
  rows: number;
  /** The encoding the file was read in. */
  encoding: TextEncoding;
  /** canonical column → the staged column holding it (`c0`, `c1`, …) */
  col: Record<string, string>;
  ignored: string[];
  /** The physical line where a record starts (1 = header), exact even with quoted line breaks. */
  lineOf(idx: number): Promise<number>;
}

/** What a staged file was read as, for a report: "deals.csv: 1 row, Windows-1251" / "deals.csv: 1 строка, Windows-1251". */
export function stagedSummary(s: StagedCsv): Msg {
  const rows = countOf(s.rows, ['row', 'rows'], ['строка', 'строки', 'строк']);
  return { en: `${s.file}: ${rows.en}, ${s.encoding}`, ru: `${s.file}: ${rows.ru}, ${s.encoding}` };
}

/** The last byte to send: trailing blank lines (Excel leaves some) would be empty records. */
async function lastContentByte(path: string): Promise<number> {
  const { size } = await stat(path);
  if (size === 0) return -1;
  const fh = await open(path, 'r');
  try {
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    let i = len - 1;
    while (i >= 0 && (buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x20 || buf[i] === 0x09)) i--;
    return size - len + i;
  } finally {
    await fh.close();
  }
}

/** The first problem of a whole read, or null: what COPY refused, said by the strict parser (or the encoding check). */
async function firstProblem(records: AsyncGenerator<CsvRecord>): Promise<AppError | null> {
  try {
    for await (const _ of records) {
      // read through
    }
    return null;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
}

/** A COPY error the strict parser did not explain, in words where known. */
function copyProblem(e: DbError, file: string): AppError {
  const m = /line (\d+)/.exec(e.where ?? '') ?? /line (\d+)/.exec(e.message);
  const line = m ? Number(m[1]) : 0;
  const known: [RegExp, string, string][] = [
    [
      /unquoted (carriage return|newline) found/,
      'Windows and Unix line ends are mixed outside quotes',
      'вне кавычек смешаны концы строк Windows и Unix',
    ],
    [/^extra data after last expected column/, 'the row has more fields than the header', 'в строке больше полей, чем в заголовке'],
    [/^missing data for column/, 'the row has fewer fields than the header', 'в строке меньше полей, чем в заголовке'],
    [/^unterminated CSV quoted field/, 'a quote is never closed', 'кавычка нигде не закрыта'],
  ];
  const [, en, ru] = known.find(([re]) => re.test(e.message)) ?? [null, e.message, `PostgreSQL не принял файл: ${e.message}`];
  return rowError({ file, line, reason: { en: `malformed CSV: ${en}`, ru: `некорректный CSV: ${ru}` } });
}

export async function stageCsv(tx: Queryable, path: string, file: string, spec: CsvSpec, table: string): Promise<StagedCsv> {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`bad table name ${table}`);
  const read = await detectEncoding(path, file);
  const { delimiter } = await sniff(path);
  const end = await lastContentByte(path);
  const records = (o: { relaxColumnCount?: boolean; relaxQuotes?: boolean } = {}) =>
    csvRecords(path, { file, encoding: read.encoding, delimiter, end, ...o });
  const empty = () =>
    rowError({ file, reason: { en: 'the file is empty: a header row is required', ru: 'файл пуст: нужна строка заголовков' } });
  if (end < 0) throw empty();
  let head: CsvRecord | undefined;
  // (a quote inside a header, as in «Комментарий "важно"», is kept, as it always was)
  for await (const rec of records({ relaxQuotes: true })) {
    head = rec;
    break;
  }
  if (!head || (head.record.length === 1 && head.record[0].trim() === '')) throw empty();
  const raw = head.record;
  const header = mapHeader(raw, spec, file, delimiter, read);
  const cols = raw.map((_, i) => `c${i}`);
  await tx.exec(`drop table if exists ${table};
    create temp table ${table} (idx int8 generated always as identity, ${cols.map((c) => `${c} text`).join(', ')}) on commit drop`);
  const copy = read.encoding === 'UTF-8' ? { path, remove: async () => {} } : await utf8Copy(path, file);
  let rows = 0;
  try {
    const copyEnd = copy.path === path ? end : await lastContentByte(copy.path);
    if (copyEnd >= head.end) {
      rows = await tx.copyFrom(
        `copy ${table} (${cols.join(', ')}) from stdin with (format csv, header true, delimiter '${delimiter}', encoding 'UTF8')`,
        copy.path,
        copyEnd,
      );
    }
  } catch (e) {
    if (e instanceof DbError) {
      // COPY is lenient about stray quotes and may only notice at the end of the file;
      // the strict parser names the record (or field) where the damage starts.
      throw (await firstProblem(records())) ?? copyProblem(e, file);
    }
    throw e;
  } finally {
    await copy.remove();
  }
  const col = Object.fromEntries(Object.entries(header.index).map(([name, i]) => [name, `c${i}`]));
  let lines: number[] | null = null;
  return {
    file,
    table,
    rows,
    encoding: read.encoding,
    col,
    ignored: header.ignored,
    async lineOf(idx: number) {
      if (!lines) {
        // Only when an error is reported: re-read the file to map records to lines.
        const found: number[] = [];
        try {
          for await (const rec of records({ relaxColumnCount: true, relaxQuotes: true })) found.push(rec.line);
        } catch {
          // (what COPY took, csv-parse may still refuse: lines past it fall back to the record's number)
        }
        lines = found;
      }
      return lines[idx] ?? idx + 1;
    },
  };
}
