import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DisciplineBreakdown, disciplineReport } from '../../src/analytics/discipline-report.ts';
import { funnelDeals } from '../../src/analytics/funnel-deals.ts';
import { type FunnelParams, resolveFunnelQuery } from '../../src/analytics/funnel-query.ts';
import { funnelReport } from '../../src/analytics/funnel-report.ts';
import { MANAGERS } from '../../src/demo/demo-plan.ts';
import { loadDemo } from '../../src/demo/load-demo.ts';
import { importBundle } from '../../src/imports/bundle-import.ts';
import { type BackupHeader, type BackupManifest, pgliteSource, serverSource, writeBackup } from '../../src/platform/db/backup.ts';
import { loadMigrations, migrate } from '../../src/platform/db/migrate.ts';
import { openDb } from '../../src/platform/db/open-db.ts';
import { PgDb } from '../../src/platform/db/pg-db.ts';
import { PgliteDb } from '../../src/platform/db/pglite-db.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { DbError } from '../../src/platform/db/types.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { createWorkspace, findWorkspace, listWorkspaces } from '../../src/platform/workspaces.ts';
import { dealRow, writeBundle } from '../support/bundle.ts';
import { ENGINE } from '../support/test-db.ts';

/*
 * A restore reproduces every report exactly. A source database of the engine under
 * test gets the demo workspace and a second, imported one; the CLI backs it up; the
 * file is restored by the CLI into a fresh database of the same engine and of the
 * other engine; every funnel and discipline report, every table's rows (the per-table
 * checksums of a backup of the restored database) and the schema's constraints,
 * indexes and triggers must come back the same.
 */

const BIN = join(import.meta.dirname, '../../bin/voronka');
const NOW = new Date('2026-11-21T09:00:00Z');
const AS_OF = new Date('2026-11-20T12:00:00Z');
const ADMIN_URL = process.env.VORONKA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OTHER = ENGINE === 'pglite' ? 'postgres' : 'pglite';

type Kind = 'pglite' | 'postgres';
interface Target {
  kind: Kind;
  /** PGlite: the data folder. */
  dir?: string;
  /** PostgreSQL: the database URL and name. */
  url?: string;
  name?: string;
}

const work = mkdtempSync(join(tmpdir(), 'voronka-backup-'));
const serverDbs: string[] = [];
let serverReachable = ENGINE === 'postgres';

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * A new empty database. PostgreSQL: a bare database (the restore runs the migrations),
 * or a clone of the migrated test template. PGlite: a folder that does not exist yet
 * (the restore creates and migrates it), or a copy of the migrated test template.
 */
