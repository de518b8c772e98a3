import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Mutex } from 'async-mutex';
import type { Sql } from 'sql-template-tag';
import { type Db, DbError, type Queryable, type Row, type TransactionOptions, toText } from './types.ts';

interface Reply {
  id: number;
  ok: boolean;
  rows?: unknown[];
  affected?: number;
  bytes?: Uint8Array;
  error?: {
    message: string;
    code?: string;
    detail?: string;
    constraint?: string;
    column?: string;
    table?: string;
    where?: string;
  };
}

/**
 * The embedded engine: PGlite in a worker thread. PGlite has one session, so a
 * transaction holds the mutex for its whole length and other callers wait.
 */
export class PgliteDb implements Db {
  readonly engine = 'pglite' as const;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private readonly mutex = new Mutex();
  private closed = false;
  private readonly direct: Queryable;

  private constructor(
    private readonly worker: Worker,
    readonly location: string,
  ) {
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      p.resolve(r);
    });
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', (code) => this.failAll(new Error(`PGlite worker exited with code ${code}`)));
    this.direct = {
      engine: 'pglite',
      query: (q, v) => this.rawQuery(q, v).then((r) => r.rows as never),
      run: (q, v) => this.rawQuery(q, v).then((r) => r.affected ?? 0),
      exec: (text) => this.call({ op: 'exec', text }).then(() => undefined),
      copyFrom: (text, path, end) => this.call({ op: 'copy', text, path, end }).then((r) => r.affected ?? 0),
    };
  }

  /** `dataDir` undefined means in memory; `loadFrom` is a tar dump to start from. */
  static async open(dataDir: string | undefined, loadFrom?: string): Promise<PgliteDb> {
    // Creating a database runs initdb in the worker, whose WebAssembly memory stays with the
    // worker for good (measured: 830 MiB resident after creating a folder, 320 MiB after opening
    // one). So a new folder is created by a worker of its own, which then ends, and opened anew.
    if (dataDir !== undefined && !loadFrom && !existsSync(join(dataDir, 'PG_VERSION'))) await (await PgliteDb.start(dataDir)).close();
    return PgliteDb.start(dataDir, loadFrom);
  }

  private static async start(dataDir: string | undefined, loadFrom?: string): Promise<PgliteDb> {
    const worker = new Worker(new URL('./pglite-worker.js', import.meta.url), {
      workerData: { dataDir, loadFrom },
    });
    const first = await new Promise<Reply>((resolve, reject) => {
      const onMsg = (r: Reply) => {
        if (r.id === 0) {
          worker.off('message', onMsg);
          resolve(r);
        }
      };
      worker.on('message', onMsg);
      worker.once('error', reject);
    });
    if (!first.ok) {
      await worker.terminate();
      throw new DbError(`cannot open the embedded database: ${first.error?.message}`, first.error?.code);
    }
    return new PgliteDb(worker, dataDir ?? 'memory');
  }

  private failAll(e: Error) {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private call(msg: Record<string, unknown>): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('the embedded database is closed'));
    const id = ++this.seq;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id });
    }).then((r) => {
      if (!r.ok) {
        const e = r.error ?? { message: 'unknown error' };
        throw new DbError(e.message, e.code, e.detail, e.constraint, e.column, e.table, e.where);
      }
      return r;
    });
  }

  private rawQuery(q: Sql | string, values?: readonly unknown[]) {
    const { text, values: v } = toText(q, values);
    return this.call({ op: 'query', text, values: v });
  }

  query<R = Row>(q: Sql | string, values?: readonly unknown[]): Promise<R[]> {
    return this.mutex.runExclusive(() => this.direct.query<R>(q, values));
  }

  run(q: Sql | string, values?: readonly unknown[]): Promise<number> {
    return this.mutex.runExclusive(() => this.direct.run(q, values));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    return this.mutex.runExclusive(async () => {
      await this.call({ op: 'exec', text: opts?.setup ? `BEGIN; ${opts.setup}` : 'BEGIN' });
      try {
        const result = await fn(this.direct);
        await this.call({ op: 'exec', text: 'COMMIT' });
        return result;
      } catch (e) {
        await this.call({ op: 'exec', text: 'ROLLBACK' }).catch(() => {});
        throw e;
      }
    });
  }

  exec(script: string): Promise<void> {
    return this.mutex.runExclusive(() => this.direct.exec(script));
  }

  copyFrom(copySql: string, path: string, end?: number): Promise<number> {
    return this.mutex.runExclusive(() => this.direct.copyFrom(copySql, path, end));
  }

  /** Runs `COPY … TO '/dev/blob'` and returns what it wrote (backups read tables in chunks this way). */
  copyTo(copySql: string): Promise<Uint8Array> {
    return this.mutex.runExclusive(async () => (await this.call({ op: 'copyTo', text: copySql })).bytes ?? new Uint8Array(0));
  }

  /** Writes the whole data directory as an uncompressed tar (test templates, backups). */
  dump(path: string): Promise<void> {
    return this.mutex.runExclusive(async () => {
      await this.call({ op: 'dump', path });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.mutex.runExclusive(async () => {
      await this.call({ op: 'close' }).catch(() => {});
    });
    this.closed = true;
    await this.worker.terminate();
  }
}
