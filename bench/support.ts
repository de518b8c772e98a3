/** Pieces every bench suite shares: the server to use, fresh databases on it, medians, tables. */
import pg from 'pg';
import type { Db, Queryable, TransactionOptions } from '../src/platform/db/types.ts';

export const PG_ADMIN = process.env.VORONKA_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function admin(fn: (c: pg.Client) => Promise<void>): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    await fn(c);
  } finally {
    await c.end();
  }
}

/** Drops `name` on the bench server; used to leave nothing behind. */
export function dropPgDatabase(name: string): Promise<void> {
  return admin((c) => c.query(`drop database if exists ${name} with (force)`).then(() => undefined));
}

/** An empty database `name` on the bench server (dropped first if it exists); returns its URL. */
export async function freshPgDatabase(name: string): Promise<string> {
  await admin(async (c) => {
    await c.query(`drop database if exists ${name} with (force)`);
    await c.query(`create database ${name}`);
  });
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  return url.toString();
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Prints rows (the first is the header) as a Markdown table with aligned columns. */
export function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  process.stdout.write(`\n${rows.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`).join('\n')}\n`);
}

/**
 * The database with every statement of its transactions timed: `done` hears each statement's
 * milliseconds and text, `before` runs as each starts. Only `transaction` is kept (what an
 * import uses).
 */
export function timeStatements(db: Db, done: (ms: number, text: string) => void, before?: () => void): Db {
  const wrap =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      before?.();
      const t = performance.now();
      const r = await f(...a);
      const first = a[0] as string | { text?: string };
      done(performance.now() - t, typeof first === 'string' ? first : String(first.text ?? ''));
      return r;
    };
  return {
    engine: db.engine,
    transaction: (fn: (tx: Queryable) => Promise<unknown>, opts?: TransactionOptions) =>
      db.transaction(
        (tx) =>
          fn({
            engine: tx.engine,
            query: wrap(tx.query.bind(tx)),
            run: wrap(tx.run.bind(tx)),
            exec: wrap(tx.exec.bind(tx)),
            copyFrom: wrap(tx.copyFrom.bind(tx)),
          } as Queryable),
        opts,
      ),
  } as unknown as Db;
}
