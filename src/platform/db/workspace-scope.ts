import type { Db, Queryable, SessionScope } from './types.ts';

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
    scoped: true,
  });
}

const sessionScopes = new Map<number, SessionScope>();
/** The same scope as `inWorkspace`'s, kept by a connection between uses (`Db.single`). */
function sessionScope(workspaceId: number): SessionScope {
  let s = sessionScopes.get(workspaceId);
  if (!s) {
    s = {
      set: `select set_config('voronka.workspace_id', '${workspaceId}', false), set_config('role', 'voronka_app', false)`,
      reset: 'RESET ROLE; RESET voronka.workspace_id',
    };
    if (sessionScopes.size < 10_000) sessionScopes.set(workspaceId, s);
  }
  return s;
}

/**
 * A read that is exactly one statement, scoped like `inWorkspace`: on a PostgreSQL server it
 * runs without BEGIN/COMMIT, on a connection that keeps the scope (one round trip instead of
 * three); elsewhere it is `inWorkspace`.
 */
export function readInWorkspace<T>(db: Db, workspaceId: number, fn: (q: Queryable) => Promise<T>): Promise<T> {
  if (!Number.isSafeInteger(workspaceId) || workspaceId <= 0) throw new Error(`readInWorkspace: bad workspace id ${workspaceId}`);
  return db.single ? db.single(sessionScope(workspaceId), fn) : inWorkspace(db, workspaceId, fn);
}

/**
 * Scopes an open transaction to a workspace (e.g. right after creating it) without
 * switching role: for the owner's own work — import, demo, backup — which needs
 * COPY and index builds.
 */
export async function scopeTo(tx: Queryable, workspaceId: number): Promise<void> {
  await tx.query(`select set_config('voronka.workspace_id', $1, true)`, [String(workspaceId)]);
}
