/**
 * Re-import cost (issue 14.3): a re-import must cost in proportion to what changed. A
 * workspace is imported alone into a PostgreSQL database, and a second of the same size
 * beside it; the same small change — 5 amounts and 10 new deals — is re-imported into each,
 * and then the unchanged bundle.
 * Every statement of the re-imports slower than 500 ms is listed.
 *
 *   npx tsx bench/reimport.ts [--deals 100000]        (also `npm run bench -- --suite reimport`)
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { importBundle } from '../src/imports/bundle-import.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { openDb } from '../src/platform/db/open-db.ts';
import type { Db } from '../src/platform/db/types.ts';
import { generateBundle } from './generate-bundle.ts';
import { dropPgDatabase, freshPgDatabase, printTable, timeStatements } from './support.ts';

const NOW = new Date('2026-11-20T00:00:00Z');

export interface ReimportResult {
  deals: number;
  fresh_import_seconds: { first: number; second: number };
  reimport_seconds: { first: number; second: number; unchanged_first: number; unchanged_second: number };
  slow_statements: { workspace: string; ms: number; sql: string }[];
}

type Row = Record<string, string>;

/** The bundle with 5 amounts changed and 10 new deals (copies of existing ones' histories). */
function changedBundle(dir: string): string {
  const out = mkdtempSync(join(tmpdir(), 'voronka-reimport-'));
  cpSync(dir, out, { recursive: true });
  const deals: Row[] = parse(readFileSync(join(dir, 'deals.csv'), 'utf8'), { columns: true, bom: true });
  const events: Row[] = parse(readFileSync(join(dir, 'stage_events.csv'), 'utf8'), { columns: true, bom: true });
  for (const d of deals.slice(100, 105)) d.amount = (Number(d.amount) + 1000).toFixed(2);
  const byDeal = new Map<string, Row[]>();
  for (const e of events) byDeal.set(e.deal_id, [...(byDeal.get(e.deal_id) ?? []), e]);
  for (let i = 0; i < 10; i++) {
    const src = deals[200 + i];
    deals.push({ ...src, deal_id: `NEW-${i}` });
    for (const e of byDeal.get(src.deal_id) ?? []) events.push({ ...e, deal_id: `NEW-${i}` });
  }
  writeFileSync(join(out, 'deals.csv'), stringify(deals, { header: true }));
  writeFileSync(join(out, 'stage_events.csv'), stringify(events, { header: true }));
  return out;
}

/** The statements of one import run that took over 500 ms. */
const traced = (db: Db, workspace: string, slow: ReimportResult['slow_statements']): Db =>
  timeStatements(db, (ms, text) => {
    if (ms > 500) slow.push({ workspace, ms: Math.round(ms), sql: text.replace(/\s+/g, ' ').slice(0, 160) });
  });

export async function benchReimport(deals: number): Promise<ReimportResult> {
  const gen = await generateBundle(join('bench', 'data', `b${deals}`), deals);
  const changed = changedBundle(gen.dir);
  const name = 'voronka_bench_reimport';
  const db = await openDb({ databaseUrl: await freshPgDatabase(name) });
  const slow: ReimportResult['slow_statements'] = [];
  try {
    await migrate(db);
    const time = async (f: () => Promise<unknown>) => {
      const t = performance.now();
      await f();
      return (performance.now() - t) / 1000;
    };
    // The first workspace alone in the database, then a second of the same size beside it: the
    // same small change re-imported into each, then the unchanged bundle into each.
    process.stdout.write(`[reimport] importing ${gen.entries} stage entries…\n`);
    const first = await time(() => importBundle(db, gen.dir, { workspace: 'Первое', now: NOW }));
    const r1 = await time(() => importBundle(traced(db, 'Первое', slow), changed, { workspace: 'Первое', now: NOW }));
    const u1 = await time(() => importBundle(db, changed, { workspace: 'Первое', now: NOW }));
    process.stdout.write(`[reimport] alone: import ${first.toFixed(1)} s, re-import ${r1.toFixed(1)} s; a second workspace…\n`);
    const second = await time(() => importBundle(db, gen.dir, { workspace: 'Второе', now: NOW }));
    const r2 = await time(() => importBundle(traced(db, 'Второе', slow), changed, { workspace: 'Второе', now: NOW }));
    const u2 = await time(() => importBundle(db, changed, { workspace: 'Второе', now: NOW }));
    return {
      deals,
      fresh_import_seconds: { first, second },
      reimport_seconds: { first: r1, second: r2, unchanged_first: u1, unchanged_second: u2 },
      slow_statements: slow,
    };
  } finally {
    await db.close();
    await dropPgDatabase(name);
  }
}

export function printReimport(r: ReimportResult): void {
  const s = (x: number) => x.toFixed(2);
  process.stdout.write(`\nRe-import of 5 changed amounts and 10 new deals, ${r.deals} deals per workspace (PostgreSQL)\n`);
  printTable([
    ['workspace', 'fresh import, s', 're-import with the change, s', 're-import of the same bundle, s', 'change / fresh'],
    [
      'alone in the database',
      s(r.fresh_import_seconds.first),
      s(r.reimport_seconds.first),
      s(r.reimport_seconds.unchanged_first),
      s(r.reimport_seconds.first / r.fresh_import_seconds.first),
    ],
    [
      'beside another of the same size',
      s(r.fresh_import_seconds.second),
      s(r.reimport_seconds.second),
      s(r.reimport_seconds.unchanged_second),
      s(r.reimport_seconds.second / r.fresh_import_seconds.second),
    ],
  ]);
  for (const x of r.slow_statements) process.stdout.write(`  slow (${x.workspace}): ${x.ms} ms  ${x.sql}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--deals');
  const r = await benchReimport(i > 0 ? Number(process.argv[i + 1]) : 100_000);
  printReimport(r);
  writeFileSync(join('bench', 'results', 'reimport.json'), `${JSON.stringify({ date: new Date().toISOString(), ...r }, null, 2)}\n`);
}
