/** Times every statement of one import: npx tsx bench/trace-import.ts BUNDLE_DIR [postgres|pglite] */
import pg from 'pg';
import { importBundle } from '../src/imports/bundle-import.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { openDb } from '../src/platform/db/open-db.ts';
import type { Db } from '../src/platform/db/types.ts';
import { timeStatements } from './support.ts';

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
const traced = timeStatements(
  db,
  (ms, text) => {
    if (ms > 250)
      console.log(
        Math.round(ms),
        'ms',
        `rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB, peak during ${Math.round(peakSince / 2 ** 20)} MiB`,
        text.replace(/\s+/g, ' ').slice(0, 110),
      );
  },
  () => {
    peakSince = 0;
  },
);
const t0 = Date.now();
const r = await importBundle(traced, process.argv[2], { workspace: 'B', now: new Date() });
console.log('total', Date.now() - t0, 'ms;', Math.round(r.stage_entries_added / ((Date.now() - t0) / 1000)), 'entries/s');
await db.close();
