import { resolve } from 'node:path';
import { lockDataDir } from './data-dir-lock.ts';
import { PgDb } from './pg-db.ts';
import { PgliteDb } from './pglite-db.ts';
import type { Db, DbSettings } from './types.ts';

export interface DbTarget {
  /** postgres://… — when set, the server is used and dataDir is ignored. */
  databaseUrl?: string;
  /** The PGlite data folder; undefined with no URL means in memory. */
  dataDir?: string;
  /** How to talk to it (the configuration's `dbSettingsFromEnv`); the engine's defaults without. */
  settings?: DbSettings;
}

/** Opens the database the configuration names; the embedded one locks its folder. */
export async function openDb(target: DbTarget): Promise<Db> {
  const settings = target.settings ?? {};
  if (target.databaseUrl) return new PgDb(target.databaseUrl, settings.poolSize, settings);
  if (!target.dataDir) return PgliteDb.open(undefined, undefined, settings);
  const dir = resolve(target.dataDir);
  const unlock = lockDataDir(dir);
  try {
    const db = await PgliteDb.open(dir, undefined, settings);
    const close = db.close.bind(db);
    db.close = async () => {
      try {
        await close();
      } finally {
        unlock();
      }
    };
    return db;
  } catch (e) {
    unlock();
    throw e;
  }
}
