import type { Db, Queryable } from './types.ts';

/** The workspace scope and role: for the transaction (`local`) or kept by the connection. */
function scopeSql(workspaceId: number, local: boolean): string {
  if (!Number.isSafeInteger(workspaceId) || workspaceId <= 0) throw new Error(`bad workspace id ${workspaceId}`);
  return `select set_config('voronka.workspace_id', '${workspaceId}', ${local}), set_config('role', 'voronka_app', ${local})`;
}

/**
 * Every feature query runs inside a workspace-scoped transaction as the role
 * `voronka_app`, for which row-level security (migration 0008) shows and accepts
 * only the rows of `voronka.workspace_id`: a query that forgot its workspace
 * condition still cannot read or write another workspace.
 */
export function inWorkspace<T>(db: Db, workspaceId: number, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  // One round trip with BEGIN: the scope and `SET LOCAL ROLE` (set_config('role') is that).
  return db.transaction(fn, { setup: scopeSql(workspaceId, true), scoped: true });
}

/**
 * A read that is exactly one statement, scoped like `inWorkspace`: on a PostgreSQL server it
 * runs without BEGIN/COMMIT, on a connection that keeps the scope (`Db.single`: one round trip
 * instead of three); elsewhere it is `inWorkspace`.
 */
export function readInWorkspace<T>(db: Db, workspaceId: number, fn: (q: Queryable) => Promise<T>): Promise<T> {
  return db.single
    ? db.single({ set: scopeSql(workspaceId, false), reset: 'RESET ROLE; RESET voronka.workspace_id' }, fn)
    : inWorkspace(db, workspaceId, fn);
}

/**
 * Scopes an open transaction to a workspace (e.g. right after creating it) without
 * switching role: for the owner's own work — import, demo, backup — which needs
 * COPY and index builds.
 */
export async function scopeTo(tx: Queryable, workspaceId: number): Promise<void> {
  await tx.query(`select set_config('voronka.workspace_id', $1, true)`, [String(workspaceId)]);
}
