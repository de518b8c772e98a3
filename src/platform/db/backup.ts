import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import pg from 'pg';
import { to as copyToStdout } from 'pg-copy-streams';
import { type Pack, extract as tarExtract, pack as tarPack } from 'tar-stream';
import { AppError, type Msg } from '../errors.ts';
import { withBulkLoad } from './bulk-load.ts';
import { loadMigrations, type Migration, MigrationMismatchError, migrate } from './migrate.ts';
import { PgliteDb } from './pglite-db.ts';
import type { Db, Engine, Queryable } from './types.ts';

/*
 * A logical backup that both engines write and read: a gzip-compressed ustar archive of
 *
 *   voronka-backup.json          the header: format, schema version and migration checksums,
 *                                every table (load order, columns, primary key, sequences)
 *   data/<table>/000001.copy …   each table's rows as COPY text (UTF-8, UTC, ISO dates) in
 *                                their physical order, cut at row boundaries into chunks
 *   manifest.json                the trailer: rows, bytes and SHA-256 of every chunk and
 *                                table, and the header's SHA-256
 *
 * Nothing is held whole in memory: a table streams out in chunks of at most CHUNK_BYTES
 * (plus one row) and a restore reads the file twice — first to verify every checksum,
 * then to load — one chunk at a time.
 */

export const BACKUP_FORMAT = 'voronka-backup';
export const BACKUP_FORMAT_VERSION = 1;
const HEADER_FILE = 'voronka-backup.json';
const MANIFEST_FILE = 'manifest.json';
/** A chunk is cut at the first row boundary after this many bytes. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** An archive entry larger than this is corruption (a chunk is at most CHUNK_BYTES plus one row). */
const MAX_ENTRY_BYTES = 1024 * 1024 * 1024;
/** Heap blocks (8 KiB) per COPY on PGlite, whose COPY TO returns its whole output at once. */
const PGLITE_CHUNK_BLOCKS = 512;

/** The session settings a backup is written in and a restore reads it in. */
const SESSION_SETTINGS: [string, string][] = [
  ['timezone', 'UTC'],
  ['datestyle', 'ISO, YMD'],
  ['intervalstyle', 'postgres'],
  ['extra_float_digits', '1'],
  ['bytea_output', 'hex'],
  ['client_encoding', 'UTF8'],
  ['standard_conforming_strings', 'on'],
  ['statement_timeout', '0'],
  // Rows go out in their physical order from the first block (a synchronised scan could
  // start mid-table), and come back in that order, so a restored table scans like the original.
  ['synchronize_seqscans', 'off'],
];

export interface SequenceState {
  column: string;
  /** The sequence's last_value at backup time, as text (int8). */
  last_value: string;
  is_called: boolean;
}

export interface TableSpec {
  name: string;
  columns: string[];
  /** Identity (and serial) columns with their sequence's state when the backup was taken. */
  sequences: SequenceState[];
}

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  format_version: number;
  created_at: string;
  voronka_version: string;
  source: { engine: Engine; server_version: string };
  schema: { version: number; migrations: { version: number; name: string; checksum: string }[] };
  copy: { format: 'text'; encoding: 'UTF8'; settings: Record<string, string> };
  /** In a dependency-safe load order: referenced tables first. */
  tables: TableSpec[];
}

