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
    action: 'create' | 'update' | 'delete';
    at: Date;
    changes?: Record<string, Change>;
  },
): Promise<void> {
  await tx.query(sql`
    insert into audit_log (workspace_id, at, user_id, entity, entity_id, action, changes)
    values (${entry.workspaceId}, ${entry.at}, ${entry.userId}, ${entry.entity}, ${entry.entityId}, ${entry.action},
            ${JSON.stringify(entry.changes ?? {})})`);
}
