import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/platform/db/migrate.ts';
import { PgDb } from '../../src/platform/db/pg-db.ts';
import { PgliteDb } from '../../src/platform/db/pglite-db.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    engine: string;
    /** PGlite: a tar of a migrated, empty database every test file starts from. */
    pgliteTemplate: string;
    /** PostgreSQL: a migrated template database every test file clones. */
    pgTemplate: string;
    /** A folder of the project's own, removed after the run: caches a file may leave for the next (test/support/demo-db.ts). */
    scratchDir: string;
  }
}

/**
 * Migrations run once per engine; each test file then starts from a copy of
 * the migrated empty database (a PGlite dump, or CREATE DATABASE … TEMPLATE),
 * so files never see each other's data and run in parallel.
 */
export default async function setup(project: TestProject) {
  const engine = project.config.provide?.engine ?? process.env.VORONKA_TEST_ENGINE ?? 'pglite';
  const dir = mkdtempSync(join(tmpdir(), 'voronka-test-'));
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  project.provide('scratchDir', dir);
  if (engine === 'pglite') {
    const db = await PgliteDb.open(undefined);
    await migrate(db);
    const path = join(dir, 'template.tar');
    await db.dump(path);
    await db.close();
    project.provide('pgliteTemplate', path);
    project.provide('pgTemplate', '');
  } else {
    const adminUrl = process.env.VORONKA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const name = `voronka_tpl_${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const db = new PgDb(url.toString(), 2);
    await migrate(db);
    await db.close();
    project.provide('pgTemplate', name);
    project.provide('pgliteTemplate', '');
    cleanups.push(async () => {
      // Clones are dropped by their files; drop any left by a crashed file, then the template.
      const left = await admin.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [
        `voronka_t_${name.slice(12)}%`,
      ]);
      for (const r of left.rows) await admin.query(`drop database if exists ${r.datname} with (force)`);
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    });
  }
  return async () => {
    for (const c of cleanups.reverse()) await c();
  };
}