export interface ChunkEntry {
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface TableManifest {
  name: string;
  rows: number;
  bytes: number;
  /** SHA-256 of the table's whole COPY text (its chunks concatenated). */
  sha256: string;
  chunks: ChunkEntry[];
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  format_version: number;
  header_sha256: string;
  finished_at: string;
  tables: TableManifest[];
  total: { rows: number; bytes: number };
}

export interface BackupSummary {
  file: string;
  engine: Engine;
  schemaVersion: number;
  tables: { name: string; rows: number; bytes: number }[];
  rows: number;
  /** Uncompressed COPY text. */
  dataBytes: number;
  /** The file on disk. */
  fileBytes: number;
  seconds: number;
}

export interface RestoreSummary {
  file: string;
  createdAt: string;
  sourceEngine: Engine;
  schemaVersion: number;
  /** Migrations applied after the load, when the backup came from an older schema. */
  upgradedTo: number | null;
  wiped: boolean;
  tables: { name: string; rows: number; bytes: number }[];
  rows: number;
  dataBytes: number;
  fileBytes: number;
  sequences: number;
  seconds: number;
}

const fail = (code: 'IMPORT_FILE_INVALID' | 'CONFLICT' | 'VALIDATION_FAILED', msg: Msg) => new AppError(code, msg);
const qi = (id: string) => `"${id.replace(/"/g, '""')}"`;
const ql = (s: string) => `'${s.replace(/'/g, "''")}'`;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const voronkaVersion = (): string => {
  try {
    return JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
};

function countRows(b: Uint8Array): number {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
}

// ---------------------------------------------------------------------------
// The archive (ustar via tar-stream, gzip via node:zlib).

/** Adds one regular file to the archive; resolves once tar-stream has taken all of it (backpressure). */
function addEntry(pack: Pack, name: string, data: Buffer, mtime: Date): Promise<void> {
  return new Promise((resolve, reject) => {
    const header = { name, size: data.length, mtime, mode: 0o644, type: 'file' as const, uname: 'voronka', gname: 'voronka' };
    // A failure reaches the callback; the entry's own 'error' event (when the pack is destroyed) must not go unhandled.
    pack.entry(header, data, (err) => (err ? reject(err) : resolve())).on('error', () => {});
  });
}

class CorruptError extends Error {
  constructor(readonly why: Msg) {
    super(why.en);
  }
}

interface TarEntry {
  name: string;
  data: Buffer;
}

/** Entries of a backup file, one at a time, with every low-level failure turned into one clear message. */
async function* entriesOf(file: string): AsyncGenerator<TarEntry> {
  const input = createReadStream(file);
  const gunzip = createGunzip();
  const extract = tarExtract();
  input.on('error', (e) => extract.destroy(e));
  gunzip.on('error', (e) => extract.destroy(e));
  input.pipe(gunzip).pipe(extract as unknown as NodeJS.WritableStream);
  // The manifest is the last entry: whatever tar-stream stumbles on after it lies past the archive's end.
  let afterManifest = false;
  try {
    for await (const entry of extract) {
      const { name, type, size } = entry.header;
      if (type !== 'file')
        throw new CorruptError({ en: `unexpected archive entry ${name} (${type})`, ru: `неожиданная запись архива ${name} (${type})` });
      if (!Number.isSafeInteger(size) || size < 0 || size > MAX_ENTRY_BYTES)
        throw new CorruptError({ en: `archive entry ${name} has a bad size`, ru: `у записи архива ${name} неверный размер` });
      const parts: Buffer[] = [];
      for await (const b of entry) parts.push(b as Buffer);
      afterManifest = name === MANIFEST_FILE;
      yield { name, data: parts.length === 1 ? parts[0] : Buffer.concat(parts, size) };
    }
  } catch (e) {
    throw unreadable(file, e, afterManifest);
  } finally {
    input.destroy();
    gunzip.destroy();
    extract.destroy();
  }
}

function unreadable(file: string, e: unknown, afterManifest: boolean): AppError {
  if (e instanceof AppError) return e;
  const err = e as NodeJS.ErrnoException;
  const message = err?.message ?? String(e);
  if (err?.code === 'ENOENT') return fail('VALIDATION_FAILED', { en: `${file}: no such file`, ru: `${file}: нет такого файла` });
  // tar-stream's own errors carry no code, only these messages.
  const tarEnded = !err?.code && message === 'Unexpected end of data';
  const tarBroken = !err?.code && /^(Invalid tar header|Invalid header|Header exceeds max size)/.test(message);
  let why: Msg | null = e instanceof CorruptError ? e.why : null;
  if ((tarEnded || tarBroken) && afterManifest) why = { en: 'data after the end of the archive', ru: 'данные после конца архива' };
  else if (tarBroken) why = { en: 'an archive header is damaged', ru: 'повреждён заголовок записи архива' };
  else if (tarEnded || err?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) {
    return fail('IMPORT_FILE_INVALID', {
      en: `${file} is truncated (it ends in the middle of the data): the backup is incomplete; nothing was restored`,
      ru: `${file} обрезан (обрывается посреди данных): копия неполная; ничего не восстановлено`,
    });
  } else if (err?.code === 'Z_DATA_ERROR') why = { en: `gzip: ${message}`, ru: `gzip: ${message}` };
  if (why) {
    return fail('IMPORT_FILE_INVALID', {
      en: `${file} is damaged or is not a Voronka backup (${why.en}); nothing was restored`,
      ru: `${file} повреждён или не является резервной копией Voronka (${why.ru}); ничего не восстановлено`,
    });
  }
  return fail('IMPORT_FILE_INVALID', {
    en: `${file} cannot be read: ${message}`,
    ru: `не удаётся прочитать ${file}: ${message}`,
  });
}

const damaged = (file: string, en: string, ru: string) =>
  fail('IMPORT_FILE_INVALID', {
    en: `${file} is damaged: ${en}; nothing was restored`,
    ru: `${file} повреждён: ${ru}; ничего не восстановлено`,
  });

// ---------------------------------------------------------------------------
// The catalog: which tables, in which order, with which columns and sequences.

interface Catalog {
  tables: { name: string; columns: string[]; sequences: { column: string; seq: string }[] }[];
}

type Run = <R>(text: string, values?: unknown[]) => Promise<R[]>;

async function readCatalog(run: Run): Promise<Catalog> {
  const tables = await run<{ name: string }>(
    `select c.relname::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' order by 1`,
  );
  const cols = await run<{ tbl: string; col: string; seq: string | null }>(
    `select c.relname::text as tbl, a.attname::text as col,
            pg_get_serial_sequence(format('public.%I', c.relname), a.attname::text) as seq
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
      order by c.relname, a.attnum`,
  );
  const fks = await run<{ tbl: string; ref: string }>(
    `select distinct c.relname::text as tbl, r.relname::text as ref
       from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_class r on r.oid = con.confrelid
       join pg_namespace n on n.oid = c.relnamespace
      where con.contype = 'f' and n.nspname = 'public'`,
  );
  const names = tables.map((t) => t.name);
  const order = loadOrder(
    names,
    fks.map((f) => [f.tbl, f.ref]),
  );
  return {
    tables: order.map((name) => {
      const mine = cols.filter((c) => c.tbl === name);
      return {
        name,
        columns: mine.map((c) => c.col),
        sequences: mine.filter((c) => c.seq).map((c) => ({ column: c.col, seq: c.seq as string })),
      };
    }),
  };
}

/** Referenced tables before the tables referencing them; a cycle is broken by name. */
export function loadOrder(tables: string[], edges: [string, string][]): string[] {
  const deps = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const [from, to] of edges) if (from !== to && deps.has(from) && deps.has(to)) deps.get(from)?.add(to);
  const out: string[] = [];
  const left = new Set([...tables].sort());
  while (left.size) {
    const ready = [...left].filter((t) => [...(deps.get(t) ?? [])].every((d) => !left.has(d)));
    // A cycle (e.g. leads ↔ deals): take the table with the fewest unresolved references.
    const pickFrom = ready.length ? ready : [[...left].sort((a, b) => unresolved(a) - unresolved(b) || a.localeCompare(b))[0]];
    for (const t of pickFrom) {
      left.delete(t);
      out.push(t);
    }
  }
  return out;
  function unresolved(t: string) {
    return [...(deps.get(t) ?? [])].filter((d) => left.has(d)).length;
  }
}

// ---------------------------------------------------------------------------
// Backup.

/** Where a backup reads from: one consistent snapshot of the database. */
export interface BackupSource {
  readonly engine: Engine;
  readonly location: string;
  run: Run;
  /** The table's rows as COPY text, in physical order, in pieces of any size. */
  copyOut(table: Catalog['tables'][number]): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

const selectList = (t: Catalog['tables'][number]) => t.columns.map(qi).join(', ');

/**
 * A PostgreSQL server: a dedicated connection in a REPEATABLE READ READ ONLY
 * transaction — one snapshot for every table, while the server keeps serving —
 * and COPY … TO STDOUT streamed as it comes.
 */
export async function serverSource(databaseUrl: string, location: string): Promise<BackupSource> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'voronka-backup' });
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    for (const [k, v] of SESSION_SETTINGS) await client.query(`set local ${k} = ${ql(v)}`);
    // Rows hidden by a row-level-security policy would silently be missing: fail instead.
    await client.query(`set local row_security = off`);
  } catch (e) {
    await client.end().catch(() => {});
    throw e;
  }
  return {
    engine: 'postgres',
    location,
    run: async <R>(text: string, values?: unknown[]) => (await client.query({ text, values })).rows as R[],
    async *copyOut(t) {
      const stream = client.query(copyToStdout(`copy ${qi(t.name)} (${selectList(t)}) to stdout`));
      for await (const b of stream) yield b as Buffer;
    },
    async close() {
      await client.query('rollback').catch(() => {});
      await client.end().catch(() => {});
    },
  };
}

