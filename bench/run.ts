/**
 * `npm run bench`: generates deterministic deal histories in the canonical bundle
 * format, imports them, and times the funnel report — no filter; a segment
 * filter; a by-owner breakdown; an as-of half a year back — median of N runs, on
 * a PostgreSQL server and on PGlite. DuckDB computes every figure of the same
 * reports from the same CSV files as the hardware's reference, in two fair ways
 * (bench/duckdb-reference.ts): from the raw stage entries on each request, and from a
 * visits table built at load. The three are timed interleaved — in every round each
 * variant runs on Voronka, DuckDB raw and DuckDB visits in a rotating order, the first
 * round warming all three up — so each ratio compares medians of the same minutes on
 * this shared machine. Results go to bench/results/ as JSON and tables are printed.
 *
 * Then the web app in the real browser (bench/web.ts): first render of the
 * dashboard and of the board with 5,000 open deals, and the bundle size.
 *
 * Then load on the API (bench/load.ts): autocannon, 100 clients, PostgreSQL.
 *
 * Then backup and restore of the demo workspace with the CLI (bench/backup.ts).
 *
 * Then the `channels` report (bench/channels.ts): 1,000,000 leads, 3,000,000 touches and 200,000
 * deals on a PostgreSQL server, the report against one DuckDB statement over the same rows,
 * interleaved like the funnel's; results in bench/results/channels-postgres-<leads>.json.
 *
 * Then, when asked (`--suite reimport`), the cost of a small re-import (bench/reimport.ts).
 *
 *   npm run bench -- [--suite funnel,web,load,backup,channels,reimport] [--deals-reimport 100000] [--load-seconds 60] [--engines postgres,pglite] [--deals-postgres 1000000] [--deals-pglite 100000] [--leads 1000000] [--touches 3000000] [--deals 200000] [--runs 5] [--no-duckdb]
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
import { benchChannels, DEFAULT_SIZES, printChannelsBench } from './channels.ts';
import { compareFigures, DUCK_KINDS, type DuckKind, DuckReference, type DuckVariant } from './duckdb-reference.ts';
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
const suites = arg('suite', 'funnel,web,load,backup,channels').split(',');
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
  // VORONKA_BENCH_DB: another name, so that two benches on one server do not drop each other's database.
  const db = await openDb({ databaseUrl: await freshPgDatabase(process.env.VORONKA_BENCH_DB ?? 'voronka_bench') });
  return { db, cleanup: async () => {} };
}

interface EngineResult {
  engine: string;
  deals: number;
  stage_entries: number;
  import_seconds: number;
  import_entries_per_second: number;
  /** Voronka's report, median of the timed rounds (interleaved with DuckDB's when it runs). */
  report_seconds: Record<string, number>;
  report_runs: Record<string, number[]>;
  /** Peak resident size through the import and one report of each variant, before DuckDB is loaded. */
  peak_rss_mib?: number;
  /** How the times below were taken. */
  duckdb_method?: string;
  /** DuckDB's load from the CSV files: the raw tables (integer ids, stage positions), then the visits table from them. */
  duckdb_load_seconds?: { raw: number; visits: number };
  duckdb_raw_seconds?: Record<string, number>;
  duckdb_raw_runs?: Record<string, number[]>;
  duckdb_visits_seconds?: Record<string, number>;
  duckdb_visits_runs?: Record<string, number[]>;
  /** Voronka's median / DuckDB's median, same rounds: below 1 Voronka is faster, above 1 slower. */
  ratio_to_duckdb_raw?: Record<string, number>;
  ratio_to_duckdb_visits?: Record<string, number>;
  /** The figures compared per variant (92 per group: the total, and each owner with by=owner). */
  figures_compared?: Record<string, number>;
  figures_match_duckdb_raw?: Record<string, boolean>;
  figures_match_duckdb_visits?: Record<string, boolean>;
  /** The figures that differ, `path: voronka vs duckdb` (empty when all match). */
  figures_differ?: Record<string, { raw: string[]; visits: string[] }>;
}