async function newTarget(kind: Kind, migrated: boolean): Promise<Target> {
  if (kind === 'pglite') {
    const dir = join(work, `pglite-${randomBytes(3).toString('hex')}`);
    if (migrated) await (await PgliteDb.open(dir, inject('pgliteTemplate'))).close();
    return { kind, dir };
  }
  const name = `voronka_bk_${process.pid}_${randomBytes(4).toString('hex')}`;
  const template = migrated ? inject('pgTemplate') : '';
  await admin((c) => c.query(`create database ${name}${template ? ` template ${template}` : ''}`));
  serverDbs.push(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { kind, url: url.toString(), name };
}

async function open(t: Target): Promise<Db> {
  return t.kind === 'pglite' ? openDb({ dataDir: t.dir }) : new PgDb(t.url as string, 4);
}

async function withDb<T>(t: Target, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await open(t);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

function run(
  args: string[],
  t: Target | null,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'en_US.UTF-8', VORONKA_LANG: 'en', ...extraEnv };
  delete env.DATABASE_URL;
  delete env.VORONKA_DATA_DIR;
  if (t?.kind === 'postgres') env.DATABASE_URL = t.url;
  const db = t?.kind === 'pglite' ? ['--data-dir', t.dir as string] : [];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, ...db], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// ---------------------------------------------------------------------------
// What must survive a restore.

type Case = { label: string; kind: 'funnel' | 'discipline' | 'deals'; params: FunnelParams; by?: DisciplineBreakdown; metric?: string };

function casesFor(workspace: string, segment: string): Case[] {
  if (workspace !== 'Демо') {
    return [
      { label: 'funnel', kind: 'funnel', params: { from: '2025-01-01', to: '2025-03-01' } },
      { label: 'funnel by owner', kind: 'funnel', params: { from: '2025-01-01', to: '2025-03-01', by: 'owner' } },
      { label: 'funnel as of', kind: 'funnel', params: { from: '2025-01-01', to: '2025-03-01', as_of: '2025-01-12T12:00:00+03:00' } },
    ];
  }
  const manager = MANAGERS[0].email;
  return [
    { label: 'two years, live', kind: 'funnel', params: { from: '2025-01-01', to: '2027-01-01' } },
    { label: 'half year by owner', kind: 'funnel', params: { from: '2026-01-01', to: '2026-07-01', by: 'owner' } },
    { label: 'a year by month', kind: 'funnel', params: { from: '2025-11-01', to: '2026-11-01', by: 'month' } },
    { label: 'as of mid-period', kind: 'funnel', params: { from: '2026-01-01', to: '2026-10-01', as_of: '2026-04-15' } },
    { label: 'segment by channel', kind: 'funnel', params: { from: '2026-01-01', to: '2026-10-01', segment, by: 'channel' } },
    { label: 'one owner, as of', kind: 'funnel', params: { from: '2025-06-01', to: '2026-06-01', owner: manager, as_of: '2026-03-01' } },
    { label: 'by segment', kind: 'funnel', params: { from: '2025-01-01', to: '2026-12-01', by: 'segment' } },
    { label: 'by team', kind: 'funnel', params: { from: '2026-05-01', to: '2026-11-21', by: 'team' } },
    { label: 'by region', kind: 'funnel', params: { from: '2026-05-01', to: '2026-11-21', by: 'region' } },
    { label: 'discipline by owner', kind: 'discipline', params: { from: '2026-01-01', to: '2026-11-01' }, by: 'owner' },
    { label: 'discipline by month', kind: 'discipline', params: { from: '2026-08-01', to: '2026-11-01' }, by: 'month' },
    { label: 'stuck deals', kind: 'deals', params: { from: '2026-01-01', to: '2026-11-21' }, metric: 'stuck_deals' },
    { label: 'won deals', kind: 'deals', params: { from: '2026-01-01', to: '2026-07-01' }, metric: 'deals_won' },
  ];
}

/**
 * Every report, computed with the functions `voronka report` uses; `light` leaves out
 * the discipline reports (seconds each on PGlite) for the repeated checks.
 */
async function reports(db: Db, light = false): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const w of await listWorkspaces(db)) {
    const [seg] = await db.query<{ name: string }>(`select name from segments where workspace_id = $1 order by id limit 1`, [
      w.workspace_id,
    ]);
    for (const c of casesFor(w.name, seg?.name ?? 'none')) {
      if (light && c.kind === 'discipline') continue;
      out[`${w.name}: ${c.label}`] = await inWorkspace(db, w.workspace_id, async (tx) => {
        const q = await resolveFunnelQuery(tx, w.workspace_id, c.params, NOW);
        if (c.kind === 'funnel') return funnelReport(tx, q);
        if (c.kind === 'discipline') return disciplineReport(tx, q, c.by ?? null);
        return funnelDeals(tx, q, c.metric as never, undefined, { limit: 10_000, offset: 0 });
      });
    }
  }
  return out;
}

async function rowCounts(db: Db): Promise<Record<string, number>> {
  const tables = await db.query<{ name: string }>(`select tablename::text as name from pg_tables where schemaname = 'public' order by 1`);
  const rows = await db.query<{ name: string; n: number }>(
    tables.map((t) => `select '${t.name}' as name, count(*)::int8 as n from "${t.name}"`).join(' union all '),
  );
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
}

/** Constraints, indexes and triggers by name (the same on PostgreSQL 15 and PGlite's 18). */
async function schemaShape(db: Db): Promise<string[]> {
  const rows = await db.query<{ x: string }>(`
    select 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || contype::text as x
      from pg_constraint where connamespace = 'public'::regnamespace and contype <> 'n'
    union all select 'index ' || tablename || ' ' || indexname from pg_indexes where schemaname = 'public'
    union all select 'trigger ' || tgrelid::regclass::text || ' ' || tgname || ' ' || tgenabled::text
      from pg_trigger where not tgisinternal and tgrelid::regclass::text not like 'voronka_meta.%'
    order by 1`);
  return rows.map((r) => r.x);
}

interface Snapshot {
  reports: Record<string, unknown>;
  counts: Record<string, number>;
  shape: string[];
}
const snapshot = async (db: Db): Promise<Snapshot> => ({
  reports: await reports(db),
  counts: await rowCounts(db),
  shape: await schemaShape(db),
});
const lightReports = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.includes(': discipline')));