/**
 * The embedded PGlite: this process owns the data folder, so nothing else writes
 * meanwhile. Its COPY TO returns the whole output at once, so a table is read in
 * ranges of PGLITE_CHUNK_BLOCKS heap blocks (a TID range scan: physical order).
 */
export async function pgliteSource(db: Db, opts: { chunkBlocks?: number } = {}): Promise<BackupSource> {
  const step = opts.chunkBlocks ?? PGLITE_CHUNK_BLOCKS;
  if (!(db instanceof PgliteDb)) throw new Error('pgliteSource needs the embedded database');
  for (const [k, v] of SESSION_SETTINGS) await db.exec(`set ${k} = ${ql(v)}`);
  await db.exec('set row_security = off');
  return {
    engine: 'pglite',
    location: db.location,
    run: <R>(text: string, values?: unknown[]) => db.query<R>(text, values),
    async *copyOut(t) {
      const [{ n }] = await db.query<{ n: number }>(
        `select (pg_relation_size(${ql(`public.${qi(t.name)}`)}::regclass) / current_setting('block_size')::int8)::int8 as n`,
      );
      const from = `select ${selectList(t)} from ${qi(t.name)}`;
      for (let block = 0; ; block += step) {
        const last = block + step >= Number(n);
        const range = `ctid >= '(${block},0)'::tid${last ? '' : ` and ctid < '(${block + step},0)'::tid`}`;
        yield await db.copyTo(`copy (${from} where ${range}) to '/dev/blob'`);
        if (last) return;
      }
    },
    async close() {
      await db.exec('reset all').catch(() => {});
    },
  };
}

