import type { Sql } from 'sql-template-tag';

export type Row = Record<string, unknown>;

export type Engine = 'pglite' | 'postgres';

/** Something that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  /** Which engine runs it (memory settings differ: PGlite's memory never shrinks). */
  readonly engine: Engine;
  /** Runs one statement; values are always bound as parameters. */
  query<R = Row>(q: Sql | string, values?: readonly unknown[]): Promise<R[]>;
  /** Like `query`, returning the number of rows the statement touched. */
  run(q: Sql | string, values?: readonly unknown[]): Promise<number>;
  /** Runs a script of several statements (migrations). No parameters. */
  exec(script: string): Promise<void>;
  /**
   * Streams a file into `COPY … FROM STDIN` (bulk import); `end` is the last byte
   * to send (inclusive), to leave out trailing blank lines.
   */
  copyFrom(copySql: string, path: string, end?: number): Promise<number>;
}

export interface TransactionOptions {
  /**
   * Statements (no parameters) sent together with BEGIN in one round trip, e.g. the
   * workspace scope of a request: the fewer round trips per request, the more requests
   * a connection serves.
   */
  setup?: string;
  /**
   * `setup` sets the whole workspace scope and role (`inWorkspace`): the transaction may then take
   * a connection that holds another one as session settings (`single`), since its local settings
   * override them until it ends. Without it, a connection is first reset to the connecting role.
   */
  scoped?: boolean;
}

/**
 * Session settings a connection keeps between uses (the workspace scope and role of reads that
 * are one statement): `set` puts them in place, `reset` takes them away again.
 */
export interface SessionScope {
  set: string;
  reset: string;
}

/** How a process talks to its database (the configuration reads them: `dbSettingsFromEnv`). */
export interface DbSettings {
  /** Connections per process to a PostgreSQL server; by default twice the cores, at least 4. */
  poolSize?: number;
  /** One-statement reads keep the workspace scope on their connection (`Db.single`); default on. */
  sessionScopes?: boolean;
  /** Writes every statement that took this many ms or more to stderr (0 or absent: none). */
  slowQueryMs?: number;
}

export interface Db extends Queryable {
  /** A human-readable location: the data folder or the server URL without password. */
  readonly location: string;
  /**
   * True while the database cannot take another statement at once: PGlite's one session is
   * held by a transaction (a report, say). A server with a pool is never busy in this sense.
   */
  busy(): boolean;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * Never nest: pass the `tx` down instead.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * Runs exactly one statement (a second one throws) outside an explicit transaction, under the
   * session settings `scope`, which each connection keeps until another use needs others. A read
   * of one statement then takes one round trip instead of three (BEGIN with the scope, the
   * statement, COMMIT), and one statement sees one snapshot, as in a transaction. Only a server
   * has it; elsewhere callers use `transaction`.
   */
  single?<T>(scope: SessionScope, fn: (q: Queryable) => Promise<T>): Promise<T>;
  /**
   * Background upkeep for long-running processes where the engine has none of its own: the
   * embedded engine refreshes planner statistics and reclaims dead rows (a server's autovacuum
   * does that itself, so it has no such method).
   */
  startMaintenance?(opts?: { everyMs?: number; idleMs?: number; onRun?: (info: { ms: number; rowsWritten: number }) => void }): void;
  /**
   * LISTEN on `channel` (an identifier): `onPayload` gets each NOTIFY's payload once its
   * transaction has committed (a rolled-back one sends nothing). A server listens on one
   * connection of its own, outside the pool, and reconnects after losing it — then calls
   * `onReconnect`, since what was notified meanwhile is lost. Resolves once listening; the
   * returned function stops.
   */
  listen?(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A database error normalised across engines (SQLSTATE in `code`). */
export class DbError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly detail?: string,
    readonly constraint?: string,
    readonly column?: string,
    readonly table?: string,
    /** Where in a COPY or function the error happened, e.g. "COPY t, line 5000". */
    readonly where?: string,
  ) {
    super(message);
    this.name = 'DbError';
  }
}

const preparedQueries = new WeakSet<Sql>();

/**
 * Marks a short lookup whose plan does not depend on its values (a record by id, a card's
 * timeline, a page of a list) to run as a named, server-side prepared statement on PostgreSQL:
 * parsed and planned once per connection instead of on every request. Analytical queries are
 * not marked: they are planned for their actual values every time, where a generic plan could be
 * far worse. PGlite runs marked queries as any other.
 */
export function prepared<T extends Sql>(q: T): T {
  preparedQueries.add(q);
  return q;
}

export function isPrepared(q: Sql | string): boolean {
  return typeof q !== 'string' && preparedQueries.has(q);
}

export function toText(q: Sql | string, values?: readonly unknown[]): { text: string; values: unknown[] } {
  if (typeof q === 'string') return { text: q, values: values ? [...values] : [] };
  return { text: q.text, values: q.values };
}

/**
 * Runs a statement, writing it to stderr as a JSON line when it took `slowMs` or more (0: never):
 * duration and text, values left out (they can be personal data).
 */
export function logIfSlow<T>(slowMs: number, text: string, run: () => Promise<T>): Promise<T> {
  if (!slowMs) return run();
  const t0 = performance.now();
  const done = () => {
    const ms = performance.now() - t0;
    if (ms >= slowMs)
      process.stderr.write(
        `${JSON.stringify({ level: 40, time: Date.now(), msg: 'slow query', ms: Math.round(ms), sql: text.replace(/\s+/g, ' ').trim().slice(0, 2000) })}\n`,
      );
  };
  return run().finally(done);
}
