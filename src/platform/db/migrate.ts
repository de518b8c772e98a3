import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './types.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f));
  files.sort();
  return files.map((f, i) => {
    const version = Number(f.slice(0, 4));
    if (version !== i + 1) throw new Error(`migration ${f}: expected number ${String(i + 1).padStart(4, '0')}`);
    const sql = readFileSync(`${dir}/${f}`, 'utf8');
    return {
      version,
      name: f.replace(/\.sql$/, ''),
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    };
  });
}

export class MigrationMismatchError extends Error {}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock
 * so two processes starting at once do not race. An applied migration whose file
 * changed afterwards stops everything: the schema and the code disagree.
 */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<number[]> {
  await db.exec(`
    create schema if not exists voronka_meta;
    create table if not exists voronka_meta.schema_migrations (
      version integer primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    );`);
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext('voronka.migrate'))`);
      const rows = await tx.query<{ checksum: string }>('select checksum from voronka_meta.schema_migrations where version = $1', [
        m.version,
      ]);
      if (rows.length > 0) {
        if (rows[0].checksum !== m.checksum) {
          throw new MigrationMismatchError(
            `migration ${m.name} was applied with different content (checksum ${rows[0].checksum.slice(0, 12)}, file ${m.checksum.slice(0, 12)}); write a new migration instead of editing an applied one`,
          );
        }
        return false;
      }
      // Scripts run through the same transaction-scoped session.
      await tx.exec(m.sql);
      await tx.query('insert into voronka_meta.schema_migrations (version, name, checksum) values ($1, $2, $3)', [
        m.version,
        m.name,
        m.checksum,
      ]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  const extra = await db.query<{ version: number; name: string }>(
    'select version, name from voronka_meta.schema_migrations where version > $1 order by version',
    [migrations.length],
  );
  if (extra.length > 0) {
    throw new MigrationMismatchError(
      `the database has migrations this version of Voronka does not know (${extra.map((e) => e.name).join(', ')}): it was upgraded by a newer version`,
    );
  }
  return applied;
}