/** Pieces of COPY text → chunks of about CHUNK_BYTES, each ending at a row boundary. */
async function* rowChunks(pieces: AsyncIterable<Uint8Array>, table: string, chunkBytes: number): AsyncGenerator<Buffer> {
  let parts: Uint8Array[] = [];
  let len = 0;
  for await (const p of pieces) {
    if (!p.length) continue;
    parts.push(p);
    len += p.length;
    if (len < chunkBytes) continue;
    const all = Buffer.concat(parts, len);
    const cut = all.lastIndexOf(10);
    if (cut === -1) {
      parts = [all];
      continue;
    }
    yield all.subarray(0, cut + 1);
    const rest = all.subarray(cut + 1);
    parts = rest.length ? [rest] : [];
    len = rest.length;
  }
  if (len) {
    const all = Buffer.concat(parts, len);
    if (all[all.length - 1] !== 10) throw new Error(`COPY output of ${table} does not end with a newline`);
    yield all;
  }
}

/**
 * Writes a backup of everything `source` sees to `file` (via a temporary file renamed at
 * the end). `chunkBytes` (default 4 MiB) only changes how tables are cut into entries.
 */
export async function writeBackup(source: BackupSource, file: string, opts: { chunkBytes?: number } = {}): Promise<BackupSummary> {
  const started = Date.now();
  const hasSchema = await source.run<{ ok: boolean }>(`select to_regclass('voronka_meta.schema_migrations') is not null as ok`);
  if (!hasSchema[0]?.ok)
    throw fail('VALIDATION_FAILED', {
      en: `nothing to back up: ${source.location} has no Voronka schema (run "voronka migrate" or "voronka serve" first)`,
      ru: `нечего копировать: в ${source.location} нет схемы Voronka (сначала «voronka migrate» или «voronka serve»)`,
    });
  const catalog = await readCatalog(source.run);
  if (catalog.tables.length && source.engine === 'postgres') {
    // Like pg_dump: hold every table so no DDL changes one between the catalog read and its COPY.
    await source.run(`lock table ${catalog.tables.map((t) => qi(t.name)).join(', ')} in access share mode`);
  }
  const migrations = await source.run<{ version: number; name: string; checksum: string }>(
    'select version::int4 as version, name, checksum from voronka_meta.schema_migrations order by version',
  );
  const [{ v: serverVersion }] = await source.run<{ v: string }>(`select current_setting('server_version') as v`);
  const tables: TableSpec[] = [];
  for (const t of catalog.tables) {
    const sequences: SequenceState[] = [];
    for (const s of t.sequences) {
      const [st] = await source.run<{ last_value: string; is_called: boolean }>(
        `select last_value::text as last_value, is_called from ${s.seq}`,
      );
      sequences.push({ column: s.column, last_value: st.last_value, is_called: st.is_called });
    }
    tables.push({ name: t.name, columns: t.columns, sequences });
  }
  const header: BackupHeader = {
    format: BACKUP_FORMAT,
    format_version: BACKUP_FORMAT_VERSION,
    created_at: new Date(started).toISOString(),
    voronka_version: voronkaVersion(),
    source: { engine: source.engine, server_version: serverVersion },
    schema: { version: migrations.at(-1)?.version ?? 0, migrations: migrations.map((m) => ({ ...m, version: Number(m.version) })) },
    copy: { format: 'text', encoding: 'UTF8', settings: Object.fromEntries(SESSION_SETTINGS) },
    tables,
  };
  const headerBytes = Buffer.from(`${JSON.stringify(header, null, 2)}\n`);
  const manifests: TableManifest[] = [];

  const mtime = new Date(started);
  async function fill(pack: Pack) {
    await addEntry(pack, HEADER_FILE, headerBytes, mtime);
    for (const t of catalog.tables) {
      const m: TableManifest = { name: t.name, rows: 0, bytes: 0, sha256: '', chunks: [] };
      const whole = createHash('sha256');
      let n = 0;
      for await (const chunk of rowChunks(source.copyOut(t), t.name, opts.chunkBytes ?? CHUNK_BYTES)) {
        const c: ChunkEntry = {
          file: `data/${t.name}/${String(++n).padStart(6, '0')}.copy`,
          rows: countRows(chunk),
          bytes: chunk.length,
          sha256: sha256(chunk),
        };
        whole.update(chunk);
        m.chunks.push(c);
        m.rows += c.rows;
        m.bytes += c.bytes;
        await addEntry(pack, c.file, chunk, mtime);
      }
      m.sha256 = whole.digest('hex');
      manifests.push(m);
    }
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      format_version: BACKUP_FORMAT_VERSION,
      header_sha256: sha256(headerBytes),
      finished_at: new Date().toISOString(),
      tables: manifests,
      total: { rows: manifests.reduce((s, m) => s + m.rows, 0), bytes: manifests.reduce((s, m) => s + m.bytes, 0) },
    };
    await addEntry(pack, MANIFEST_FILE, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), mtime);
    pack.finalize();
  }

  const tmp = join(dirname(file), `.${file.split(/[\\/]/).pop()}.${process.pid}.partial`);
  const pack = tarPack();
  // Each entry waits (addEntry) until the pack has room, and the pack until gzip and the file took the last.
  const written = pipeline(Readable.from(pack, { highWaterMark: 1 }), createGzip({ level: 3 }), createWriteStream(tmp, { flags: 'wx' }));
  written.catch(() => {}); // awaited below; a failure meanwhile surfaces in fill() as a destroyed pack
  try {
    await fill(pack);
    await written;
    renameSync(tmp, file);
  } catch (e) {
    pack.destroy(e as Error);
    // A failure downstream (the disk) shows up in the producer as a destroyed pack: report the cause.
    const cause = await written.then(
      () => null,
      (w: unknown) => w,
    );
    rmSync(tmp, { force: true });
    throw cause ?? e;
  }
  const rows = manifests.reduce((s, m) => s + m.rows, 0);
  return {
    file,
    engine: source.engine,
    schemaVersion: header.schema.version,
    tables: manifests.map((m) => ({ name: m.name, rows: m.rows, bytes: m.bytes })),
    rows,
    dataBytes: manifests.reduce((s, m) => s + m.bytes, 0),
    fileBytes: statSync(file).size,
    seconds: (Date.now() - started) / 1000,
  };
}

