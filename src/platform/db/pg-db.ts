import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import type { Sql } from 'sql-template-tag';
import {
  type Db,
  DbError,
  type DbSettings,
  isPrepared,
  logIfSlow,
  type Queryable,
  type Row,
  type SessionScope,
  type TransactionOptions,
  toText,
} from './types.ts';

// Both engines return the same JS types: int8 and numeric as numbers (amounts are
// minor units far below 2^53), timestamptz as Date, jsonb parsed.
const parsers = new Map<number, (v: string) => unknown>([
  [20, (v) => Number(v)],
  [1700, (v) => Number(v)],
  [
    1016,
    (v) =>
      (pg.types.getTypeParser as (oid: number) => (s: string) => (string | null)[])(1016)(v).map((x) => (x === null ? null : Number(x))),
  ],
]);
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    const p = parsers.get(oid);
    if (p) return p;
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloads are not expressible here
    return (pg.types.getTypeParser as any)(oid, format);
  },
};

function wrapError(e: unknown): never {
  const err = e as pg.DatabaseError;
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    throw new DbError(err.message, err.code, err.detail, err.constraint, err.column, err.table, err.where);
  }
  throw e;
}

/**
 * Names for the statements marked `prepared` (see types.ts), from their text. The set is capped
 * so that generated SQL of unbounded variety cannot grow every connection's statement cache for
 * ever: past the cap, texts run unnamed.
 */
const STATEMENT_CAP = 2_000;
const statementNames = new Map<string, string>();
function statementName(q: Sql | string, text: string): string | undefined {
  if (!isPrepared(q)) return undefined;
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < STATEMENT_CAP) {
    name = `v${createHash('sha1').update(text).digest('base64url')}`;
    statementNames.set(text, name);
  }
  return name;
}

class PgQueryable implements Queryable {
  readonly engine: 'postgres' | 'pglite' = 'postgres';
  /** `extended`: always the extended protocol, which takes exactly one statement (`single`). */
  constructor(
    private readonly client: pg.Pool | pg.PoolClient,
    private readonly slowMs: number,
    private readonly queryMode?: 'extended',
  ) {}
  private config(q: Sql | string, text: string, values: unknown[]): pg.QueryConfig {
    const c: pg.QueryConfig = { text, values, types, name: statementName(q, text) };
    // pg's own option (its type definitions do not list it yet)
    if (this.queryMode) Object.assign(c, { queryMode: this.queryMode });
    return c;
  }
  async query<R = Row>(q: Sql | string, values?: readonly unknown[]): Promise<R[]> {
    const { text, values: v } = toText(q, values);
    try {
      const res = await logIfSlow(this.slowMs, text, () => this.client.query(this.config(q, text, v)));
      return res.rows as R[];
    } catch (e) {
      wrapError(e);
    }
  }
  async run(q: Sql | string, values?: readonly unknown[]): Promise<number> {
    const { text, values: v } = toText(q, values);
    try {
      const res = await logIfSlow(this.slowMs, text, () => this.client.query(this.config(q, text, v)));
      return res.rowCount ?? 0;
    } catch (e) {
      wrapError(e);
    }
  }
  async exec(script: string): Promise<void> {
    try {
      await logIfSlow(this.slowMs, script, () => this.client.query(script));
    } catch (e) {
      wrapError(e);
    }
  }
  async copyFrom(copySql: string, path: string, end?: number): Promise<number> {
    if (!('release' in this.client)) throw new Error('COPY needs a transaction');
    const stream = (this.client as pg.PoolClient).query(copyFromStdin(copySql));
    try {
      await pipeline(createReadStream(path, end === undefined ? {} : { end }), stream);
    } catch (e) {
      wrapError(e);
    }
    return Number(stream.rowCount ?? 0);
  }
}

/** Lets exactly one statement through (see `Db.single`). */
class OneStatement implements Queryable {
  readonly engine = 'postgres' as const;
  private used = false;
  constructor(private readonly inner: PgQueryable) {}
  private take() {
    if (this.used) throw new Error('a one-statement read ran a second statement: use a transaction');
    this.used = true;
  }
  query<R = Row>(q: Sql | string, values?: readonly unknown[]): Promise<R[]> {
    this.take();
    return this.inner.query<R>(q, values);
  }
  run(q: Sql | string, values?: readonly unknown[]): Promise<number> {
    this.take();
    return this.inner.run(q, values);
  }
  exec(): Promise<void> {
    throw new Error('a one-statement read cannot run a script');
  }
  copyFrom(): Promise<number> {
    throw new Error('COPY needs a transaction');
  }
}

export class PgDb implements Db {
  readonly engine = 'postgres' as const;
  readonly location: string;
  private readonly pool: pg.Pool;
  /** The session scope each connection holds (none: the connecting role, no workspace). */
  private readonly sessions = new WeakMap<pg.PoolClient, SessionScope>();

