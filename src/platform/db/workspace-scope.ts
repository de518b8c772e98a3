import type { Db, Queryable } from './types.ts';

/**
 * Every feature query runs inside a workspace-scoped transaction as the role
 * `voronka_app`, for which row-level security (migration 0008) shows and accepts
 * only the rows of `voronka.workspace_id`: a query that forgot its workspace
 * condition still cannot read or write another workspace.
 */
export function inWorkspace<T>(db: Db, workspaceId: number, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  if (!Number.isSafeInteger(workspaceId) || workspaceId <= 0) throw new Error(`inWorkspace: bad workspace id ${workspaceId}`);
  // One round trip with BEGIN: the scope and `SET LOCAL ROLE` (set_config('role') is that).
  return db.transaction(fn, {
    setup: `select set_config('voronka.workspace_id', '${workspaceId}', true), set_config('role', 'voronka_app', true)`,
  });
}

/**
 * Scopes an open transaction to a workspace (e.g. right after creating it) without
 * switching role: for the owner's own work — import, demo, backup — which needs
 * COPY and index builds.
 */
export async function scopeTo(tx: Queryable, workspaceId: number): Promise<void> {
  await tx.query(`select set_config('voronka.workspace_id', $1, true)`, [String(workspaceId)]);
}