// ---------------------------------------------------------------------------
// Verification (the first pass of a restore; nothing is written).

export interface VerifiedBackup {
  file: string;
  header: BackupHeader;
  manifest: BackupManifest;
  fileBytes: number;
}

/**
 * Reads the whole file once: the header must be first and of a format and schema
 * this version knows, the manifest last, and every chunk must match its size, row
 * count and SHA-256, every table its checksum. Throws a clear error otherwise.
 */
export async function verifyBackup(file: string, migrations: Migration[] = loadMigrations()): Promise<VerifiedBackup> {
  if (!existsSync(file)) throw fail('VALIDATION_FAILED', { en: `${file}: no such file`, ru: `${file}: нет такого файла` });
  let header: BackupHeader | null = null;
  let headerSha = '';
  let manifest: BackupManifest | null = null;
  const seen: ChunkEntry[] = [];
  const tableHashes = new Map<string, ReturnType<typeof createHash>>();
  const chunkTable = new Map<string, string>();
  for await (const e of entriesOf(file)) {
    if (manifest) throw damaged(file, `an entry (${e.name}) follows the manifest`, `после манифеста есть запись (${e.name})`);
    if (!header) {
      if (e.name !== HEADER_FILE) {
        throw fail('IMPORT_FILE_INVALID', {
          en: `${file} is not a Voronka backup (it does not start with ${HEADER_FILE})`,
          ru: `${file} — не резервная копия Voronka (не начинается с ${HEADER_FILE})`,
        });
      }
      header = parseJson<BackupHeader>(file, e);
      headerSha = sha256(e.data);
      checkHeader(file, header, migrations);
      for (const t of header.tables) tableHashes.set(t.name, createHash('sha256'));
      continue;
    }
    if (e.name === MANIFEST_FILE) {
      manifest = parseJson<BackupManifest>(file, e);
      continue;
    }
    const m = /^data\/([^/]+)\/\d{6}\.copy$/.exec(e.name);
    const hash = m ? tableHashes.get(m[1]) : undefined;
    if (!m || !hash) throw damaged(file, `unexpected entry ${e.name}`, `неожиданная запись ${e.name}`);
    hash.update(e.data);
    chunkTable.set(e.name, m[1]);
    seen.push({ file: e.name, rows: countRows(e.data), bytes: e.data.length, sha256: sha256(e.data) });
  }
  if (!header) throw fail('IMPORT_FILE_INVALID', { en: `${file} is empty`, ru: `${file} пуст` });
  if (!manifest) throw damaged(file, 'the manifest is missing (the file is incomplete)', 'нет манифеста (файл неполный)');
  if (manifest.header_sha256 !== headerSha)
    throw damaged(file, 'the header does not match the manifest', 'заголовок не совпадает с манифестом');
  const expected = manifest.tables.flatMap((t) => t.chunks);
  if (manifest.tables.map((t) => t.name).join('\n') !== header.tables.map((t) => t.name).join('\n') || expected.length !== seen.length) {
    throw damaged(file, 'its chunks do not match the manifest', 'блоки данных не совпадают с манифестом');
  }
  for (let i = 0; i < seen.length; i++) {
    const [a, b] = [seen[i], expected[i]];
    if (a.file !== b.file || a.bytes !== b.bytes || a.rows !== b.rows || a.sha256 !== b.sha256) {
      throw damaged(file, `checksum mismatch in ${b.file}`, `не сходится контрольная сумма ${b.file}`);
    }
  }
  for (const t of manifest.tables) {
    const got = tableHashes.get(t.name)?.digest('hex');
    const rows = t.chunks.reduce((s, c) => s + c.rows, 0);
    const bytes = t.chunks.reduce((s, c) => s + c.bytes, 0);
    if (got !== t.sha256 || rows !== t.rows || bytes !== t.bytes || t.chunks.some((c) => chunkTable.get(c.file) !== t.name)) {
      throw damaged(file, `checksum mismatch in table ${t.name}`, `не сходится контрольная сумма таблицы ${t.name}`);
    }
  }
  return { file, header, manifest, fileBytes: statSync(file).size };
}