  private readonly slowMs: number;
  private readonly connectionString: string;
  private readonly listening = new Set<{ stop(): Promise<void> }>();

  /** `poolSize`: connections (by default twice the cores, at least 4); `settings` as the configuration gives them. */
  constructor(connectionString: string, poolSize = defaultPoolSize(), settings: Omit<DbSettings, 'poolSize'> = {}) {
    const pool = new pg.Pool({
      connectionString,
      max: poolSize,
      application_name: 'voronka',
    });
    // A broken idle connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    this.pool = pool;
    this.location = redact(connectionString);
    this.connectionString = connectionString;
    this.slowMs = settings.slowQueryMs ?? 0;
    this.single = settings.sessionScopes === false ? undefined : (scope, fn) => this.withClient(scope, (c) => fn(new OneStatement(c)));
  }

  /**
   * A connection with the session scope `scope`, or — `undefined` — with none (the connecting
   * role, no workspace: owner's work, sign-in). `'any'` takes a connection as it is, for a
   * transaction that sets its own scope (local settings override the session's until COMMIT).
   */
  private async connect(scope: SessionScope | undefined | 'any'): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    if (scope === 'any') return client;
    const held = this.sessions.get(client);
    if (held?.set === scope?.set) return client;
    try {
      if (scope) await client.query(scope.set);
      else if (held) await client.query(held.reset);
    } catch (e) {
      client.release(e as Error); // its settings are unknown now: the pool drops it
      throw e;
    }
    if (scope) this.sessions.set(client, scope);
    else this.sessions.delete(client);
    return client;
  }

  private async withClient<T>(scope: SessionScope | undefined, fn: (q: PgQueryable) => Promise<T>): Promise<T> {
    const client = await this.connect(scope);
    try {
      // Outside a transaction a failed statement leaves the session as it was; a broken
      // connection the pool drops by itself. A scoped statement goes by the extended protocol,
      // which refuses a second statement in its text (it could change the session's settings).
      return await fn(new PgQueryable(client, this.slowMs, scope ? 'extended' : undefined));
    } finally {
      client.release();
    }
  }

  query<R = Row>(q: Sql | string, values?: readonly unknown[]): Promise<R[]> {
    return this.withClient(undefined, (c) => c.query<R>(q, values));
  }
  run(q: Sql | string, values?: readonly unknown[]): Promise<number> {
    return this.withClient(undefined, (c) => c.run(q, values));
  }
  exec(script: string): Promise<void> {
    return this.withClient(undefined, (c) => c.exec(script));
  }
  copyFrom(): Promise<number> {
    throw new Error('COPY needs a transaction');
  }

  /** Absent with session scopes off (behind a pooler in transaction mode, whose next statement may run on another server connection). */
  readonly single?: <T>(scope: SessionScope, fn: (q: Queryable) => Promise<T>) => Promise<T>;

  async transaction<T>(fn: (tx: Queryable) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    const client = await this.connect(opts?.scoped ? 'any' : undefined);
    try {
      await client.query(opts?.setup ? `BEGIN; ${opts.setup}` : 'BEGIN');
      const result = await fn(new PgQueryable(client, this.slowMs));
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (e) {
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      client.release(rolledBack ? undefined : (e as Error));
      throw e;
    }
  }

  /**
   * LISTEN on a connection of its own (a pooled one would be handed to other work). A lost
   * connection is replaced after a second, LISTENs again and calls `onReconnect`.
   */
  async listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>> {
    let client: pg.Client | null = null;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const open = async (): Promise<void> => {
      const c = new pg.Client({ connectionString: this.connectionString, application_name: 'voronka-listen' });
      c.on('notification', (m) => {
        if (m.channel === channel) onPayload(m.payload ?? '');
      });
      c.on('error', () => {
        if (stopped || client !== c) return;
        client = null;
        void c.end().catch(() => {});
        timer = setTimeout(retry, 1_000);
      });
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      client = c;
    };
    const retry = () => {
      if (stopped) return;
      open().then(
        () => onReconnect?.(),
        () => {
          timer = setTimeout(retry, 1_000);
        },
      );
    };
    await open();
    const handle = {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        this.listening.delete(handle);
        const c = client;
        client = null;
        await c?.end().catch(() => {});
      },
    };
    this.listening.add(handle);
    return handle.stop;
  }

  busy(): boolean {
    return false;
  }

  async close(): Promise<void> {
    await Promise.all([...this.listening].map((l) => l.stop()));
    await this.pool.end();
  }
}

/**
 * Twice the machine's cores, at least 4: more busy connections than cores only make the database's
 * processes take turns with the server and the client (docs/operations.md#load).
 */
export function defaultPoolSize(): number {
  return Math.max(4, 2 * availableParallelism());
}

export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}
