import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { PgDb } from '../../src/platform/db/pg-db.ts';
import { PgliteDb } from '../../src/platform/db/pglite-db.ts';
import type { Db } from '../../src/platform/db/types.ts';

export const ENGINE = (process.env.VORONKA_TEST_ENGINE ?? 'pglite') as 'pglite' | 'postgres';

/** A fresh, migrated, empty database of the engine under test, private to the caller. */
export async function openTestDb(): Promise<Db> {
  if (ENGINE === 'pglite') return PgliteDb.open(undefined, inject('pgliteTemplate'));
  const template = inject('pgTemplate');
  const adminUrl = process.env.VORONKA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const name = `voronka_t_${template.slice(12)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = new PgDb(url.toString(), 20);
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    const a = new pg.Client({ connectionString: adminUrl });
    await a.connect();
    await a.query(`drop database if exists ${name} with (force)`).finally(() => a.end());
  };
  return db;
}

/** The URL of a throwaway server database for child processes (CLI tests); null on PGlite. */
export function testDatabaseUrl(db: Db): string | null {
  return db instanceof PgDb ? (db as unknown as { pool: { options: { connectionString: string } } }).pool.options.connectionString : null;
}
