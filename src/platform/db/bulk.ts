import sql from 'sql-template-tag';
import type { Queryable } from './types.ts';

/** Reserves `n` ids of a table's identity so rows can be linked before they are written. */
export async function reserveIds(tx: Queryable, table: string, n: number): Promise<number[]> {
  if (n === 0) return [];
  const rows = await tx.query<{ id: number }>(
    sql`select nextval(pg_get_serial_sequence(${table}, 'id')) as id from generate_series(1, ${n})`,
  );
  return rows.map((r) => r.id);
}

export type Column = { name: string; type: string; values: unknown[] };

/**
 * Set-based insert: one statement per chunk, each column bound as one array
 * parameter and spread with unnest — the same SQL on PGlite and a server, and
 * far fewer round trips than row-by-row inserts.
 */
export async function bulkInsert(
  tx: Queryable,
  table: string,
  columns: Column[],
  opts: { overridingIds?: boolean; chunk?: number } = {},
): Promise<number> {
  const n = columns[0]?.values.length ?? 0;
  for (const c of columns) {
    if (c.values.length !== n) throw new Error(`bulkInsert ${table}: column ${c.name} has ${c.values.length} values, expected ${n}`);
    if (!/^[a-z_]+$/.test(c.name) || !/^[a-z0-9 ]+$/.test(c.type)) throw new Error(`bulkInsert: bad column spec ${c.name} ${c.type}`);
  }
  const chunk = opts.chunk ?? 20_000;
  let written = 0;
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const params = columns.map((c) => c.values.slice(start, end));
    const unnest = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
    const text = `insert into ${table} (${columns.map((c) => c.name).join(', ')}) ${opts.overridingIds ? 'overriding system value' : ''}
                  select * from unnest(${unnest})`;
    written += await tx.run(text, params);
  }
  return written;
}