/**
 * Reports must come back the same: every count, amount, id, name and date exactly.
 * Means are sums of doubles, and the planner may add the same doubles in another
 * order on a database whose statistics and page layout differ (a restored table is
 * compact, frozen and freshly analyzed; PostgreSQL 15 and PGlite's 18 plan differently
 * anyway), which moves the last bit or two: a non-integer may differ by 1e-12 of itself.
 */
function differences(a: unknown, b: unknown, path = '', out: string[] = []): string[] {
  if (typeof a === 'number' && typeof b === 'number') {
    const close = !Number.isInteger(a) && !Number.isInteger(b) && Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
    if (a !== b && !close) out.push(`${path}: ${a} ≠ ${b}`);
  } else if (a instanceof Date || b instanceof Date) {
    if (!(a instanceof Date && b instanceof Date && a.getTime() === b.getTime())) out.push(`${path}: ${a} ≠ ${b}`);
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    if (Array.isArray(a) !== Array.isArray(b)) out.push(`${path}: array ≠ object`);
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
  } else if (!Object.is(a, b)) out.push(`${path}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`);
  return out;
}

function expectSameReports(actual: Record<string, unknown>, expected: Record<string, unknown>) {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  expect(differences(actual, expected)).toEqual([]);
}

function readArchive(file: string): { header: BackupHeader; manifest: BackupManifest; names: string[] } {
  const tar = gunzipSync(readFileSync(file));
  const names: string[] = [];
  const files = new Map<string, Buffer>();
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = Number.parseInt(h.toString('ascii', 124, 136).replace(/\0/g, '').trim(), 8);
    names.push(name);
    files.set(name, tar.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  const json = (n: string) => JSON.parse((files.get(n) as Buffer).toString('utf8'));
  return { header: json('voronka-backup.json'), manifest: json('manifest.json'), names };
}

/** Per-table content checksums: equal when two databases hold the same rows. */
const tableSums = (file: string) => Object.fromEntries(readArchive(file).manifest.tables.map((t) => [t.name, `${t.rows} ${t.sha256}`]));

// ---------------------------------------------------------------------------

let source: Target;
let before: Snapshot;
let deletedCompanyId = 0;
const backupFile = join(work, 'voronka.tar.gz');

beforeAll(async () => {
  if (ENGINE === 'pglite') {
    serverReachable = await admin(async (c) => (await c.query('select 1')).rowCount === 1).catch(() => false);
    if (!serverReachable && process.env.CI === 'true') throw new Error(`PostgreSQL at ${ADMIN_URL} is needed for the cross-engine restore`);
  }
  source = await newTarget(ENGINE, true);
  await withDb(source, async (db) => {
    await loadDemo(db, { seed: 1, asOf: AS_OF, now: NOW });
    const dir = writeBundle({
      deals: [
        dealRow('B1', { owner: 'Ольга Смирнова', amount: '150000.00' }),
        dealRow('B2', { owner: 'Пётр Иванов', segment: 'Enterprise', amount: '2500000.50' }),
        dealRow('B3', { owner: 'Ольга Смирнова', region: 'Казань', amount: '0' }),
      ],
      events: [
        ['B1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['B1', 'Квалификация', '2025-01-11T10:00:00+03:00'],
        ['B1', 'Успешно реализовано', '2025-02-01T10:00:00+03:00'],
        ['B2', 'Новый лид', '2025-01-11T10:00:00+03:00'],
        ['B2', 'Встреча', '2025-01-14T10:00:00+03:00'],
        ['B2', 'Квалификация', '2025-01-20T10:00:00+03:00'],
        ['B3', 'Новый лид', '2025-01-12T10:00:00+03:00'],
        ['B3', 'Закрыто и не реализовано', '2025-01-13T10:00:00+03:00'],
      ],
    });
    await importBundle(db, dir, { workspace: 'Второе «пространство»', now: NOW });
    // A record created and deleted: its id must never be handed out again after a restore.
    const ws = (await findWorkspace(db, 'Второе «пространство»'))?.workspace_id as number;
    await inWorkspace(db, ws, async (tx) => {
      const [c] = await tx.query<{ id: number }>(
        `insert into companies (workspace_id, name, custom) values ($1, E'Удалённая\\tкомпания "x"\\n', '{"a": [1, "\\\\"]}') returning id`,
        [ws],
      );
      deletedCompanyId = c.id;
      await tx.query('delete from companies where workspace_id = $1 and id = $2', [ws, c.id]);
    });
    // Statistics, as autovacuum keeps them on a server (PGlite has none until an ANALYZE; a
    // restore analyzes what it loads): the discipline reports take seconds without them.
    await db.exec('analyze');
    before = await snapshot(db);
  });
  expect(Object.keys(before.reports).length).toBeGreaterThan(15);
  expect(before.counts.stage_events).toBeGreaterThan(9000);
}, 240_000);

afterAll(async () => {
  if (serverDbs.length)
    await admin(async (c) => {
      for (const n of serverDbs) await c.query(`drop database if exists ${n} with (force)`);
    });
  rmSync(work, { recursive: true, force: true });
});

describe(`backup and restore (${ENGINE})`, () => {
  it('backs up with the CLI: a gzip tar of a header, COPY chunks and a manifest', async () => {
    const r = await run(['backup', backupFile], source);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Backed up ${ENGINE}: .* \\(schema version \\d+\\) to ${backupFile} in [\\d.]+ s:`));
    expect(r.stdout).toMatch(/stage_events +9,\d{3} /);
    expect(r.stdout).toMatch(/\d+ tables, [\d,]+ rows, [\d.]+ MB of data → [\d.]+ MB file/);
    const { header, manifest, names } = readArchive(backupFile);
    expect(names[0]).toBe('voronka-backup.json');
    expect(names.at(-1)).toBe('manifest.json');
    expect(header.source.engine).toBe(ENGINE);
    expect(header.tables.map((t) => t.name).indexOf('workspaces')).toBeLessThan(header.tables.map((t) => t.name).indexOf('deals'));
    for (const t of manifest.tables) expect(t.rows, t.name).toBe(before.counts[t.name]);
    const companies = header.tables.find((t) => t.name === 'companies');
    expect(Number(companies?.sequences[0].last_value)).toBe(deletedCompanyId);

    // The file is not overwritten unless asked to.
    const again = await run(['backup', backupFile], source);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`error: ${backupFile} already exists`);
  });

  let restored: Target;
  it('restores into a fresh empty database of the same engine: every report, row and constraint is back', async () => {
    restored = await newTarget(ENGINE, ENGINE === 'pglite');
    const r = await run(['restore', backupFile], restored);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Restored ${backupFile} \\(made .* on ${ENGINE}, schema version \\d+\\) into ${ENGINE}: `));
    expect(r.stdout).toMatch(/\d+ tables, [\d,]+ rows, [\d.]+ MB of data from a [\d.]+ MB file; \d+ id sequences set/);
    expect(r.stdout).toMatch(/Integrity check: 2 workspaces, \d+ checks, all ok/);
    await withDb(restored, async (db) => {
      const after = await snapshot(db);
      expect(after.counts).toEqual(before.counts);
      expect(after.shape).toEqual(before.shape);
      expectSameReports(after.reports, before.reports);
    });
    const check = await run(['check'], restored);
    expect(check.code).toBe(0);
    expect(check.stdout).not.toContain('FAIL');
    expect(check.stdout.match(/^ok {2}/gm)?.length).toBeGreaterThan(5);
  });

  it('continues ids after every id the source handed out, and the history stays append-only', async () => {
    await withDb(restored, async (db) => {
      const ws = (await findWorkspace(db, 'Второе «пространство»'))?.workspace_id as number;
      const id = await inWorkspace(db, ws, async (tx) => {
        const [c] = await tx.query<{ id: number }>(`insert into companies (workspace_id, name) values ($1, 'Новая') returning id`, [ws]);
        return c.id;
      });
      expect(id).toBe(deletedCompanyId + 1);
      const w = await db.transaction((tx) => createWorkspace(tx, { name: 'После восстановления' }, NOW));
      expect(w.workspace_id).toBe(3);
      const e = await db.query('update stage_events set reason = $1 where workspace_id = $2', ['x', ws]).catch((err) => err);
      expect(e).toBeInstanceOf(DbError);
      expect((e as DbError).code).toBe('55000');
    });
  });

  it(`restores across engines (${ENGINE} → ${OTHER}): the same rows, reports and table checksums`, async (ctx) => {
    if (!serverReachable) ctx.skip();
    const other = await newTarget(OTHER, false);
    const r = await run(['restore', backupFile], other);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`on ${ENGINE}, schema version`);
    expect(r.stdout).toContain(`into ${OTHER}: `);
    await withDb(other, async (db) => {
      const after = await snapshot(db);
      expect(after.counts).toEqual(before.counts);
      expect(after.shape).toEqual(before.shape);
      expectSameReports(after.reports, before.reports);
    });
    // A backup of the other engine holds byte for byte the same table data, in the same order.
    const second = join(work, `from-${OTHER}.tar.gz`);
    expect((await run(['backup', second], other)).code).toBe(0);
    expect(tableSums(second)).toEqual(tableSums(backupFile));
    const { header: h1 } = readArchive(backupFile);
    const { header: h2 } = readArchive(second);
    expect(h2.source.engine).toBe(OTHER);
    expect(h2.tables).toEqual(h1.tables);
    expect(h2.schema).toEqual(h1.schema);
    // (The way back, the other engine's backup restored into this one, is the other project's run of this test.)
  });

  it('refuses to restore over data without --force and changes nothing; --force replaces it in one go', async () => {
    const r = await run(['restore', backupFile], source);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: the database .* is not empty \(2 workspaces, \d+ rows in \d+ tables: .*\): restore into an empty database, or add --force to wipe it first; nothing was changed\n$/,
    );
    // Tables cut into many small chunks (PGlite reads a few heap blocks per COPY) hold the same rows.
    const small = join(work, 'small-chunks.tar.gz');
    if (source.kind === 'pglite') {
      const db = await openDb({ dataDir: source.dir });
      try {
        await writeBackup(await pgliteSource(db, { chunkBlocks: 4 }), small, { chunkBytes: 64 * 1024 });
      } finally {
        await db.close();
      }
    } else {
      const src = await serverSource(source.url as string, 'source');
      try {
        await writeBackup(src, small, { chunkBytes: 64 * 1024 });
      } finally {
        await src.close();
      }
    }
    expect(tableSums(small)).toEqual(tableSums(backupFile));
    const chunks = readArchive(small).manifest.tables.find((t) => t.name === 'stage_visits')?.chunks.length ?? 0;
    expect(chunks).toBeGreaterThan(10);
    // The restored copy got a company and a workspace since: --force puts it back exactly, from the small chunks.
    const forced = await run(['restore', small, '--force'], restored);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('the previous data was wiped (--force)');
    await withDb(restored, async (db) => {
      expect(await rowCounts(db)).toEqual(before.counts);
      expectSameReports(await reports(db, true), lightReports(before.reports));
    });
    await withDb(source, async (db) => {
      expect(await rowCounts(db)).toEqual(before.counts);
    });
  });

  it.runIf(ENGINE === 'postgres')(
    'restores a backup of an older schema and upgrades it; refuses a newer database or a bare one',
    async () => {
      const migrations = loadMigrations();
      const old = await newTarget('postgres', false);
      const bare = await run(['backup', join(work, 'bare.tar.gz')], old);
      expect(bare.code).toBe(1);
      expect(bare.stderr).toMatch(/error: nothing to back up: .* has no Voronka schema/);
      await withDb(old, async (db) => {
        await migrate(db, migrations.slice(0, -1));
        await db.query(`insert into workspaces (name) values ('Старая схема')`);
      });
      const file = join(work, 'older-schema.tar.gz');
      expect((await run(['backup', file], old)).code).toBe(0);
      expect(readArchive(file).header.schema.version).toBe(migrations.length - 1);

      const fresh = await newTarget('postgres', false);
      const r = await run(['restore', file], fresh);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`schema version ${migrations.length - 1})`);
      expect(r.stdout).toContain(`upgraded to schema version ${migrations.length}`);
      await withDb(fresh, async (db) => {
        expect(await db.query('select name from workspaces')).toEqual([{ name: 'Старая схема' }]);
        expect(await db.query('select max(version)::int4 as v from voronka_meta.schema_migrations')).toEqual([{ v: migrations.length }]);
      });

      const migrated = await newTarget('postgres', true);
      const refused = await run(['restore', file], migrated);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `is at schema version ${migrations.length}, newer than the backup's ${migrations.length - 1}: restore it into a new empty database`,
      );
    },
  );

  it('refuses a truncated, corrupted or foreign file before writing anything', async () => {
    const bytes = readFileSync(backupFile);
    const truncated = join(work, 'truncated.tar.gz');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const flipped = join(work, 'flipped.tar.gz');
    const bad = Buffer.from(bytes);
    for (let i = 0; i < 8; i++) bad[Math.floor(bad.length * 0.4) + i] ^= 0x5a;
    writeFileSync(flipped, bad);
    const foreign = join(work, 'foreign.tar.gz');
    writeFileSync(foreign, 'deal_id,title\n1,x\n');
    // A chunk rewritten consistently for gzip and tar but not for the manifest: only the checksums can tell.
    const forged = join(work, 'forged.tar.gz');
    writeFileSync(forged, forgeData(bytes));
    const newerSchema = join(work, 'newer-schema.tar.gz');
    const known = loadMigrations().length;
    writeFileSync(
      newerSchema,
      forgeHeader(bytes, (h) => {
        h.schema.version = known + 1;
        h.schema.migrations.push({ version: known + 1, name: '9999_future', checksum: '0'.repeat(64) });
        h.voronka_version = '9.9.9';
      }),
    );
    const newerFormat = join(work, 'newer-format.tar.gz');
    writeFileSync(
      newerFormat,
      forgeHeader(bytes, (h) => {
        h.format_version = 2;
      }),
    );

    const fresh = await newTarget(ENGINE, false);
    const cases: [string, RegExp][] = [
      [truncated, /is truncated \(it ends in the middle of the data\): the backup is incomplete; nothing was restored/],
      [flipped, /is (damaged|truncated)/],
      [foreign, /is damaged or is not a Voronka backup \(gzip: incorrect header check\)/],
      [forged, /is damaged: checksum mismatch in data\/users\/000001\.copy; nothing was restored/],
      [
        newerSchema,
        new RegExp(
          `comes from a newer schema \\(version ${known + 1}, Voronka 9\\.9\\.9\\); this Voronka knows migrations up to ${known}: upgrade Voronka`,
        ),
      ],
      [newerFormat, /is in backup format 2, written by a newer Voronka .*: upgrade Voronka to restore it/],
      [join(work, 'missing.tar.gz'), /missing\.tar\.gz: no such file/],
    ];
    for (const [file, message] of cases) {
      const r = await run(['restore', file], fresh);
      expect(r.code, file).toBe(1);
      expect(r.stderr, file).toMatch(message);
      expect(r.stderr, file).not.toMatch(/\n\s+at /);
    }
    if (fresh.kind === 'pglite') expect(existsSync(fresh.dir as string)).toBe(false);
    else {
      const tables = await admin(async () => {
        const c = new pg.Client({ connectionString: fresh.url });
        await c.connect();
        try {
          return (await c.query(`select count(*)::int as n from pg_tables where schemaname in ('public', 'voronka_meta')`)).rows[0].n;
        } finally {
          await c.end();
        }
      });
      expect(tables).toBe(0);
    }
    // The same checks in Russian.
    const ru = await run(['restore', truncated], fresh, { VORONKA_LANG: 'ru' });
    expect(ru.stderr).toContain('обрезан');
    expect(statSync(backupFile).size).toBe(bytes.length);
  });
});

