import sql from 'sql-template-tag';
import type { Queryable } from './db/types.ts';

export type Change = { from: unknown; to: unknown };

const SKIP = new Set(['updated_at', 'version', 'created_at', 'workspace_id', 'id', 'failed_logins', 'locked_until']);
/** Recorded as changed, never with their values. */
const SECRET = new Set(['password_hash', 'token_hash']);

const plain = (v: unknown): unknown => (v instanceof Date ? v.toISOString() : v === undefined ? null : v);
const same = (a: unknown, b: unknown) => JSON.stringify(plain(a)) === JSON.stringify(plain(b));

/** The fields that differ between two versions of a row; custom fields one by one as `custom.key`. */
export function diffRows(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, Change> {
  const out: Record<string, Change> = {};
  for (const k of Object.keys(after)) {
    if (SKIP.has(k)) continue;
    if (k === 'custom') {
      const b = (before.custom ?? {}) as Record<string, unknown>;
      const a = (after.custom ?? {}) as Record<string, unknown>;
      for (const ck of new Set([...Object.keys(b), ...Object.keys(a)])) {
        if (!same(b[ck], a[ck])) out[`custom.${ck}`] = { from: plain(b[ck]), to: plain(a[ck]) };
      }
      continue;
    }
    if (same(before[k], after[k])) continue;
    out[k] = SECRET.has(k) ? { from: '***', to: '***' } : { from: plain(before[k]), to: plain(after[k]) };
  }
  return out;
}

/** Appends one audit entry inside the caller's transaction. */
export async function audit(
  tx: Queryable,
  entry: {
    workspaceId: number;
    userId: number | null;
    entity: string;
    entityId: number;
    action: AuditAction;
    at: Date;
    changes?: Record<string, Change>;
    /** The record's version after the change (a stale edit names the changes since its version). */
    version?: number;
  },
): Promise<void> {
  await tx.query(sql`
    insert into audit_log (workspace_id, at, user_id, entity, entity_id, action, changes, version)
    values (${entry.workspaceId}, ${entry.at}, ${entry.userId}, ${entry.entity}, ${entry.entityId}, ${entry.action},
            ${JSON.stringify(entry.changes ?? {})}, ${entry.version ?? null})`);
}

export type AuditAction = 'create' | 'update' | 'delete' | 'archive' | 'restore';

/** One field changed by someone since a version: who, when, from → to. */
export interface ChangeSince {
  at: string;
  user_id: number | null;
  user: string | null;
  action: AuditAction;
  version: number | null;
  field: string;
  from: unknown;
  to: unknown;
}

/**
 * The changes made to a record after version `given`, oldest first, one entry per field: what a
 * stale edit (409) tells its author — «Анна Смирнова изменила: Сумма 1 000 000 → 1 200 000 ₽».
 * Each update adds one version and one audit row holding the version it made; rows from before the
 * column (version null) are taken by their place among the latest `current - given` rows.
 */
export async function changesSince(
  tx: Queryable,
  ws: number,
  entity: string,
  id: number,
  given: number,
  current: number,
): Promise<ChangeSince[]> {
  const n = Math.max(0, Math.min(current - given, 50));
  if (n === 0) return [];
  const rows = await tx.query<{
    at: Date;
    user_id: number | null;
    user: string | null;
    action: AuditAction;
    version: number | null;
    changes: Record<string, Change>;
  }>(sql`
    select a.at, a.user_id, u.name as "user", a.action, a.version, a.changes
      from audit_log a left join users u on u.workspace_id = a.workspace_id and u.id = a.user_id
     where a.workspace_id = ${ws} and a.entity = ${entity} and a.entity_id = ${id}
       and a.action in ('update', 'archive', 'restore')
       and (a.version is null or a.version > ${given})
     order by a.id desc limit ${n}`);
  return rows.reverse().flatMap((r) =>
    Object.entries(r.changes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([field, c]) => ({
        at: r.at.toISOString(),
        user_id: r.user_id === null ? null : Number(r.user_id),
        user: r.user,
        action: r.action,
        version: r.version,
        field,
        from: c.from ?? null,
        to: c.to ?? null,
      })),
  );
}
