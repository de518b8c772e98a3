import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { CsvError, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { DbError, type Queryable } from '../platform/db/types.ts';
import { type CsvSpec, mapHeader, sniff } from './csv-source.ts';
import { rowError } from './import-errors.ts';

/**
 * Loads a CSV file into a temporary table with PostgreSQL's own COPY (far faster
 * than parsing row by row in JavaScript): one text column per header column,
 * plus `idx`, the record's position in the file. The header decides the
 * separator (comma or semicolon) and which columns are which; a BOM sits in the
 * header line, which COPY skips. Malformed CSV stops COPY with the line.
 */
export interface StagedCsv {
  table: string;
  rows: number;
  /** canonical column → the staged column holding it (`c0`, `c1`, …) */
  col: Record<string, string>;
  ignored: string[];
  /** The physical line of a record (1 = header), exact even with quoted line breaks. */
  lineOf(idx: number): Promise<number>;
}

async function headerLine(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    const nl = text.search(/\r?\n/);
    return nl < 0 ? text : text.slice(0, nl);
  } finally {
    await fh.close();
  }
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

async function firstMalformed(path: string, delimiter: string): Promise<{ line: number; message: string } | null> {
  const parser = createReadStream(path).pipe(parse({ bom: true, delimiter, relax_column_count: false, skip_empty_lines: true }));
  try {
    for await (const _ of parser) {
      // read through
    }
    return null;
  } catch (e) {
    if (e instanceof CsvError) return { line: (e as CsvError & { lines?: number }).lines ?? 0, message: e.message };
    return null;
  }
}

export async function stageCsv(tx: Queryable, path: string, file: string, spec: CsvSpec, table: string): Promise<StagedCsv> {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`bad table name ${table}`);
  const { delimiter } = await sniff(path);
  const first = await headerLine(path);
  if (first.trim() === '')
    throw rowError({ file, reason: { en: 'the file is empty: a header row is required', ru: 'файл пуст: нужна строка заголовков' } });
  let raw: string[];
  try {
    raw = (parseSync(first, { delimiter, relax_quotes: true }) as string[][])[0] ?? [];
  } catch (e) {
    throw rowError({
      file,
      line: 1,
      reason: { en: `malformed header: ${(e as Error).message}`, ru: `некорректный заголовок: ${(e as Error).message}` },
    });
  }
  const header = mapHeader(raw, spec, file, delimiter);
  const cols = raw.map((_, i) => `c${i}`);
  await tx.exec(`drop table if exists ${table};
    create temp table ${table} (idx int8 generated always as identity, ${cols.map((c) => `${c} text`).join(', ')}) on commit drop`);
  const end = await lastContentByte(path);
  let rows = 0;
  if (end >= first.length) {
    try {
      rows = await tx.copyFrom(
        `copy ${table} (${cols.join(', ')}) from stdin with (format csv, header true, delimiter '${delimiter}', encoding 'UTF8')`,
        path,
        end,
      );
    } catch (e) {
      if (e instanceof DbError) {
        // COPY is lenient about stray quotes and may only notice at the end of the file;
        // the strict parser names the record where the damage starts.
        const strict = await firstMalformed(path, delimiter);
        const m = /line (\d+)/.exec(e.where ?? '') ?? /line (\d+)/.exec(e.message);
        throw rowError({
          file,
          line: strict?.line ?? (m ? Number(m[1]) : 0),
          reason: { en: `malformed CSV: ${strict?.message ?? e.message}`, ru: `некорректный CSV: ${strict?.message ?? e.message}` },
        });
      }
      throw e;
    }
  }
  const col = Object.fromEntries(Object.entries(header.index).map(([name, i]) => [name, `c${i}`]));
  let lines: number[] | null = null;
  return {
    table,
    rows,
    col,
    ignored: header.ignored,
    async lineOf(idx: number) {
      if (!lines) {
        // Only when an error is reported: re-read the file to map records to lines.
        lines = [];
        const parser = createReadStream(path).pipe(
          parse({ bom: true, delimiter, info: true, relax_column_count: true, skip_empty_lines: true }),
        );
        for await (const rec of parser as AsyncIterable<{ info: { lines: number } }>) lines.push(rec.info.lines);
      }
      return lines[idx] ?? idx + 1;
    },
  };
}
