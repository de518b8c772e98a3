import { isAscii, isUtf8 } from 'node:buffer';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { rowError } from './import-errors.ts';

/**
 * The encodings an import file is read in. A file that is valid UTF-8 is UTF-8
 * (with or without BOM); otherwise it is Windows-1251 when the detector says so
 * or when the bytes read as Cyrillic words in it (the detector alone is unsure
 * on short Russian text). Anything else is refused with what it looks like,
 * rather than imported as mojibake.
 *
 * Detection reads the file's first chunks only: 64 KiB at a time until a chunk
 * holds a byte that is not ASCII, and decides on that chunk. The rest is checked
 * as it streams: a byte that is not UTF-8 (in a UTF-8 file) or no character in
 * Windows-1251 (0x98) stops the import at its line — no byte ever becomes
 * U+FFFD in stored data.
 */
export type TextEncoding = 'UTF-8' | 'Windows-1251';

export interface DetectedEncoding {
  encoding: TextEncoding;
  bom: boolean;
}

const CHUNK = 64 * 1024;
/** What the detector reads of the sample: it is slow (0.5 s for 64 KiB), and 16 KiB of text is plenty. */
const DETECTOR_SAMPLE = 16 * 1024;
/** Valid multi-byte UTF-8 characters before a bad byte that make a file UTF-8 with damage, not another encoding. */
const UTF8_EVIDENCE = 8;
const SAVE_AS = { en: 'save it from Excel as "CSV UTF-8 (Comma delimited)"', ru: 'в Excel как «CSV UTF-8 (разделитель — запятая)»' };
/** Cyrillic encodings the detector may name that are not Windows-1251: their bytes would read as Cyrillic nonsense. */
const OTHER_CYRILLIC = new Set(['KOI8-R', 'ISO-8859-5', 'IBM866', 'x-mac-cyrillic']);

export async function detectEncoding(path: string, file: string): Promise<DetectedEncoding> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    for (let pos = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      const chunk = buf.subarray(0, bytesRead);
      if (pos === 0) {
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) return { encoding: 'UTF-8', bom: true };
        if (chunk[0] === 0xff && chunk[1] === 0xfe) throw notSupported(file, 'UTF-16LE');
        if (chunk[0] === 0xfe && chunk[1] === 0xff) throw notSupported(file, 'UTF-16BE');
        if (chunk.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1')))
          throw rowError({
            file,
            reason: {
              en: `this is an Excel workbook (.xlsx), not CSV: ${SAVE_AS.en}`,
              ru: `это книга Excel (.xlsx), а не CSV: сохраните её ${SAVE_AS.ru}`,
            },
          });
      }
      if (bytesRead === 0) return { encoding: 'UTF-8', bom: false };
      if (chunk.includes(0)) throw notSupported(file, utf16Guess(chunk) ?? chardet.detect(chunk) ?? undefined);
      if (!isAscii(chunk)) return { encoding: decide(chunk, bytesRead < CHUNK, file), bom: false };
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

function decide(sample: Buffer, atEnd: boolean, file: string): TextEncoding {
  // The sample starts where a chunk of ASCII ended, on a character boundary; its end may cut one.
  const body = atEnd ? sample : sample.subarray(0, completeUtf8Length(sample));
  if (isUtf8(body)) return 'UTF-8';
  if (multiByteCharsBefore(body, firstInvalidUtf8(body)) >= UTF8_EVIDENCE) return 'UTF-8'; // damaged further on: reported at its line
  const guess = chardet.analyse(sample.subarray(0, DETECTOR_SAMPLE))[0]?.name;
  if (guess === 'windows-1251') return 'Windows-1251';
  if (!OTHER_CYRILLIC.has(guess ?? '') && readsAsCyrillic(iconv.decode(sample, 'win1251'))) return 'Windows-1251';
  throw notSupported(file, guess);
}

const notSupported = (file: string, guess?: string) =>
  rowError({
    file,
    reason: {
      en: `the file is neither UTF-8 nor Windows-1251${guess ? ` (it looks like ${guess})` : ''}: ${SAVE_AS.en}`,
      ru: `файл не в UTF-8 и не в Windows-1251${guess ? ` (похоже на ${guess})` : ''}: сохраните его ${SAVE_AS.ru}`,
    },
  });

/** UTF-16 without a BOM: Latin text in it has a zero in every other byte. */
function utf16Guess(b: Buffer): string | undefined {
  let even = 0;
  let odd = 0;
  const n = Math.min(b.length, 4096) & ~1;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) even++;
    if (b[i + 1] === 0) odd++;
  }
  if (odd > n / 4 && even < odd / 8) return 'UTF-16LE';
  if (even > n / 4 && odd < even / 8) return 'UTF-16BE';
  return undefined;
}

