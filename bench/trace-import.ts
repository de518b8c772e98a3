/** Times every statement of one import: npx tsx bench/trace-import.ts BUNDLE_DIR [postgres|pglite] */
import pg from 'pg';
import { importBundle } from '../src/imports/bundle-import.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { openDb } from '../src/platform/db/open-db.ts';
import type { Db } from '../src/platform/db/types.ts';

const engine = process.argv[3] ?? 'postgres';
let db: Db;
if (engine === 'postgres') {
  const a = new pg.Client('postgres://postgres@127.0.0.1:5432/test');
  await a.connect();
  await a.query('drop database if exists vtrace with (force)');
  await a.query('create database vtrace');
  await a.end();
  db = await openDb({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/vtrace' });
} else {
  db = await openDb({ dataDir: '/tmp/vtrace-' + Date.now() });
}
await migrate(db);
let peakSince = 0;
setInterval(() => {
  peakSince = Math.max(peakSince, process.memoryUsage().rss);
}, 50).unref();
const orig = db.transaction.bind(db);
db.transaction = (fn: any) =>
  orig(async (tx: any) => {
    const wrap =
      (f: any) =>
      async (...a: any[]) => {
        const t = Date.now();
        peakSince = 0;
        const r = await f(...a);
        const ms = Date.now() - t;
        if (ms > 250)
          console.log(
            ms,
            'ms',
            `rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB, peak during ${Math.round(peakSince / 2 ** 20)} MiB`,
            String(typeof a[0] === 'string' ? a[0] : a[0].text)
              .replace(/\s+/g, ' ')
              .slice(0, 110),
          );
        return r;
      };
    return fn({
      query: wrap(tx.query.bind(tx)),
      run: wrap(tx.run.bind(tx)),
      exec: wrap(tx.exec.bind(tx)),
      copyFrom: wrap(tx.copyFrom.bind(tx)),
    });
  });
const t0 = Date.now();
const r = await importBundle(db, process.argv[2], { workspace: 'B', now: new Date() });
console.log('total', Date.now() - t0, 'ms;', Math.round(r.stage_entries_added / ((Date.now() - t0) / 1000)), 'entries/s');
await db.close();
