import sql, { raw } from 'sql-template-tag';
import { type ChangeSince, changesSince } from '../audit.ts';
import type { Queryable } from '../db/types.ts';

/** A change since the caller's version, with the names behind a reference's ids (owner, company…). */
export type NamedChange = ChangeSince & { from_name?: string | null; to_name?: string | null };

/** What this file needs of a resource (structural: resource.ts imports this file). */
type Described = {
  table: string;
  fields: Record<string, { ref?: { table: string } }>;
  /** Versions made without an audit row (a deal's moves): the `n` latest, as changes. */
  unaudited?: (tx: Queryable, ws: number, id: number, n: number) => Promise<NamedChange[]>;
};

const NAME_COLUMN: Record<string, string> = { leads: 'title', deals: 'title' };

/**
 * What others changed in a record after version `given` (a stale edit's 409 carries it): each
 * field with who and when, from → to, and for references the names, so a card can say «Анна
 * Смирнова изменила: Ответственный Иван Петров → Анна Смирнова» without looking ids up.
 */
export async function conflictChanges(
  tx: Queryable,
  ws: number,
  r: Described,
  id: number,
  given: number,
  current: number,
): Promise<NamedChange[]> {
  const list: NamedChange[] = await changesSince(tx, ws, r.table, id, given, current);
  const byTable = new Map<string, Set<number>>();
  for (const c of list) {
    const ref = r.fields[c.field]?.ref;
    if (!ref) continue;
    const ids = byTable.get(ref.table) ?? new Set<number>();
    for (const v of [c.from, c.to]) if (typeof v === 'number') ids.add(v);
    byTable.set(ref.table, ids);
  }
  const names = new Map<string, string>();
  for (const [table, ids] of byTable) {
    if (ids.size === 0) continue;
    const rows = await tx.query<{ id: number; name: string }>(
      sql`select id, ${raw(NAME_COLUMN[table] ?? 'name')} as name from ${raw(table)} where workspace_id = ${ws} and id = any(${[...ids]}::int8[])`,
    );
    for (const x of rows) names.set(`${table}:${Number(x.id)}`, x.name);
  }
  const named = list.map((c) => {
    const ref = r.fields[c.field]?.ref;
    if (!ref) return c;
    const name = (v: unknown) => (typeof v === 'number' ? (names.get(`${ref.table}:${v}`) ?? null) : null);
    return { ...c, from_name: name(c.from), to_name: name(c.to) };
  });
  const audited = new Set(list.map((c) => c.version)).size;
  const missing = current - given - audited;
  if (!r.unaudited || missing <= 0) return named;
  const more = await r.unaudited(tx, ws, id, Math.min(missing, 50));
  return [...named, ...more].sort((a, b) => a.at.localeCompare(b.at));
}
