import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../src/imports/bundle-import.ts';
import { analyzeChanged } from '../../src/platform/db/maintenance.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { dealRow, writeBundle } from '../support/bundle.ts';
import { ENGINE, openTestDb } from '../support/test-db.ts';

/**
 * Planner statistics: the embedded engine has no autovacuum, so bulk writers analyze what
 * they grew and a long-running PGlite process refreshes statistics itself once enough rows
 * were written. Without them a report over an imported workspace took 17 s instead of 0.1 s.
 */
const tuples = async (db: Db, table: string) =>
  Number((await db.query<{ n: number }>(sql`select reltuples::float8 as n from pg_class where relname = ${table} and relkind = 'r'`))[0].n);

describe('planner statistics after bulk writes', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb();
  });
  afterAll(async () => {
    await db.close();
  });

  it('an import analyzes the tables it grew, by autovacuum’s rule (50 + 10 % of the table)', async () => {
    expect(await tuples(db, 'deals')).toBeLessThanOrEqual(0); // a new database: never analyzed or empty
    const deals = Array.from({ length: 300 }, (_, i) => dealRow(`D${i}`, { company: `ООО «Компания ${i}»` }));
    const events = deals.flatMap((d) => [
      [d[0], 'Новый лид', '2025-01-10T10:00:00+03:00'],
      [d[0], 'Квалификация', '2025-01-20T10:00:00+03:00'],
    ]);
    await importBundle(db, writeBundle({ deals, events }), { workspace: 'Статистика', now: new Date('2025-06-01T00:00:00Z') });
    expect(await tuples(db, 'deals')).toBe(300);
    expect(await tuples(db, 'stage_events')).toBe(600);
    expect(await tuples(db, 'companies')).toBe(300);

    await db.transaction(async (tx) => {
      // 20 changed rows are below 50 + 10 % of 300: nothing is analyzed again
      expect(await analyzeChanged(tx, ['deals', 'stage_events', 'companies'], 20)).toEqual([]);
      // tables the import did not touch were never analyzed: they count as stale, in DATA_TABLES' order
      expect(await analyzeChanged(tx, ['tasks', 'contacts'], 0)).toEqual(['contacts', 'tasks']);
      // 2,000 changed rows are above it for every table, the empty ones included
      expect((await analyzeChanged(tx, ['deals', 'stage_events', 'tasks'], 2_000)).sort()).toEqual(['deals', 'stage_events', 'tasks']);
    });
  });
});

describe.runIf(ENGINE === 'pglite')('PGlite maintenance (the embedded engine’s autovacuum)', () => {
  const waitForRun = (db: Db) =>
    new Promise<{ ms: number; rowsWritten: number }>((resolve) => db.startMaintenance?.({ everyMs: 20, idleMs: 0, onRun: resolve }));

  it('analyzes a database whose tables were never analyzed as soon as it starts', async () => {
    const db = await openTestDb();
    try {
      await db.exec('create table scratch (x int)');
      await db.run('insert into scratch select generate_series(1, 500)');
      expect(await tuples(db, 'scratch')).toBe(-1);
      const run = waitForRun(db);
      expect((await run).rowsWritten).toBe(500);
      expect(await tuples(db, 'scratch')).toBe(500);
    } finally {
      await db.close();
    }
  });

  it('runs VACUUM ANALYZE once the rows written exceed 50 + 10 % of what the statistics know', async () => {
    const db = await openTestDb();
    try {
      await db.exec('create table scratch (x int)');
      await db.run('insert into scratch select generate_series(1, 100)');
      await db.exec('analyze scratch');
      expect(await tuples(db, 'scratch')).toBe(100);
      const run = waitForRun(db);
      await db.transaction(async (tx) => {
        await tx.run('insert into scratch select generate_series(1, 1000)');
        await tx.run('delete from scratch where x <= 50'); // 50 of the first hundred, 50 of the new thousand
        // The statistics of this transaction reach the shared counters at its commit, not up to a
        // second later (a late flush counted the 100 deleted rows as dead after the VACUUM).
        await tx.query('select pg_stat_force_next_flush()');
      });
      // every row written since the database opened: 100 + 1,000 inserted, 100 deleted
      expect((await run).rowsWritten).toBe(1_200);
      expect(await tuples(db, 'scratch')).toBe(1_000);
      const [{ dead }] = await db.query<{ dead: number }>(
        `select n_dead_tup::int8 as dead from pg_stat_user_tables where relname = 'scratch'`,
      );
      expect(dead).toBe(0); // VACUUM reclaimed the deleted rows
    } finally {
      await db.close();
    }
  });
});
