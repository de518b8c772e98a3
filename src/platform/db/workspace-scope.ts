import type { Db, Queryable } from './types.ts';

/**
 * Every feature query runs inside a workspace-scoped transaction as the role
 * `voronka_app`, for which row-level security (migration 0008) shows and accepts
 * only the rows of `voronka.workspace_id`: a query that forgot its workspace
 * condition still cannot read or write another workspace.
 */
export function inWorkspace<T>(db: Db, workspaceId: number, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await scopeTo(tx, workspaceId);
    await tx.query('set local role voronka_app');
    return fn(tx);
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
