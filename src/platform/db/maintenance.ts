import sql from 'sql-template-tag';
import type { Queryable } from './types.ts';

/** The tables a workspace's data lives in, for bulk writers that touch most of them, in the order they are analyzed. */
export const DATA_TABLES = [
  'deals',
  'stage_events',
  'stage_visits',
  'funnel_counters',
  'users',
  'segments',
  'channels',
  'companies',
  'contacts',
  'leads',
  'activities',
  'tasks',
  'calendar_days',
];

/**
 * Planner statistics after bulk writes. The query planner chooses joins from each table's
 * statistics (row counts, value distributions), which only ANALYZE gathers. A PostgreSQL server
 * gathers them in the background (autovacuum) a while after a write; the embedded engine has no
 * background workers and never does. Without them a report over a freshly imported workspace can
 * pick a nested loop over thousands of rows on each side (measured: the discipline report over
 * the demo plus 4,877 imported deals took 17 s on PGlite instead of 0.1 s).
 *
 * So whatever writes in bulk (an import, the demo) analyzes the tables it grew, in its own
 * transaction, by autovacuum's own rule: more changed rows than 50 + 10 % of the table.
 */
export async function analyzeChanged(tx: Queryable, tables: string[], changedRows: number): Promise<string[]> {
  const rows = await tx.query<{ name: string; tuples: number }>(sql`
    select c.relname as name, c.reltuples::float8 as tuples
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname = any(${tables}::text[])`);
  // ANALYZE locks its table until the transaction ends and two ANALYZEs of one table wait for each
  // other: every caller takes the tables in the one order of DATA_TABLES, so two can never deadlock.
  const rank = (t: string) => (DATA_TABLES.includes(t) ? DATA_TABLES.indexOf(t) : DATA_TABLES.length);
  const stale = rows
    .filter((r) => r.tuples < 0 || changedRows > 50 + 0.1 * r.tuples)
    .map((r) => r.name)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const t of stale) await tx.exec(`analyze "${t.replace(/"/g, '""')}"`);
  return stale;
}

/** Public tables that hold rows but were never analyzed (reltuples −1): a database from before this rule. */
export async function neverAnalyzed(tx: Queryable): Promise<number> {
  const [r] = await tx.query<{ n: number }>(sql`
    select count(*)::int8 as n
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'r' and c.reltuples < 0 and pg_relation_size(c.oid) > 0`);
  return r.n;
}

/** Rows the statistics last counted in the public tables. */
export async function analyzedRows(tx: Queryable): Promise<number> {
  const [r] = await tx.query<{ n: number }>(sql`
    select coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 as n
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'r'`);
  return r.n;
}
