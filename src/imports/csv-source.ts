import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { AppError } from '../platform/errors.ts';
import { type DetectedEncoding, detectEncoding, type TextEncoding, utf8Stream } from './encoding.ts';
import { csvCodeReason, rowError } from './import-errors.ts';
import { countOf } from './values.ts';

export interface CsvRow {
  /** 1-based line number where the record starts in the file (the header is line 1). */
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
  /** The encoding the file was read in. */
  encoding: TextEncoding;
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
 * Only the first line is inspected, outside quotes (its ASCII characters only,
 * so the file's encoding does not matter).
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
 * Where each line starts in a byte stream, counted as an editor does (LF, CRLF
 * and a lone CR each end a line; csv-parse counts CR and LF of a CRLF inside
 * quotes as two), and the bytes of the record being parsed, for naming the
 * field where a broken one starts. Memory: what the parser has not consumed.
 */
class LineIndex extends Transform {
  /** Offsets where lines start; `starts[head]` is line `first`. */
  private starts: number[] = [0];
  private head = 0;
  private first = 1;
  private seen = 0;
  private prev = -1;
  private kept: Buffer[] = [];
  private keptFrom = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    const starts = this.starts;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === 0x0a) {
        if ((i > 0 ? chunk[i - 1] : this.prev) === 0x0d) starts[starts.length - 1] = this.seen + i + 1;
        else starts.push(this.seen + i + 1);
      } else if (c === 0x0d) starts.push(this.seen + i + 1);
    }
    if (chunk.length > 0) this.prev = chunk[chunk.length - 1];
    this.kept.push(chunk);
    this.seen += chunk.length;
    done(null, chunk);
  }
  private slot(offset: number): number {
    let lo = this.head;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  lineAt(offset: number): number {
    return this.first + this.slot(offset) - this.head;
  }
  byteAt(offset: number): number | undefined {
    let at = this.keptFrom;
    for (const b of this.kept) {
      if (offset < at + b.length) return offset >= at ? b[offset - at] : undefined;
      at += b.length;
    }
    return undefined;
  }
  /** The offset of the first byte at or after `offset` that does not end a line. */
  skipLineEnds(offset: number): number {
    let o = offset;
    for (let b = this.byteAt(o); b === 0x0a || b === 0x0d; b = this.byteAt(++o));
    return o;
  }
  bytesFrom(offset: number): Buffer {
    return Buffer.concat(this.kept).subarray(Math.max(0, offset - this.keptFrom));
  }
  /** Forgets what lies before `offset` (the start of the next record). */
  release(offset: number) {
    while (this.kept.length > 0 && this.keptFrom + this.kept[0].length <= offset) this.keptFrom += (this.kept.shift() as Buffer).length;
    const k = this.slot(offset);
    this.first += k - this.head;
    this.head = k;
    if (this.head > 4096 && this.head * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.head);
      this.head = 0;
    }
  }
}

export interface CsvRecord {
  record: string[];
  /** The line where the record starts. */
  line: number;
  /** The record's end: its offset in the UTF-8 text (BOM included), past its line end. */
  end: number;
}

export interface CsvReadOptions {
  /** The file's name in messages. */
  file: string;
  encoding: TextEncoding;
  delimiter: ',' | ';';
  /** The last byte of the file to read (inclusive). */
  end?: number;
  skipEmptyLines?: boolean;
  relaxColumnCount?: boolean;
  /** Quotes inside unquoted values are kept as they are (for finding lines only). */
  relaxQuotes?: boolean;
}

/**
 * The records of a CSV file with the line where each starts, decoded and checked
 * as they stream. Malformed CSV stops with the line where the broken record —
 * or, for a broken quote, the broken field — starts, and a reason in English and
 * Russian.
 */
