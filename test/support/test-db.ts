import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { PgDb } from '../../src/platform/db/pg-db.ts';
import { PgliteDb } from '../../src/platform/db/pglite-db.ts';
import type { Db } from '../../src/platform/db/types.ts';

export const ENGINE = (process.env.VORONKA_TEST_ENGINE ?? 'pglite') as 'pglite' | 'postgres';
/** The test server's own database, to create and drop the others from. */
export const ADMIN_URL = process.env.VORONKA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A fresh, migrated, empty database of the engine under test, private to the caller — or, given
 * `template`, a private copy of that one instead (a PGlite tar, a PostgreSQL database name:
 * test/support/demo-db.ts keeps such copies of the demo).
 */
export async function openTestDb(template?: string): Promise<Db> {
  if (ENGINE !== 'pglite' && ENGINE !== 'postgres')
    throw new Error(
      `the ${ENGINE} project has no database: a *.nodb.test.ts file opens none (name it *.test.ts to run it on both engines)`,
    );
  if (ENGINE === 'pglite') return PgliteDb.open(undefined, template ?? inject('pgliteTemplate'));
  const name = serverDbName(randomBytes(4).toString('hex'));
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${template ?? inject('pgTemplate')}`);
  } finally {
    await admin.end();
  }
  const db = new PgDb(serverDbUrl(name), 20);
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    const a = new pg.Client({ connectionString: ADMIN_URL });
    await a.connect();
    await a.query(`drop database if exists ${name} with (force)`).finally(() => a.end());
  };
  return db;
}

/** The name of a server database of this run: the global teardown drops what a crashed file left. */
export function serverDbName(suffix: string): string {
  return `voronka_t_${inject('pgTemplate').slice(12)}_${suffix}`;
}

/** The URL of a database on the test server. */
export function serverDbUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The URL of a throwaway server database for child processes (CLI tests); null on PGlite. */
export function testDatabaseUrl(db: Db): string | null {
  return db instanceof PgDb ? (db as unknown as { pool: { options: { connectionString: string } } }).pool.options.connectionString : null;
}