function parseJson<T>(file: string, e: TarEntry): T {
  try {
    return JSON.parse(e.data.toString('utf8')) as T;
  } catch {
    throw damaged(file, `${e.name} is not valid JSON`, `${e.name} — некорректный JSON`);
  }
}

function checkHeader(file: string, h: BackupHeader, migrations: Migration[]) {
  if (h.format !== BACKUP_FORMAT || !Array.isArray(h.tables) || !h.schema)
    throw fail('IMPORT_FILE_INVALID', { en: `${file} is not a Voronka backup`, ru: `${file} — не резервная копия Voronka` });
  if (h.format_version > BACKUP_FORMAT_VERSION)
    throw fail('IMPORT_FILE_INVALID', {
      en: `${file} is in backup format ${h.format_version}, written by a newer Voronka (${h.voronka_version}); this version reads format ${BACKUP_FORMAT_VERSION}: upgrade Voronka to restore it`,
      ru: `${file} в формате ${h.format_version}, записанном более новой Voronka (${h.voronka_version}); эта версия читает формат ${BACKUP_FORMAT_VERSION}: обновите Voronka`,
    });
  const known = migrations.length;
  if (h.schema.version > known) {
    throw fail('IMPORT_FILE_INVALID', {
      en: `${file} comes from a newer schema (version ${h.schema.version}, Voronka ${h.voronka_version}); this Voronka knows migrations up to ${known}: upgrade Voronka to restore it`,
      ru: `${file} сделан на более новой схеме (версия ${h.schema.version}, Voronka ${h.voronka_version}); эта Voronka знает миграции до ${known}: обновите Voronka`,
    });
  }
  h.schema.migrations.forEach((m, i) => {
    const mine = migrations[i];
    if (m.version !== i + 1 || !mine || mine.checksum !== m.checksum) {
      throw fail('IMPORT_FILE_INVALID', {
        en: `${file} was made with migration ${m.name} of different content (checksum ${m.checksum.slice(0, 12)}, this Voronka ${mine?.checksum.slice(0, 12) ?? 'none'}): its schema is not this version's`,
        ru: `${file} сделан с другой версией миграции ${m.name} (контрольная сумма ${m.checksum.slice(0, 12)}, у этой Voronka ${mine?.checksum.slice(0, 12) ?? 'нет'}): схема не совпадает`,
      });
    }
  });
  if (h.schema.migrations.length !== h.schema.version) throw damaged(file, 'the migration list is incomplete', 'список миграций неполный');
}

// ---------------------------------------------------------------------------
// Restore.

interface TargetState {
  /** Applied migrations (0 for a fresh database). */
  version: number;
  /** Tables with rows, with their counts. */
  nonEmpty: { name: string; rows: number }[];
}

async function targetState(db: Db): Promise<TargetState> {
  const [{ ok }] = await db.query<{ ok: boolean }>(`select to_regclass('voronka_meta.schema_migrations') is not null as ok`);
  const version = ok
    ? Number((await db.query<{ v: number }>('select coalesce(max(version), 0)::int4 as v from voronka_meta.schema_migrations'))[0].v)
    : 0;
  return { version, nonEmpty: await nonEmptyTables(db) };
}

async function nonEmptyTables(q: Queryable): Promise<{ name: string; rows: number }[]> {
  const tables = await q.query<{ name: string }>(
    `select c.relname::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' order by 1`,
  );
  if (!tables.length) return [];
  const withRows = await q.query<{ name: string }>(
    tables.map((t) => `select ${ql(t.name)} as name where exists (select 1 from ${qi(t.name)})`).join(' union all '),
  );
  if (!withRows.length) return [];
  const counts = await q.query<{ name: string; n: number }>(
    withRows.map((t) => `select ${ql(t.name)} as name, count(*)::int8 as n from ${qi(t.name)}`).join(' union all '),
  );
  return counts.map((r) => ({ name: r.name, rows: Number(r.n) })).sort((a, b) => a.name.localeCompare(b.name));
}