export async function* csvRecords(path: string, o: CsvReadOptions): AsyncGenerator<CsvRecord, void, undefined> {
  const lines = new LineIndex();
  // Where the last record parsed ends, and the header: an error drops the records parsed but
  // not yet read, so the broken record starts where the parser, not the reader, got to.
  let parsedEnd = 0;
  let header: string[] | null = null;
  const parser = parse({
    bom: true,
    delimiter: o.delimiter,
    info: true,
    relax_column_count: o.relaxColumnCount ?? false,
    relax_quotes: o.relaxQuotes ?? false,
    skip_empty_lines: o.skipEmptyLines ?? false,
    on_record: (rec, info) => {
      parsedEnd = info.bytes;
      // (with `info`, csv-parse hands on_record the wrapped record its types do not describe)
      header ??= (rec as unknown as { record: string[] }).record;
      return rec;
    },
  });
  pipeline(utf8Stream(path, o.encoding, o.file, o.end), lines, parser, () => {});
  const startAfter = (end: number) => (o.skipEmptyLines ? lines.skipLineEnds(end) : end);
  let readEnd = 0;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
      const line = lines.lineAt(startAfter(readEnd));
      readEnd = rec.info.bytes;
      lines.release(readEnd);
      yield { record: rec.record, line, end: readEnd };
    }
  } catch (e) {
    if (e instanceof CsvError) {
      const start = startAfter(parsedEnd);
      throw csvProblem(e, { file: o.file, delimiter: o.delimiter, header, line: lines.lineAt(start), raw: lines.bytesFrom(start) }, (at) =>
        lines.lineAt(start + at),
      );
    }
    throw e;
  } finally {
    parser.destroy();
  }
}

const QUOTE = 0x22;
const TWICE = { en: 'a quote inside a value is written twice: ""', ru: 'кавычка внутри значения пишется дважды: ""' };

/** Offset in `raw` (a record's bytes) where field `index` starts; the fields before it are well formed. */
function fieldStart(raw: Buffer, index: number, delimiter: number): number {
  let pos = 0;
  for (let field = 0; field < index && pos < raw.length; ) {
    if (raw[pos] === QUOTE) {
      for (pos++; pos < raw.length; pos++) {
        if (raw[pos] !== QUOTE) continue;
        if (raw[pos + 1] === QUOTE) pos++;
        else break;
      }
      pos++;
    }
    while (pos < raw.length && raw[pos] !== delimiter) pos++;
    pos++;
    field++;
  }
  return Math.min(pos, raw.length);
}

/** The character after the closing quote of the quoted field starting at `at`. */
function afterClosingQuote(raw: Buffer, at: number): string {
  let pos = at + 1;
  for (; pos < raw.length; pos++) {
    if (raw[pos] !== QUOTE) continue;
    if (raw[pos + 1] === QUOTE) pos++;
    else break;
  }
  return String.fromCodePoint(
    raw
      .subarray(pos + 1, pos + 5)
      .toString('utf8')
      .codePointAt(0) ?? 0x20,
  );
}

/**
 * csv-parse's error, for the reader: where the record (or the broken field)
 * starts, and what is wrong with it in words, in both languages.
 */
