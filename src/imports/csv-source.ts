import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { CsvError, parse } from 'csv-parse';
import { rowError } from './import-errors.ts';

export interface CsvRow {
  /** 1-based line number of the record in the file (the header is line 1). */
  line: number;
  values: Record<string, string>;
}

export interface CsvSpec {
  /** canonical column → accepted header spellings (compared case- and space-insensitively). */
  columns: Record<string, string[]>;
  required: string[];
}

export interface CsvHeader {
  delimiter: ',' | ';';
  bom: boolean;
  /** canonical name → index in the record */
  index: Record<string, number>;
  ignored: string[];
}

const normalise = (h: string) =>
  h
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[\s-]+/g, '_');

/**
 * Russian Excel writes semicolons, most tools commas: the header line decides.
 * Only the first line is inspected, outside quotes.
 */
export async function sniff(path: string): Promise<{ delimiter: ',' | ';'; bom: boolean }> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let text = buf.subarray(0, bytesRead).toString('utf8');
    const bom = text.startsWith('\uFEFF');
    if (bom) text = text.slice(1);
    let commas = 0;
    let semis = 0;
    let quoted = false;
    for (const ch of text) {
      if (ch === '"') quoted = !quoted;
      else if (!quoted && (ch === '\n' || ch === '\r')) break;
      else if (!quoted && ch === ',') commas++;
      else if (!quoted && ch === ';') semis++;
    }
    return { delimiter: semis > commas ? ';' : ',', bom };
  } finally {
    await fh.close();
  }
}

/**
 * Streams a CSV file as rows keyed by canonical column names. Malformed CSV (a
 * broken quote, a row with the wrong number of fields) stops with the line.
 */
export async function* readCsv(
  path: string,
  spec: CsvSpec,
  opts: { label?: string; onHeader?: (h: CsvHeader) => void } = {},
): AsyncGenerator<CsvRow, void, undefined> {
  const fileLabel = opts.label ?? basename(path);
  const { delimiter } = await sniff(path);
  const parser = createReadStream(path).pipe(
    parse({ bom: true, delimiter, info: true, relax_column_count: false, skip_empty_lines: true }),
  );
  let header: CsvHeader | null = null;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!header) {
        header = mapHeader(rec.record, spec, fileLabel, delimiter);
        opts.onHeader?.(header);
        continue;
      }
      const values: Record<string, string> = {};
      for (const [name, i] of Object.entries(header.index)) values[name] = rec.record[i] ?? '';
      yield { line: rec.info.lines, values };
    }
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines;
      throw rowError({
        file: fileLabel,
        line: line ?? 0,
        reason: { en: `malformed CSV: ${e.message}`, ru: `некорректный CSV: ${e.message}` },
      });
    }
    throw e;
  } finally {
    parser.destroy();
  }
  if (!header)
    throw rowError({
      file: fileLabel,
      reason: { en: 'the file is empty: a header row is required', ru: 'файл пуст: нужна строка заголовков' },
    });
}

export function mapHeader(raw: string[], spec: CsvSpec, file: string, delimiter: ',' | ';'): CsvHeader {
  const index: Record<string, number> = {};
  const ignored: string[] = [];
  const lookup = new Map<string, string>();
  for (const [canon, aliases] of Object.entries(spec.columns)) for (const a of [canon, ...aliases]) lookup.set(normalise(a), canon);
  raw.forEach((h, i) => {
    const canon = lookup.get(normalise(h));
    if (!canon) ignored.push(h);
    else if (canon in index)
      throw rowError({
        file,
        line: 1,
        column: h,
        reason: { en: `column "${canon}" appears twice`, ru: `столбец «${canon}» встречается дважды` },
      });
    else index[canon] = i;
  });
  const missing = spec.required.filter((c) => !(c in index));
  if (missing.length > 0) {
    throw rowError({
      file,
      line: 1,
      reason: {
        en: `missing column(s): ${missing.join(', ')} (found: ${raw.join(', ')}; separator "${delimiter}")`,
        ru: `нет столбцов: ${missing.join(', ')} (найдены: ${raw.join(', ')}; разделитель «${delimiter}»)`,
      },
    });
  }
  return { delimiter, bom: false, index, ignored };
}
