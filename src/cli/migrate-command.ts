import { type DbOptions, say, withDb } from './cli-support.ts';

/** `voronka migrate`: applies pending migrations (opening the database does it). */
export async function migrateCommand(opts: DbOptions): Promise<void> {
  await withDb(opts, async (db) => {
    process.stdout.write(
      say(`The database is up to date (${db.engine}: ${db.location}).\n`, `База данных актуальна (${db.engine}: ${db.location}).\n`),
    );
  });
}