function refuseNonEmpty(location: string, nonEmpty: { name: string; rows: number }[]): AppError {
  const rows = nonEmpty.reduce((s, t) => s + t.rows, 0);
  const ws = nonEmpty.find((t) => t.name === 'workspaces')?.rows ?? 0;
  const top = [...nonEmpty]
    .sort((a, b) => b.rows - a.rows)
    .slice(0, 3)
    .map((t) => `${t.name} ${t.rows}`)
    .join(', ');
  return fail('CONFLICT', {
    en: `the database ${location} is not empty (${ws} workspace${ws === 1 ? '' : 's'}, ${rows} rows in ${nonEmpty.length} tables: ${top}, …): restore into an empty database, or add --force to wipe it first; nothing was changed`,
    ru: `база ${location} не пуста (пространств: ${ws}, строк: ${rows} в ${nonEmpty.length} таблицах: ${top}, …): восстанавливайте в пустую базу или добавьте --force, чтобы сначала её очистить; ничего не изменено`,
  });
}

/**
 * Restores a verified backup into `db`. The database must be empty (or `force`
 * wipes it in the same transaction as the load) and not migrated past the backup's
 * schema. Migrations run up to the backup's version, every table is loaded in ONE
 * transaction, and any later migrations then upgrade the restored data.
 */