function csvProblem(
  e: CsvError,
  ctx: { file: string; delimiter: ',' | ';'; header: string[] | null; line: number; raw: Buffer },
  lineOfByte: (at: number) => number,
): AppError {
  const d = ctx.delimiter;
  const index = Number((e as CsvError & { index?: number }).index ?? 0);
  const name = ctx.header?.[index];
  const col = name !== undefined ? { en: `"${name}"`, ru: `«${name}»` } : { en: String(index + 1), ru: String(index + 1) };
  const at = fieldStart(ctx.raw, index, d.charCodeAt(0));
  const fail = (line: number, en: string, ru: string) =>
    rowError({ file: ctx.file, line, reason: { en: `malformed CSV: ${en}`, ru: `некорректный CSV: ${ru}` } });
  switch (e.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return fail(
        lineOfByte(at),
        `the quote that opens the value of column ${col.en} is never closed (${TWICE.en})`,
        `кавычка, которая открывает значение столбца ${col.ru}, нигде не закрыта (${TWICE.ru})`,
      );
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE': {
      const ch = afterClosingQuote(ctx.raw, at);
      const shown =
        ch === ' ' ? { en: 'a space', ru: 'пробел' } : ch === '\t' ? { en: 'a tab', ru: 'табуляция' } : { en: `"${ch}"`, ru: `«${ch}»` };
      return fail(
        lineOfByte(at),
        `in the value of column ${col.en}, the closing quote is followed by ${shown.en} instead of the separator "${d}" or the end of the line (${TWICE.en})`,
        `в значении столбца ${col.ru} после закрывающей кавычки идёт ${shown.ru}, а не разделитель «${d}» или конец строки (${TWICE.ru})`,
      );
    }
    case 'INVALID_OPENING_QUOTE':
      return fail(
        lineOfByte(at),
        `the value of column ${col.en} has a quote but does not start with one (put the whole value in quotes and write the quote inside twice: "")`,
        `в значении столбца ${col.ru} есть кавычка, но оно не начинается с кавычки (возьмите всё значение в кавычки, а кавычку внутри напишите дважды: "")`,
      );
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS': {
      const record = (e as CsvError & { record?: string[] }).record ?? [];
      if (record.length === 1 && record[0] === '' && (ctx.raw[0] === 0x0a || ctx.raw[0] === 0x0d))
        return fail(ctx.line, 'an empty line inside the file (delete it)', 'пустая строка внутри файла (удалите её)');
      const got = countOf(record.length, ['field', 'fields'], ['поле', 'поля', 'полей']);
      const expected = ctx.header?.length ?? 0;
      const more = record.length > expected;
      return fail(
        ctx.line,
        `the row has ${got.en}, the header ${expected} (${more ? `a value containing "${d}" must be in quotes` : 'a value with a line break must be in quotes'})`,
        `в строке ${got.ru}, а в заголовке ${expected} (${more ? `значение, в котором есть «${d}», нужно взять в кавычки` : 'значение с переводом строки нужно взять в кавычки'})`,
      );
    }
    default: {
      const reason = csvCodeReason(e.code);
      return fail(ctx.line, reason.en, reason.ru);
    }
  }
}

/**
 * Streams a CSV file as rows keyed by canonical column names, in the encoding
 * it is found to be in (`onHeader` says which). Malformed CSV (a broken quote, a
 * row with the wrong number of fields) and bytes that are no text stop with the line.
 */
export async function* readCsv(
  path: string,
  spec: CsvSpec,
  opts: { label?: string; onHeader?: (h: CsvHeader) => void } = {},
): AsyncGenerator<CsvRow, void, undefined> {
  const fileLabel = opts.label ?? basename(path);
  const read = await detectEncoding(path, fileLabel);
  const { delimiter } = await sniff(path);
  let header: CsvHeader | null = null;
  for await (const rec of csvRecords(path, { file: fileLabel, encoding: read.encoding, delimiter, skipEmptyLines: true })) {
    if (!header) {
      header = mapHeader(rec.record, spec, fileLabel, delimiter, read);
      opts.onHeader?.(header);
      continue;
    }
    const values: Record<string, string> = {};
    for (const [name, i] of Object.entries(header.index)) values[name] = rec.record[i] ?? '';
    yield { line: rec.line, values };
  }
  if (!header)
    throw rowError({
      file: fileLabel,
      reason: { en: 'the file is empty: a header row is required', ru: 'файл пуст: нужна строка заголовков' },
    });
}

export function mapHeader(
  raw: string[],
  spec: CsvSpec,
  file: string,
  delimiter: ',' | ';',
  read: DetectedEncoding = { encoding: 'UTF-8', bom: false },
): CsvHeader {
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
  return { delimiter, bom: read.bom, encoding: read.encoding, index, ignored };
}
