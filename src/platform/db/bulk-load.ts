import sql from 'sql-template-tag';
import type { Queryable } from './types.ts';

/**
 * An initial load (an import at least as large as what the tables hold) writes
 * faster without secondary indexes and foreign keys: each index is then built
 * once by sorting, and each foreign key validated by one join, instead of being
 * maintained row by row. Everything happens inside the caller's transaction, so a
 * failed import rolls the drops back too; the tables are locked meanwhile, which
 * is why only a load that dwarfs the existing data takes this path.
 */
export async function withBulkLoad<T>(tx: Queryable, tables: string[], fn: () => Promise<T>): Promise<T> {
  const indexes = await tx.query<{ name: string; def: string }>(sql`
    select i.indexname as name, i.indexdef as def
      from pg_indexes i
     where i.schemaname = 'public' and i.tablename = any(${tables}::text[])
       and not exists (select 1 from pg_constraint c where c.conname = i.indexname and c.contype in ('p', 'u'))`);
  const fks = await tx.query<{ name: string; tbl: string; def: string }>(sql`
    select c.conname as name, t.relname as tbl, pg_get_constraintdef(c.oid) as def
      from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_namespace n on n.oid = t.relnamespace
     where c.contype = 'f' and n.nspname = 'public' and t.relname = any(${tables}::text[])`);
  for (const f of fks) await tx.exec(`alter table ${quote(f.tbl)} drop constraint ${quote(f.name)}`);
  for (const i of indexes) await tx.exec(`drop index ${quote(i.name)}`);
  const result = await fn();
  await tx.exec(`set local maintenance_work_mem = '${tx.engine === 'pglite' ? '64MB' : '512MB'}'`);
  for (const i of indexes) await tx.exec(i.def);
  for (const f of fks) await tx.exec(`alter table ${quote(f.tbl)} add constraint ${quote(f.name)} ${f.def}`);
  for (const t of tables) await tx.exec(`analyze ${quote(t)}`);
  return result;
}

const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;

/**
 * Whether an import of `incoming` stage entries into workspace `ws` is an initial load: the
 * workspace has no history yet, and the import is at least as large as what the tables hold.
 * A re-import is never one, however large its bundle: it adds only what changed, and without
 * the indexes its refresh of the changed deals would read whole tables (a re-import of 5
 * changed amounts and 10 new deals into a workspace alone in its database rebuilt every index
 * of deals, stage entries and visits: 33 s instead of 22 s; see bench/reimport.ts).
 */
export async function isInitialLoad(tx: Queryable, ws: number, incoming: number, minimum = 50_000): Promise<boolean> {
  if (incoming < minimum) return false;
  const [r] = await tx.query<{ n: number; has_history: boolean }>(
    sql`select coalesce((select reltuples from pg_class where relname = 'stage_events' and relkind = 'r'), 0)::int8 as n,
               exists (select 1 from stage_events where workspace_id = ${ws}) as has_history`,
  );
  return !r.has_history && r.n < incoming;
}