const CYRILLIC_WORD = /^(?:[а-яёіїєґў]+|[А-ЯЁІЇЄҐЎ]+|[А-ЯЁІЇЄҐЎ][а-яёіїєґў]+)$/;
/** Characters besides letters that Russian text in Windows-1251 has outside ASCII. */
const CYRILLIC_PUNCTUATION = new Set('\u00a0«»—–№“”„‘’…•°±·€©®™§');

/**
 * Decoded as Windows-1251, do the bytes make Russian (or Ukrainian, Belarusian)
 * words — all lower case, all upper case or capitalised, and not glued to Latin
 * letters? Latin-1 text decoded so gives "Cafй" and "Mьller"; KOI8-R gives "пРИВЕТ".
 */
function readsAsCyrillic(text: string): boolean {
  let good = 0;
  let all = 0;
  for (const [word] of text.matchAll(/\p{L}+|[^\p{L}\p{ASCII}]/gu)) {
    const outside = word.replace(/\p{ASCII}/gu, '').length;
    if (outside === 0) continue;
    all += outside;
    if (CYRILLIC_WORD.test(word) || (word.length === 1 && CYRILLIC_PUNCTUATION.has(word))) good += outside;
  }
  return all > 0 && good >= 0.9 * all;
}

/** The length of `b` without a multi-byte sequence cut at its end. */
function completeUtf8Length(b: Buffer): number {
  for (let i = b.length - 1; i >= 0 && i >= b.length - 4; i--) {
    const c = b[i];
    if ((c & 0xc0) === 0x80) continue;
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return i + need > b.length ? i : b.length;
  }
  return b.length;
}