type Contender = 'voronka' | DuckKind;
const CONTENDERS: Contender[] = ['voronka', ...DUCK_KINDS];
/** Round r, variant i: the contenders rotated by r + i, so none always runs first or after the same one. */
const rotation = (r: number, i: number) => CONTENDERS.map((_, k) => CONTENDERS[(k + r + i) % CONTENDERS.length]);

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
    const report = (v: (typeof VARIANTS)[number]) =>
      inWorkspace(db, ws, async (tx) => funnelReport(tx, await resolveFunnelQuery(tx, ws, v.params, NOW)));
    // One report of each variant on Voronka alone: its peak memory, before DuckDB shares the process.
    for (const v of VARIANTS) await report(v);
    clearInterval(sampler);
    result.peak_rss_mib = Math.round(peak / 2 ** 20);
    process.stdout.write(`[${engine}] peak RSS through import and one report of each variant ${result.peak_rss_mib} MiB\n`);

    let duck: DuckReference | null = null;
    if (withDuck) {
      const { ref, loadSeconds } = await DuckReference.load(gen.dir);
      duck = ref;
      result.duckdb_load_seconds = loadSeconds;
      result.duckdb_method =
        'in-process DuckDB (@duckdb/node-api, default threads), same CSV files; every round runs each variant on Voronka, DuckDB raw and DuckDB visits in a rotating order; round 0 warms up and is not counted; medians of the other rounds';
      process.stdout.write(
        `[duckdb ] loaded: raw tables ${loadSeconds.raw.toFixed(2)} s, visits table from them ${loadSeconds.visits.toFixed(2)} s\n`,
      );
    }
    const runsOf: Record<Contender, Record<string, number[]>> = { voronka: {}, raw: {}, visits: {} };
    const contenders = duck ? CONTENDERS : (['voronka'] as Contender[]);
    for (const v of VARIANTS) for (const c of contenders) runsOf[c][v.name] = [];
    const firstFigures: Record<string, Partial<Record<Contender, unknown>>> = {};
    for (let round = 0; round <= runs; round++) {
      for (const [i, v] of VARIANTS.entries()) {
        for (const c of rotation(round, i)) {
          if (!contenders.includes(c)) continue;
          let secs: number;
          let figures: unknown;
          if (c === 'voronka') {
            const s = performance.now();
            figures = await report(v);
            secs = (performance.now() - s) / 1000;
          } else {
            const r = await (duck as DuckReference).figures(c, v.duck);
            secs = r.seconds;
            figures = r.figures;
          }
          if (round > 0) runsOf[c][v.name].push(secs);
          else firstFigures[v.name] = { ...firstFigures[v.name], [c]: figures };
        }
      }
      if (round > 0)
        process.stdout.write(
          `[${engine}] round ${round}/${runs}: ${VARIANTS.map((v) => `${v.name} ${contenders.map((c) => `${c} ${runsOf[c][v.name][round - 1].toFixed(3)}`).join(' ')}`).join('; ')}\n`,
        );
    }
    for (const v of VARIANTS) {
      result.report_runs[v.name] = runsOf.voronka[v.name];
      result.report_seconds[v.name] = median(runsOf.voronka[v.name]);
    }
    if (duck) {
      result.duckdb_raw_runs = runsOf.raw;
      result.duckdb_visits_runs = runsOf.visits;
      result.duckdb_raw_seconds = {};
      result.duckdb_visits_seconds = {};
      result.ratio_to_duckdb_raw = {};
      result.ratio_to_duckdb_visits = {};
      result.figures_compared = {};
      result.figures_match_duckdb_raw = {};
      result.figures_match_duckdb_visits = {};
      result.figures_differ = {};
      for (const v of VARIANTS) {
        const mine = firstFigures[v.name].voronka;
        const raw = compareFigures(mine, firstFigures[v.name].raw as Parameters<typeof compareFigures>[1]);
        const visits = compareFigures(mine, firstFigures[v.name].visits as Parameters<typeof compareFigures>[1]);
        result.figures_compared[v.name] = raw.compared;
        result.figures_match_duckdb_raw[v.name] = raw.differ.length === 0;
        result.figures_match_duckdb_visits[v.name] = visits.differ.length === 0;
        result.figures_differ[v.name] = { raw: raw.differ, visits: visits.differ };
        for (const [kind, c] of [['raw', raw] as const, ['visits', visits] as const])
          if (c.differ.length > 0)
            process.stdout.write(
              `[${engine}] ${v.name}: ${c.differ.length} of ${c.compared} figures differ from DuckDB ${kind}:\n${c.differ
                .slice(0, 20)
                .map((d) => `  ${d}\n`)
                .join('')}`,
            );
        result.duckdb_raw_seconds[v.name] = median(runsOf.raw[v.name]);
        result.duckdb_visits_seconds[v.name] = median(runsOf.visits[v.name]);
        result.ratio_to_duckdb_raw[v.name] = result.report_seconds[v.name] / result.duckdb_raw_seconds[v.name];
        result.ratio_to_duckdb_visits[v.name] = result.report_seconds[v.name] / result.duckdb_visits_seconds[v.name];
      }
    }
    for (const v of VARIANTS)
      process.stdout.write(
        `[${engine}] ${v.name}: Voronka median ${result.report_seconds[v.name].toFixed(3)} s (${result.report_runs[v.name].map((t) => t.toFixed(2)).join(', ')})${
          duck
            ? `; DuckDB raw ${result.duckdb_raw_seconds?.[v.name].toFixed(3)} s, visits ${result.duckdb_visits_seconds?.[v.name].toFixed(3)} s`
            : ''
        }\n`,
      );
    duck?.close();
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
const channels = suites.includes('channels')
  ? await benchChannels({
      sizes: {
        leads: Number(arg('leads', String(DEFAULT_SIZES.leads))),
        touches: Number(arg('touches', String(DEFAULT_SIZES.touches))),
        deals: Number(arg('deals', String(DEFAULT_SIZES.deals))),
      },
      runs,
      withDuck,
      now: NOW,
      // Its own database, so that it never drops the funnel suite's.
      dbName: `${process.env.VORONKA_BENCH_DB ?? 'voronka_bench'}_channels`,
    })
  : null;
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

  const rows = [['engine', 'deals', 'entries', 'import entries/s', ...VARIANTS.map((v) => `${v.name} s`), 'peak RSS MiB']];
  for (const r of results) {
    rows.push([
      r.engine,
      String(r.deals),
      String(r.stage_entries),
      String(Math.round(r.import_entries_per_second)),
      ...VARIANTS.map((v) => r.report_seconds[v.name].toFixed(3)),
      String(r.peak_rss_mib ?? '—'),
    ]);
  }
  printTable(rows);
  for (const r of results) {
    if (!r.ratio_to_duckdb_raw || !r.ratio_to_duckdb_visits) continue;
    const duckRows = [
      [
        `${r.engine}, ${r.deals} deals`,
        'Voronka s',
        'DuckDB raw s',
        'DuckDB visits s',
        'Voronka / DuckDB raw',
        'Voronka / DuckDB visits',
        'figures equal (raw, visits)',
      ],
    ];
    for (const v of VARIANTS) {
      const n = r.figures_compared?.[v.name] ?? 0;
      const ok = (m?: Record<string, boolean>) => (m?.[v.name] ? `${n}/${n}` : 'DIFFER');
      duckRows.push([
        v.name,
        r.report_seconds[v.name].toFixed(3),
        (r.duckdb_raw_seconds?.[v.name] ?? Number.NaN).toFixed(3),
        (r.duckdb_visits_seconds?.[v.name] ?? Number.NaN).toFixed(3),
        r.ratio_to_duckdb_raw[v.name].toFixed(2),
        r.ratio_to_duckdb_visits[v.name].toFixed(2),
        `${ok(r.figures_match_duckdb_raw)}, ${ok(r.figures_match_duckdb_visits)}`,
      ]);
    }
    printTable(duckRows);
    process.stdout.write(
      `ratio = Voronka's median / DuckDB's median over the same interleaved rounds: below 1 Voronka is faster, above 1 DuckDB is. DuckDB load: raw ${r.duckdb_load_seconds?.raw.toFixed(2)} s + visits ${r.duckdb_load_seconds?.visits.toFixed(2)} s\n`,
    );
  }
}
if (web) printWeb(web);
if (load) printLoad(load);
if (backup) printBackup(backup);
if (channels) {
  printChannelsBench(channels);
  writeFileSync(
    join('bench', 'results', `channels-postgres-${channels.sizes.leads}.json`),
    `${JSON.stringify({ date: new Date().toISOString(), machine, ...channels }, null, 2)}\n`,
  );
}
if (reimport) {
  printReimport(reimport);
  writeFileSync(
    join('bench', 'results', 'reimport.json'),
    `${JSON.stringify({ date: new Date().toISOString(), machine, ...reimport }, null, 2)}\n`,
  );
}
if (results.length > 0 || web || channels) process.stdout.write(`\nfunnel, web and channels: median of ${runs} runs after one warm-up\n`);
if (load) process.stdout.write(`load: one run of ${load.seconds} s per scenario, ${load.connections} connections (autocannon)\n`);
if (backup)
  process.stdout.write(`backup: wall time of the CLI process, median of ${runs} runs, each restore into a fresh empty database\n`);
process.stdout.write('results in bench/results/\n');
