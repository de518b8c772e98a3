import { resolve } from 'node:path';
import { dbSettingsFromEnv } from '../platform/context.ts';
import { DataDirBusyError } from '../platform/db/data-dir-lock.ts';
import { MigrationMismatchError, migrate } from '../platform/db/migrate.ts';
import { type DbTarget, openDb } from '../platform/db/open-db.ts';
import type { Db, Queryable } from '../platform/db/types.ts';
import { DbError } from '../platform/db/types.ts';
import { inWorkspace } from '../platform/db/workspace-scope.ts';
import { AppError, pick } from '../platform/errors.ts';
import { resolveWorkspace } from '../platform/workspaces.ts';

export interface DbOptions {
  dataDir?: string;
}

export { cliLocale, say } from './cli-locale.ts';

import { cliLocale, say } from './cli-locale.ts';

/**
 * `--data-dir` picks the embedded database explicitly; otherwise DATABASE_URL
 * selects a PostgreSQL server; otherwise VORONKA_DATA_DIR or ./data.
 */
export function dbTarget(opts: DbOptions): DbTarget {
  const settings = dbSettingsFromEnv();
  if (opts.dataDir) return { dataDir: resolve(opts.dataDir), settings };
  if (process.env.DATABASE_URL) return { databaseUrl: process.env.DATABASE_URL, settings };
  return { dataDir: resolve(process.env.VORONKA_DATA_DIR ?? 'data'), settings };
}

export async function openMigrated(opts: DbOptions): Promise<Db> {
  const db = await openDb(dbTarget(opts));
  try {
    await migrate(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/** Runs `fn` on the migrated database the options name, and closes it whatever happens. */
export async function withDb<T>(opts: DbOptions, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openMigrated(opts);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Runs `fn` inside a transaction in the workspace `--workspace` names (or the only one). */
export function inNamedWorkspace<T>(
  opts: DbOptions & { workspace?: string },
  fn: (tx: Queryable, ws: number, db: Db) => Promise<T>,
): Promise<T> {
  return withDb(opts, async (db) => {
    const w = await resolveWorkspace(db, opts.workspace);
    return inWorkspace(db, w.workspace_id, (tx) => fn(tx, w.workspace_id, db));
  });
}

/** The data folder is held by another process (a running `voronka serve`): what to do, in both languages. */
export function busyMessage(e: DataDirBusyError): { en: string; ru: string } {
  return {
    en:
      `the data folder ${e.dir} is in use by process ${e.pid} (is "voronka serve" running?). ` +
      'Stop it first, or point this command at the same server with DATABASE_URL.',
    ru:
      `папка данных ${e.dir} занята процессом ${e.pid} (запущен «voronka serve»?). ` +
      'Сначала остановите его или направьте эту команду на тот же сервер через DATABASE_URL.',
  };
}

/**
 * The two refusals of migrate() in Russian (migrate.ts words them in English only): an applied
 * migration edited afterwards, and a database upgraded by a newer Voronka.
 */
export function migrationMismatchRu(en: string): string {
  const edited = /^migration (\S+) was applied with different content \(checksum (\w+), file (\w+)\)/.exec(en);
  if (edited)
    return `миграция ${edited[1]} уже применена, но её файл изменился (контрольная сумма в базе ${edited[2]}, у файла ${edited[3]}): не правьте применённую миграцию, напишите новую`;
  const newer = /^the database has migrations this version of Voronka does not know \((.*)\)/.exec(en);
  if (newer) return `в базе есть миграции, которых эта версия Voronka не знает (${newer[1]}): базу обновила более новая версия`;
  return en;
}

/** Runs a command body, turning known failures into one clear message and exit code 1. */
export async function runCommand(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const locale = cliLocale();
    if (e instanceof AppError) {
      process.stderr.write(`${say('error', 'ошибка')}: ${pick(e.msg, locale)}\n`);
      for (const f of e.details.fields ?? []) process.stderr.write(`  ${f.field}: ${pick(f.message, locale)}\n`);
    } else if (e instanceof DataDirBusyError) {
      process.stderr.write(`${say('error', 'ошибка')}: ${pick(busyMessage(e), locale)}\n`);
    } else if (e instanceof MigrationMismatchError) {
      process.stderr.write(`${say('error', 'ошибка')}: ${locale === 'ru' ? migrationMismatchRu(e.message) : e.message}\n`);
    } else if (e instanceof DbError) {
      process.stderr.write(`${say('database error', 'ошибка базы данных')}: ${e.message}${e.detail ? ` (${e.detail})` : ''}\n`);
    } else if (e instanceof Error && 'code' in e && (e as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
      process.stderr.write(
        `${say('cannot reach the PostgreSQL server named by DATABASE_URL', 'не удаётся подключиться к серверу PostgreSQL из DATABASE_URL')}: ${e.message}\n`,
      );
    } else {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    }
    process.exitCode = 1;
  }
}
