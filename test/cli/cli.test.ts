import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/platform/db/open-db.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { dealRow, writeBundle } from '../support/bundle.ts';
import { ENGINE, openTestDb, testDatabaseUrl } from '../support/test-db.ts';

const BIN = join(import.meta.dirname, '../../bin/voronka');

/** Where the CLI under test keeps its data: a fresh folder (PGlite) or the test server database. */
let serverDb: Db | null = null;
let dataDir = '';
beforeAll(async () => {
  if (ENGINE === 'postgres') serverDb = await openTestDb();
  else dataDir = mkdtempSync(join(tmpdir(), 'voronka-cli-'));
});
afterAll(async () => {
  await serverDb?.close();
});

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, LANG: 'en_US.UTF-8', VORONKA_LANG: 'en' };
  delete e.DATABASE_URL;
  if (serverDb) e.DATABASE_URL = testDatabaseUrl(serverDb) ?? undefined;
  return e;
}
const dbArgs = () => (serverDb ? [] : ['--data-dir', dataDir]);

function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...env(), ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  if (serverDb) return fn(serverDb);
  const db = await openDb({ dataDir });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

describe('bin/voronka', () => {
  it('imports a bundle, says so, and says "nothing changed" the second time', async () => {
    const dir = writeBundle({
      deals: [dealRow('C1'), dealRow('C2')],
      events: [
        ['C1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['C2', 'Новый лид', '2025-01-11T10:00:00+03:00'],
        ['C2', 'Встреча', '2025-01-12T10:00:00+03:00'],
      ],
    });
    const first = await run(['import', dir, '--workspace', 'CLI', ...dbArgs()]);
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Imported into workspace "CLI" \(new\), pipeline "Продажи" \(new\)/);
    expect(first.stdout).toContain('deals: 2 created, 0 updated, 0 unchanged (2 rows)');
    expect(first.stdout).toContain('stage entries: 3 added, 0 already present (3 rows)');
    const second = await run(['import', dir, '--workspace', 'CLI', ...dbArgs()]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Nothing changed: all 2 deals and 3 stage entries are already in workspace "CLI".');
    const list = await run(['workspaces', ...dbArgs()]);
    expect(list.stdout).toMatch(/\tCLI\tRUB\tEurope\/Moscow/);
  });

  it('reports a bad row with file, line and column, exits 1, and writes nothing', async () => {
    const dir = writeBundle({
      deals: [dealRow('E1'), dealRow('E2', { amount: 'сто рублей' })],
      events: [['E1', 'Новый лид', '2025-01-10T10:00:00+03:00']],
    });
    const r = await run(['import', dir, '--workspace', 'CLI-bad', ...dbArgs()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: deals.csv, line 3, column amount: "сто рублей" is not an amount ("сто рублей")');
    const ru = await run(['import', dir, '--workspace', 'CLI-bad', ...dbArgs()], { VORONKA_LANG: 'ru' });
    expect(ru.stderr).toContain('ошибка: deals.csv, строка 3, столбец amount: «сто рублей» — не сумма');
    expect(await withDb((db) => db.query(`select 1 from workspaces where name = 'CLI-bad'`))).toEqual([]);
  });

  it('leaves nothing behind when an import is killed half way', async () => {
    const n = 60_000;
    const deals = Array.from({ length: n }, (_, i) => dealRow(`K${i}`));
    const events = deals.flatMap((d) => [
      [d[0], 'Новый лид', '2025-01-10T10:00:00+03:00'],
      [d[0], 'Квалификация', '2025-01-12T10:00:00+03:00'],
      [d[0], 'Встреча', '2025-01-14T10:00:00+03:00'],
    ]);
    const dir = writeBundle({ deals, events });
    const child: ChildProcess = spawn(process.execPath, [BIN, 'import', dir, '--workspace', 'Killed', ...dbArgs()], { env: env() });
    const closed = new Promise((r) => child.once('close', r));
    let err = '';
    const killedMidway = await new Promise<boolean>((resolve) => {
      child.stderr?.on('data', (d) => {
        err += d;
        // deals.csv is in, stage_events.csv is being read: the transaction is open.
        if (err.includes('deals.csv:')) {
          child.kill('SIGKILL');
          resolve(true);
        }
      });
      void closed.then(() => resolve(false));
    });
    expect(killedMidway).toBe(true);
    await closed;
    expect(await withDb((db) => db.query(`select 1 from workspaces where name = 'Killed'`))).toEqual([]);
    expect(await withDb((db) => db.query(`select count(*)::int8 as n from deals where external_id like 'K%'`))).toEqual([{ n: 0 }]);
    // The database is healthy afterwards: the same import now completes.
    const again = await run(['import', dir, '--workspace', 'Killed', ...dbArgs()]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`deals: ${n.toLocaleString('en-US')} created`);
  });

  it.runIf(ENGINE === 'pglite')('refuses a second process on the same embedded data folder', async () => {
    const server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-demo', ...dbArgs()], { env: env() });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d) => {
          out += d;
          if (out.includes('Voronka is running')) resolve();
        });
        server.on('close', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const r = await run(['workspaces', ...dbArgs()]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is in use by process \d+/);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('close', r));
    }
    expect((await run(['workspaces', ...dbArgs()])).code).toBe(0);
  });
});