/** Rebuilds an archive with `edit` applied to each entry: valid gzip, valid tar, whatever content `edit` gives. */
function rewrite(gz: Buffer, edit: (name: string, data: Buffer) => Buffer): Buffer {
  const tar = gunzipSync(gz);
  const out: Buffer[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = Number.parseInt(h.toString('ascii', 124, 136).replace(/\0/g, '').trim(), 8);
    const data = edit(name, Buffer.from(tar.subarray(off + 512, off + 512 + size)));
    const header = Buffer.alloc(512);
    header.write(name, 0);
    header.write('0000644\0', 100);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\x0000', 257);
    header.write(
      `${header
        .reduce((a, b) => a + b, 0)
        .toString(8)
        .padStart(6, '0')}\0 `,
      148,
    );
    out.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  out.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(out));
}

/** One byte of a users row changed: only the checksums can tell. */
const forgeData = (gz: Buffer) =>
  rewrite(gz, (name, data) => {
    if (name !== 'data/users/000001.copy') return data;
    const at = data.indexOf('@');
    data[at - 1] = data[at - 1] === 0x61 ? 0x62 : 0x61;
    return data;
  });

/** A consistent file whose header says something else (a newer schema or format). */
const forgeHeader = (gz: Buffer, change: (h: BackupHeader) => void) => {
  let sha = '';
  return rewrite(gz, (name, data) => {
    if (name === 'voronka-backup.json') {
      const h = JSON.parse(data.toString('utf8'));
      change(h);
      const next = Buffer.from(JSON.stringify(h, null, 2));
      sha = createHash('sha256').update(next).digest('hex');
      return next;
    }
    if (name === 'manifest.json') return Buffer.from(JSON.stringify({ ...JSON.parse(data.toString('utf8')), header_sha256: sha }));
    return data;
  });
};
