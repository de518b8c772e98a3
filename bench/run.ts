/**
 * `npm run bench`: generates deterministic deal histories in the canonical bundle
 * format, imports them, and times the funnel report — no filter; a segment
 * filter; a by-owner breakdown; an as-of half a year back — median of N runs, on
 * a PostgreSQL server and on PGlite. DuckDB computes the same figures from the
 * same CSV files as the hardware's reference. Results go to bench/results/ as
 * JSON and a table is printed.
 *
 * Then the web app in the real browser (bench/web.ts): first render of the
 * dashboard and of the board with 5,000 open deals, and the bundle size.
 *
 * Then load on the API (bench/load.ts): autocannon, 100 clients, PostgreSQL.
 *
 * Then backup and restore of the demo workspace with the CLI (bench/backup.ts).
 *
 * Then, when asked (`--suite reimport`), the cost of a small re-import (bench/reimport.ts).
 *
 *   npm run bench -- [--suite funnel,web,load,backup,reimport] [--deals-reimport 100000] [--load-seconds 60] [--engines postgres,pglite] [--deals-postgres 1000000] [--deals-pglite 100000] [--runs 5] [--no-duckdb]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type FunnelParams, resolveFunnelQuery } from '../src/analytics/funnel-query.ts';
import { funnelReport } from '../src/analytics/funnel-report.ts';
import { importBundle } from '../src/imports/bundle-import.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { openDb } from '../src/platform/db/open-db.ts';
import type { Db } from '../src/platform/db/types.ts';
import { inWorkspace } from '../src/platform/db/workspace-scope.ts';
import { benchBackup, printBackup } from './backup.ts';
import { DuckReference, type DuckVariant } from './duckdb-reference.ts';
import { generateBundle } from './generate-bundle.ts';
import { benchLoad, printLoad } from './load.ts';
import { benchReimport, printReimport } from './reimport.ts';
import { freshPgDatabase, median, printTable } from './support.ts';
import { benchWeb, printWeb } from './web.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const suites = arg('suite', 'funnel,web,load,backup').split(',');
const engines = suites.includes('funnel') ? arg('engines', 'postgres,pglite').split(',') : [];
const runs = Number(arg('runs', '5'));
const withDuck = !args.includes('--no-duckdb');
const NOW = new Date('2026-11-20T00:00:00Z');

const VARIANTS: { name: string; params: FunnelParams; duck: DuckVariant }[] = [
  {
    name: 'current',
    params: { from: '2026-08-01', to: '2026-11-01' },
    duck: { from: new Date('2026-07-31T21:00:00Z'), to: new Date('2026-10-31T21:00:00Z'), asOf: new Date('2026-10-31T21:00:00Z') },
  },
  {
    name: 'segment',
    params: { from: '2026-08-01', to: '2026-11-01', segment: 'SMB' },
    duck: {
      from: new Date('2026-07-31T21:00:00Z'),
      to: new Date('2026-10-31T21:00:00Z'),
      asOf: new Date('2026-10-31T21:00:00Z'),
      segment: 'SMB',
    },
  },
  {
    name: 'by_owner',
    params: { from: '2026-08-01', to: '2026-11-01', by: 'owner' },
    duck: {
      from: new Date('2026-07-31T21:00:00Z'),
      to: new Date('2026-10-31T21:00:00Z'),
      asOf: new Date('2026-10-31T21:00:00Z'),
      byOwner: true,
    },
  },
  {
    name: 'as_of_half_year_back',
    params: { from: '2026-02-01', to: '2026-05-01' },
    duck: { from: new Date('2026-01-31T21:00:00Z'), to: new Date('2026-04-30T21:00:00Z'), asOf: new Date('2026-04-30T21:00:00Z') },
  },
];

async function freshDb(engine: string): Promise<{ db: Db; cleanup: () => Promise<void> }> {
  if (engine === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'voronka-bench-'));
    const db = await openDb({ dataDir: dir });
    return { db, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const db = await openDb({ databaseUrl: await freshPgDatabase('voronka_bench') });
  return { db, cleanup: async () => {} };
}

interface EngineResult {
  engine: string;
  deals: number;
  stage_entries: number;
  import_seconds: number;
  import_entries_per_second: number;
  report_seconds: Record<string, number>;
  report_runs: Record<string, number[]>;
  duckdb_seconds?: Record<string, number>;
  duckdb_load_seconds?: number;
  ratio_to_duckdb?: Record<string, number>;
  figures_match_duckdb?: Record<string, boolean>;
  peak_rss_mib?: number;
}

async function benchEngine(engine: string): Promise<EngineResult> {
  const deals = Number(arg(`deals-${engine}`, engine === 'postgres' ? '1000000' : '100000'));
  process.stdout.write(`\n[${engine}] generating ${deals} deals…\n`);
  const gen = await generateBundle(join('bench', 'data', `b${deals}`), deals);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  const { db, cleanup } = await freshDb(engine);
  try {
    await migrate(db);
    process.stdout.write(`[${engine}] importing ${gen.entries} stage entries…\n`);
    const t0 = performance.now();
    const rep = await importBundle(db, gen.dir, { workspace: 'Bench', now: NOW, onProgress: (m) => process.stdout.write(`  ${m}\n`) });
    const importSeconds = (performance.now() - t0) / 1000;
    process.stdout.write(
      `[${engine}] imported in ${importSeconds.toFixed(1)} s (${Math.round(rep.stage_entries_added / importSeconds)} entries/s); peak RSS so far ${Math.round(peak / 2 ** 20)} MiB\n`,
    );
    if (engine === 'postgres') await db.exec('vacuum analyze');
    const [{ workspace_id: ws }] = await db.query<{ workspace_id: number }>(`select workspace_id from workspaces where name = 'Bench'`);
    const result: EngineResult = {
      engine,
      deals,
      stage_entries: rep.stage_entries_added,
      import_seconds: importSeconds,
      import_entries_per_second: rep.stage_entries_added / importSeconds,
      report_seconds: {},
      report_runs: {},
    };
    const voronkaFigures: Record<string, Record<string, unknown>> = {};
    for (const v of VARIANTS) {
      const times: number[] = [];
      for (let i = 0; i <= runs; i++) {
        const s = performance.now();
        const r = await inWorkspace(db, ws, async (tx) => funnelReport(tx, await resolveFunnelQuery(tx, ws, v.params, NOW)));
        const secs = (performance.now() - s) / 1000;
        if (i > 0) times.push(secs); // the first run warms caches
        voronkaFigures[v.name] = r as unknown as Record<string, unknown>;
      }
      result.report_runs[v.name] = times;
      result.report_seconds[v.name] = median(times);
      process.stdout.write(
        `[${engine}] ${v.name}: median ${median(times).toFixed(3)} s (${times.map((t) => t.toFixed(2)).join(', ')}); peak RSS so far ${Math.round(peak / 2 ** 20)} MiB\n`,
      );
    }
    clearInterval(sampler);
    result.peak_rss_mib = Math.round(peak / 2 ** 20);
    if (withDuck) {
      const { ref, loadSeconds } = await DuckReference.load(gen.dir);
      result.duckdb_load_seconds = loadSeconds;
      result.duckdb_seconds = {};
      result.ratio_to_duckdb = {};
      result.figures_match_duckdb = {};
      for (const v of VARIANTS) {
        const times: number[] = [];
        let figs = null as Awaited<ReturnType<DuckReference['figures']>>['figures'] | null;
        for (let i = 0; i <= runs; i++) {
          const r = await ref.figures(v.duck);
          if (i > 0) times.push(r.seconds);
          figs = r.figures;
        }
        result.duckdb_seconds[v.name] = median(times);
        result.ratio_to_duckdb[v.name] = result.report_seconds[v.name] / median(times);
        const mine = voronkaFigures[v.name];
        const total = (mine.total ?? mine) as Record<string, any>;
        const same =
          figs !== null &&
          total.deals_created === figs.deals_created &&
          total.deals_won === figs.deals_won &&
          total.deals_lost === figs.deals_lost &&
          Math.abs(total.won_amount - figs.won_amount) < 0.005 &&
          total.open_deals === figs.open_deals &&
          total.stuck_deals === figs.stuck_deals &&
          JSON.stringify(total.stage_conversion.map((c: { entered: number }) => c.entered)) === JSON.stringify(figs.entered) &&
          JSON.stringify(total.stage_conversion.map((c: { advanced: number }) => c.advanced)) === JSON.stringify(figs.advanced);
        result.figures_match_duckdb[v.name] = same;
        if (!same)
          process.stdout.write(
            `[${engine}] ${v.name}: figures differ from DuckDB\n  voronka ${JSON.stringify({ c: total.deals_created, w: total.deals_won, l: total.deals_lost, o: total.open_deals, s: total.stuck_deals })}\n  duckdb  ${JSON.stringify(figs)}\n`,
          );
        process.stdout.write(
          `[duckdb ] ${v.name}: median ${median(times).toFixed(3)} s; ratio Voronka/DuckDB ${(result.ratio_to_duckdb[v.name]).toFixed(2)}\n`,
        );
      }
    }
    return result;
  } finally {
    clearInterval(sampler);
    await db.close();
    await cleanup();
  }
}

const results: EngineResult[] = [];
for (const e of engines) results.push(await benchEngine(e));
const web = suites.includes('web') ? await benchWeb(runs) : null;
const load = suites.includes('load') ? await benchLoad(Number(arg('load-seconds', '60'))) : null;
const backup = suites.includes('backup') ? await benchBackup(runs) : null;
const reimport = suites.includes('reimport') ? await benchReimport(Number(arg('deals-reimport', '100000'))) : null;

mkdirSync(join('bench', 'results'), { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version, runs };
if (results.length > 0) {
  for (const r of results)
    writeFileSync(
      join('bench', 'results', `funnel-${r.engine}-${r.deals}.json`),
      `${JSON.stringify({ date: new Date().toISOString(), machine, ...r }, null, 2)}\n`,
    );
  writeFileSync(join('bench', 'results', `funnel-latest.json`), `${JSON.stringify({ date: stamp, machine, results }, null, 2)}\n`);

  const rows = [
    ['engine', 'deals', 'entries', 'import entries/s', ...VARIANTS.map((v) => `${v.name} s`), 'ratio current/DuckDB', 'peak RSS MiB'],
  ];
  for (const r of results) {
    rows.push([
      r.engine,
      String(r.deals),
      String(r.stage_entries),
      String(Math.round(r.import_entries_per_second)),
      ...VARIANTS.map((v) => r.report_seconds[v.name].toFixed(3)),
      r.ratio_to_duckdb ? r.ratio_to_duckdb.current.toFixed(2) : '—',
      String(r.peak_rss_mib ?? '—'),
    ]);
  }
  printTable(rows);
}
if (web) printWeb(web);
if (load) printLoad(load);
if (backup) printBackup(backup);
if (reimport) {
  printReimport(reimport);
  writeFileSync(
    join('bench', 'results', 'reimport.json'),
    `${JSON.stringify({ date: new Date().toISOString(), machine, ...reimport }, null, 2)}\n`,
  );
}
if (results.length > 0 || web) process.stdout.write(`\nfunnel and web: median of ${runs} runs after one warm-up\n`);
if (load) process.stdout.write(`load: one run of ${load.seconds} s per scenario, ${load.connections} connections (autocannon)\n`);
if (backup)
  process.stdout.write(`backup: wall time of the CLI process, median of ${runs} runs, each restore into a fresh empty database\n`);
process.stdout.write('results in bench/results/\n');
