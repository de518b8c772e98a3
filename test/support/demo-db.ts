import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { DEMO_TZ } from '../../src/demo/demo-plan.ts';
import { type DemoResult, loadDemo } from '../../src/demo/load-demo.ts';
import { PgDb } from '../../src/platform/db/pg-db.ts';
import type { PgliteDb } from '../../src/platform/db/pglite-db.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { ADMIN_URL, ENGINE, openTestDb, serverDbName, serverDbUrl } from './test-db.ts';

/**
 * The demo workspace costs 8–40 s to load (more on a busy machine), and many files load the same
 * one. The first file to ask for a demo loads it and leaves a copy in its project's scratch
 * folder (PGlite: a tar of the data folder) or on the server (a template database); the next
 * files of the run that ask for the same one (seed, as of, now) get a private copy of it in about
 * 2 s — a database of their own, as independent as one they loaded themselves. A file that asks
 * while another is loading it waits for that one instead of loading it a second time.
 */
interface Cached {
  /** PGlite: the tar; PostgreSQL: the template database. */
  template: string;
  asOf: string;
  demo: DemoResult;
}

/** A private database with the demo workspace as `loadDemo(db, opts)` leaves it, and loadDemo's answer. */
export function openDemoDb(opts: { seed: number; asOf: Date; now: Date }): Promise<{ db: Db; demo: DemoResult }> {
  return openCached(`${opts.seed} ${opts.asOf.toISOString()} ${opts.now.toISOString()}`, opts);
}

/** The calendar day of an instant where a test may look at it: Moscow (the demo's zone), UTC and this machine's zone. */
const days = (at: Date) => [DEMO_TZ, 'UTC', undefined].map((timeZone) => at.toLocaleDateString('en-CA', { timeZone })).join(' ');

/**
 * Today's demo (seed 1), for the browser tests: as `loadDemo(db, { seed: 1, asOf: now, now })`,
 * except that a file after the first of the day gets the first one's demo, whose history ends
 * when that file loaded it — minutes before `now` — instead of at `now`. The server's clock still
 * says `now`, as the browser's does, and a copy is shared only between files that start on the
 * same calendar day in Moscow, in UTC and in this machine's zone, so every "today", "yesterday"
 * and "this week" reads as in a demo loaded at `now`.
 */
export function openTodaysDemo(now: Date): Promise<{ db: Db; demo: DemoResult }> {
  return openCached(`1 today ${days(now)}`, { seed: 1, asOf: now, now });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function openCached(key: string, opts: { seed: number; asOf: Date; now: Date }): Promise<{ db: Db; demo: DemoResult }> {
  const scratch = inject('scratchDir');
  if (!scratch) {
    const db = await openTestDb();
    return { db, demo: await loadDemo(db, opts) };
  }
  const hash = createHash('sha256').update(`${ENGINE} ${key}`).digest('hex').slice(0, 10);
  const metaFile = join(scratch, `demo-${hash}.json`);
  const lockFile = join(scratch, `demo-${hash}.lock`);
  for (;;) {
    if (existsSync(metaFile)) {
      const cached = JSON.parse(readFileSync(metaFile, 'utf8')) as Cached;
      return { db: await openTestDb(cached.template), demo: cached.demo };
    }
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    } catch {
      // Another file is loading this demo: wait for it, unless its process died.
      let holder = 0;
      try {
        holder = Number(readFileSync(lockFile, 'utf8'));
      } catch {
        continue; // it has just finished
      }
      if (holder > 0 && !alive(holder)) rmSync(lockFile, { force: true });
      else await sleep(250);
      continue;
    }
    try {
      const made = await loadCopy(hash, opts);
      writeFileSync(`${metaFile}.part`, JSON.stringify({ ...made.cached, asOf: opts.asOf.toISOString() }));
      renameSync(`${metaFile}.part`, metaFile);
      return { db: made.db, demo: made.cached.demo };
    } finally {
      rmSync(lockFile, { force: true });
    }
  }
}

/** Loads the demo once for the cache: the caller's database, and the template the next files copy. */
async function loadCopy(hash: string, opts: { seed: number; asOf: Date; now: Date }): Promise<{ db: Db; cached: Omit<Cached, 'asOf'> }> {
  if (ENGINE === 'pglite') {
    const db = await openTestDb();
    const demo = await loadDemo(db, opts);
    const tar = join(inject('scratchDir'), `demo-${hash}.tar`);
    await (db as PgliteDb).dump(`${tar}.part`);
    renameSync(`${tar}.part`, tar);
    return { db, cached: { template: tar, demo } };
  }
  // A server database copied while anyone is connected to it fails: the demo is loaded into a
  // database that then only serves as the template (dropped with the run's others), and the caller
  // gets a copy like everyone else.
  const template = serverDbName(`demo_${hash}`);
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${template} with (force)`);
    await admin.query(`create database ${template} template ${inject('pgTemplate')}`);
  } finally {
    await admin.end();
  }
  const loader = new PgDb(serverDbUrl(template), 4);
  let demo: DemoResult;
  try {
    demo = await loadDemo(loader, opts);
  } finally {
    await loader.close();
  }
  return { db: await openTestDb(template), cached: { template, demo } };
}