export async function restoreBackup(
  db: Db,
  b: VerifiedBackup,
  opts: { force?: boolean; migrations?: Migration[] } = {},
): Promise<RestoreSummary> {
  const started = Date.now();
  const migrations = opts.migrations ?? loadMigrations();
  const { header, manifest, file } = b;
  const state = await targetState(db);
  if (state.version > migrations.length) {
    throw new MigrationMismatchError(
      `the database ${db.location} was migrated by a newer Voronka (schema version ${state.version}, this one knows ${migrations.length})`,
    );
  }
  if (state.version > header.schema.version) {
    throw fail('CONFLICT', {
      en: `the database ${db.location} is at schema version ${state.version}, newer than the backup's ${header.schema.version}: restore it into a new empty database (the restore brings it up to date after loading); nothing was changed`,
      ru: `база ${db.location} уже на версии схемы ${state.version}, новее, чем у копии (${header.schema.version}): восстанавливайте в новую пустую базу (после загрузки она будет обновлена); ничего не изменено`,
    });
  }
  if (state.nonEmpty.length && !opts.force) throw refuseNonEmpty(db.location, state.nonEmpty);

  await migrate(db, migrations.slice(0, header.schema.version));
  const tmp = mkdtempSync(join(tmpdir(), 'voronka-restore-'));
  let sequences = 0;
  try {
    sequences = await db.transaction(async (tx) => {
      for (const [k, v] of SESSION_SETTINGS) await tx.exec(`set local ${k} = ${ql(v)}`);
      await tx.query(`select pg_advisory_xact_lock(hashtext('voronka.migrate'))`);
      const all = (
        await tx.query<{ name: string; force_rls: boolean }>(
          `select c.relname::text as name, c.relforcerowsecurity as force_rls from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind = 'r' order by 1`,
        )
      ).map((r) => ({ name: r.name, forceRls: r.force_rls }));
      const names = all.map((t) => t.name);
      await tx.exec(`lock table ${names.map(qi).join(', ')} in access exclusive mode`);
      await checkColumns(tx, file, header);

      const present = await nonEmptyTables(tx);
      if (present.length && !opts.force) throw refuseNonEmpty(db.location, present);
      // Always truncated, even when empty: a table truncated in this transaction is
      // filled strictly in input order (COPY skips the free-space map) and can be frozen,
      // so a restored table keeps the original's physical row order.
      await tx.exec(`truncate ${names.map(qi).join(', ')} restart identity cascade`);

      // Triggers that guard the live data (the append-only history, …) must not see a
      // restore: every user trigger is off while loading and back as it was afterwards.
      const triggers = await triggerStates(tx, names);
      for (const t of new Set(triggers.map((x) => x.tbl))) await tx.exec(`alter table ${qi(t)} disable trigger user`);
      for (const t of all.filter((x) => x.forceRls)) await tx.exec(`alter table ${qi(t.name)} no force row level security`);

      await withBulkLoad(tx, names, async () => {
        for await (const e of entriesOf(file)) {
          const m = /^data\/([^/]+)\/\d{6}\.copy$/.exec(e.name);
          if (!m) continue;
          const spec = header.tables.find((t) => t.name === m[1]);
          const chunk = manifest.tables.find((t) => t.name === m[1])?.chunks.find((c) => c.file === e.name);
          if (!spec || !chunk || sha256(e.data) !== chunk.sha256)
            throw damaged(file, `${e.name} changed while restoring`, `${e.name} изменился во время восстановления`);
          const path = join(tmp, 'chunk.copy');
          writeFileSync(path, e.data);
          await tx.copyFrom(
            `copy ${qi(spec.name)} (${spec.columns.map(qi).join(', ')}) from stdin with (format text, encoding 'UTF8', freeze)`,
            path,
          );
        }
      });

      // Identity sequences continue after every id the source had ever handed out, so an
      // id is never reused (not even one of a deleted row that the audit log still names).
      let n = 0;
      for (const t of header.tables) {
        for (const s of t.sequences) {
          const rows = await tx.query<{ seq: string | null }>(`select pg_get_serial_sequence(${ql(`public.${qi(t.name)}`)}, $1) as seq`, [
            s.column,
          ]);
          const seq = rows[0]?.seq;
          if (!seq) continue;
          await tx.query(
            `select case when x.v >= 1 then setval(${ql(seq)}::regclass, x.v, true) else setval(${ql(seq)}::regclass, 1, false) end
               from (select greatest($1::int8 - case when $2::boolean then 0 else 1 end, coalesce(max(${qi(s.column)}), 0)) as v from ${qi(t.name)}) x`,
            [s.last_value, s.is_called],
          );
          n++;
        }
      }

      for (const t of triggers) {
        const how = { O: 'enable', D: 'disable', R: 'enable replica', A: 'enable always' }[t.state] ?? 'enable';
        await tx.exec(`alter table ${qi(t.tbl)} ${how} trigger ${qi(t.name)}`);
      }
      for (const t of all.filter((x) => x.forceRls)) await tx.exec(`alter table ${qi(t.name)} force row level security`);
      const after = await triggerStates(tx, names);
      const key = (x: { tbl: string; name: string; state: string }) => `${x.tbl}.${x.name}=${x.state}`;
      if (after.map(key).join() !== triggers.map(key).join()) throw new Error('restore: the triggers are not as they were before the load');

      // Every table holds exactly what the manifest says.
      const counts = await tx.query<{ name: string; n: number }>(
        manifest.tables.map((t) => `select ${ql(t.name)} as name, count(*)::int8 as n from ${qi(t.name)}`).join(' union all '),
      );
      for (const t of manifest.tables) {
        const got = Number(counts.find((c) => c.name === t.name)?.n);
        if (got !== t.rows) throw new Error(`restore: table ${t.name} has ${got} rows after the load, the backup ${t.rows}`);
      }
      return n;
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const upgraded = header.schema.version < migrations.length;
  if (upgraded) await migrate(db, migrations);
  return {
    file,
    createdAt: header.created_at,
    sourceEngine: header.source.engine,
    schemaVersion: header.schema.version,
    upgradedTo: upgraded ? migrations.length : null,
    wiped: state.nonEmpty.length > 0,
    tables: manifest.tables.map((t) => ({ name: t.name, rows: t.rows, bytes: t.bytes })),
    rows: manifest.total.rows,
    dataBytes: manifest.total.bytes,
    fileBytes: b.fileBytes,
    sequences,
    seconds: (Date.now() - started) / 1000,
  };
}

async function triggerStates(tx: Queryable, tables: string[]): Promise<{ tbl: string; name: string; state: string }[]> {
  return tx.query(
    `select c.relname::text as tbl, t.tgname::text as name, t.tgenabled::text as state
       from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where not t.tgisinternal and n.nspname = 'public' and c.relname = any($1::text[])
      order by 1, 2`,
    [tables],
  );
}

async function checkColumns(tx: Queryable, file: string, header: BackupHeader) {
  const cols = await tx.query<{ tbl: string; col: string }>(
    `select c.relname::text as tbl, a.attname::text as col
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''`,
  );
  const have = new Set(cols.map((c) => `${c.tbl}.${c.col}`));
  const missing = header.tables.flatMap((t) => t.columns.map((c) => `${t.name}.${c}`)).filter((c) => !have.has(c));
  if (missing.length) {
    throw fail('CONFLICT', {
      en: `${file} does not fit this database's schema (missing ${missing.slice(0, 5).join(', ')}); nothing was changed`,
      ru: `${file} не подходит к схеме этой базы (нет ${missing.slice(0, 5).join(', ')}); ничего не изменено`,
    });
  }
}

/** Whether a file may be written: refuses to overwrite an existing one unless forced. */
export function checkBackupTarget(file: string, force: boolean) {
  if (existsSync(file) && !force) {
    throw fail('CONFLICT', {
      en: `${file} already exists: choose another name, or add --force to overwrite it`,
      ru: `${file} уже существует: выберите другое имя или добавьте --force, чтобы перезаписать`,
    });
  }
  if (!existsSync(dirname(file))) {
    throw fail('VALIDATION_FAILED', { en: `the folder ${dirname(file)} does not exist`, ru: `папки ${dirname(file)} не существует` });
  }
}