/** Offset of the first byte that does not begin a valid UTF-8 character (a NUL counts as invalid), or -1. */
export function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      if (c === 0) return i;
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0 || i + n >= b.length) return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if ((d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    const min = n === 1 ? 0x80 : n === 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

function multiByteCharsBefore(b: Buffer, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if ((b[i] & 0xc0) === 0xc0) n++;
  return n;
}

/** Counts line ends — LF, CRLF and a lone CR each end one line — across chunks. */
export class LineCounter {
  /** Lines ended so far. */
  ended = 0;
  private cr = false;
  /** Counts the line ends in `b[0, end)`; `end` defaults to the whole chunk. */
  add(b: Buffer, end = b.length) {
    for (let i = 0; i < end; i++) {
      const c = b[i];
      if (c === 0x0a) {
        if (!this.cr) this.ended++;
        this.cr = false;
      } else if (c === 0x0d) {
        this.ended++;
        this.cr = true;
      } else this.cr = false;
    }
  }
  /** The 1-based line of the byte at `b[at]`, `b` being the chunk after those counted. */
  lineAt(b: Buffer, at: number): number {
    const probe = new LineCounter();
    probe.cr = this.cr;
    probe.add(b, at);
    return this.ended + probe.ended + 1;
  }
}

const hex = (b: Buffer) => [...b].map((x) => `0x${x.toString(16).padStart(2, '0')}`).join(' ');

const nulByte = (file: string, line: number) =>
  rowError({
    file,
    line,
    reason: {
      en: `a NUL byte (0x00): this is not a text file (or it is UTF-16: ${SAVE_AS.en})`,
      ru: `нулевой байт (0x00): это не текстовый файл (или он в UTF-16: сохраните его ${SAVE_AS.ru})`,
    },
  });

/** Passes UTF-8 through, stopping at the line of the first byte that is not UTF-8. */
class Utf8Check extends Transform {
  private carry: Buffer = Buffer.alloc(0);
  private lines = new LineCounter();
  constructor(private readonly file: string) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const cut = completeUtf8Length(buf);
    const body = buf.subarray(0, cut);
    if (!isUtf8(body) || body.includes(0)) return done(this.problem(body, Math.max(0, firstInvalidUtf8(body))));
    this.lines.add(body);
    this.carry = Buffer.from(buf.subarray(cut));
    done(null, body);
  }
  override _flush(done: TransformCallback) {
    if (this.carry.length > 0) return done(this.problem(this.carry, 0));
    done();
  }
  private problem(body: Buffer, at: number) {
    const line = this.lines.lineAt(body, at);
    if (body[at] === 0) return nulByte(this.file, line);
    let end = at + 1;
    while (end < body.length && end < at + 4 && body[end] >= 0x80) end++;
    const bytes = hex(body.subarray(at, end));
    return rowError({
      file: this.file,
      line,
      reason: {
        en: `${end - at > 1 ? `bytes ${bytes} are` : `byte ${bytes} is`} not UTF-8, though the file begins in UTF-8: save the whole file in one encoding`,
        ru: `${end - at > 1 ? `байты ${bytes}` : `байт ${bytes}`} — не UTF-8, хотя начало файла в UTF-8: сохраните весь файл в одной кодировке`,
      },
    });
  }
}

/** Windows-1251 → UTF-8. A single-byte encoding: chunks decode on their own. 0x98 is no character in it. */
class FromWindows1251 extends Transform {
  private decoder = iconv.getDecoder('win1251');
  private lines = new LineCounter();
  constructor(private readonly file: string) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    const undefinedByte = chunk.indexOf(0x98);
    const nul = chunk.indexOf(0);
    if (nul >= 0 && (undefinedByte < 0 || nul < undefinedByte)) return done(nulByte(this.file, this.lines.lineAt(chunk, nul)));
    if (undefinedByte >= 0)
      return done(
        rowError({
          file: this.file,
          line: this.lines.lineAt(chunk, undefinedByte),
          reason: {
            en: 'byte 0x98 is not a character in Windows-1251, the encoding the file was read in',
            ru: 'байт 0x98 — не символ в Windows-1251, кодировке, в которой прочитан файл',
          },
        }),
      );
    this.lines.add(chunk);
    done(null, Buffer.from(this.decoder.write(chunk), 'utf8'));
  }
}

/**
 * The file's text as a stream of checked UTF-8 bytes (its BOM kept): bytes
 * `[0, end]` of the file when `end` is given. Errors carry the file and line.
 */
export function utf8Stream(path: string, encoding: TextEncoding, file: string, end?: number): Readable {
  const check = encoding === 'UTF-8' ? new Utf8Check(file) : new FromWindows1251(file);
  return pipeline(createReadStream(path, end === undefined ? {} : { end }), check, () => {});
}

/**
 * A UTF-8 copy of a Windows-1251 file in a private temporary folder, for what
 * reads files by path (COPY); `remove` deletes it.
 */
export async function utf8Copy(path: string, file: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'voronka-import-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  const copy = join(dir, 'utf8.csv');
  try {
    await pipelineAsync(createReadStream(path), new FromWindows1251(file), createWriteStream(copy));
  } catch (e) {
    await remove();
    throw e;
  }
  return { path: copy, remove };
}
