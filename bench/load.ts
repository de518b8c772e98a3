/**
 * Load on the API: autocannon against 127.0.0.1, 100 concurrent clients, on the
 * demo workspace served from a PostgreSQL server (the server as its own process,
 * as in production). Read routes alone — lists, the deal card, the funnel report
 * (cached) — then the mix with 10 % writes. Reports requests per second, p50/p99
 * latency and errors per scenario.
 *
 *   npm run bench -- --suite load [--load-seconds 60]
 *
 * Interleaved comparisons of lists and the deal card (docs/operations.md#load), run directly:
 *
 *   npx tsx bench/load.ts --ab cache [--off rows,cards,config] [--rounds 6] [--seconds 10] [--warm-up 3]
 *   npx tsx bench/load.ts --ab commits --old-tree /tmp/old-voronka [--rounds 6] [--split] [--only "deal card"] …
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import sql from 'sql-template-tag';
import { loadDemo } from '../src/demo/load-demo.ts';
import { createApiToken } from '../src/platform/auth/auth-service.ts';
import { systemClock } from '../src/platform/clock.ts';
import { defaultConfig } from '../src/platform/context.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { openDb } from '../src/platform/db/open-db.ts';
import { freshPgDatabase, median, printTable } from './support.ts';

const CONNECTIONS = 100;
const WARM_UP_S = 5;

export interface LoadScenario {
  name: string;
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  non_2xx: number;
  total: number;
  /** Bytes the server sent per answer, headers included (what its socket writes cost grows with). */
  bytes_per_request?: number;
  /** CPU time per request (user + system) of the server process, all PostgreSQL processes and the load generator. */
  cpu_ms_per_request: { server: number; postgres: number; client: number };
}
export interface LoadResult {
  date: string;
  engine: 'postgres';
  connections: number;
  seconds: number;
  scenarios: LoadScenario[];
}

function startServer(databaseUrl: string, env: Record<string, string> = {}, cwd = '.'): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    // VORONKA_LOAD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server under load.
    const nodeArgs = process.env.VORONKA_LOAD_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, 'bin/voronka', 'serve', '--port', '0', '--no-demo'], {
      cwd,
      env: { ...process.env, DATABASE_URL: databaseUrl, LANG: 'C', ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = out.match(/running at (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before it was ready:\n${out}`)));
  });
}

/** CPU seconds (user + system) of processes, from /proc (Linux); 0 where it cannot be read. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // the process ended or /proc is not there
    }
  }
  return ticks / 100;
}

function postgresPids(): number[] {
  try {
    return execFileSync('pgrep', ['-x', 'postgres'], { encoding: 'utf8' }).trim().split('\n').map(Number).filter(Boolean);
  } catch {
    return [];
  }
}

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** The demo workspace on a fresh PostgreSQL database, a head of sales' token and what requests pick from. */
async function prepareLoad(databaseUrl?: string) {
  databaseUrl ??= await freshPgDatabase('voronka_load');
  const db = await openDb({ databaseUrl });
  await migrate(db);
  const now = systemClock.now();
  process.stdout.write('[load] creating the demo workspace on PostgreSQL …\n');
  const demo = await loadDemo(db, { seed: 1, asOf: now, now });
  const ws = demo.workspaceId;
  const [rop] = await db.query<{ id: number }>(sql`select id from users where workspace_id = ${ws} and role = 'head_of_sales' limit 1`);
  const { token } = await createApiToken(
    { db, clock: systemClock, config: { ...defaultConfig } },
    { workspaceId: ws, userId: rop.id },
    { name: 'load' },
  );
  const deals = await db.query<{ id: number; version: number; stage_id: number }>(
    sql`select id, version, stage_id from deals where workspace_id = ${ws} and status = 'open' order by id limit 200`,
  );
  // A steady state, as a server that has run a while: the autovacuum that the demo's fresh rows
  // would start in the first minute of the first scenario runs now.
  process.stdout.write('[load] VACUUM ANALYZE …\n');
  await db.exec('VACUUM ANALYZE');
  await db.close();

  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-language': 'ru' };
  const today = now.toISOString().slice(0, 10);
  const from = new Date(now.getTime() - 90 * 86_400_000).toISOString().slice(0, 10);
  let i = 0;
  const pick = <T>(xs: T[]) => xs[i++ % xs.length];
  const lists = [
    '/api/v1/deals?status=open&sort=-amount_minor&limit=50',
    '/api/v1/companies?limit=50',
    '/api/v1/tasks?status=open&sort=due_at&limit=50',
    '/api/v1/contacts?limit=50&q=%D0%B0',
  ];
  const read = (kind: 'list' | 'card' | 'report') => (): Req => {
    if (kind === 'list') return { method: 'GET' as const, path: pick(lists), headers };
    if (kind === 'card') return { method: 'GET' as const, path: `/api/v1/deals/${pick(deals).id}/card`, headers };
    return { method: 'GET' as const, path: `/api/v1/reports/funnel?from=${from}&to=${today}`, headers };
  };
  // Writes that cannot conflict: activities logged on deals, tasks created.
  const write = (): Req => {
    const d = pick(deals);
    return i % 2
      ? {
          method: 'POST' as const,
          path: '/api/v1/activities',
          headers,
          body: JSON.stringify({ type: 'call', outcome: 'held', at: new Date().toISOString(), deal_id: d.id }),
        }
      : { method: 'POST' as const, path: '/api/v1/tasks', headers, body: JSON.stringify({ title: 'Перезвонить', deal_id: d.id }) };
  };
  return { lists, fixed: (path: string) => (): Req => ({ method: 'GET' as const, path, headers }), databaseUrl, headers, read, write };
}

type Req = { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string };

/** One measured run of `next` against `url` (after `warmUpS` of the same, not measured), with the CPU the processes spent. */
async function measure(name: string, url: string, serverPid: number | undefined, next: () => Req, seconds: number, warmUpS: number) {
  // Not measured: the server's code compiled hot, each pool connection opened and its
  // statements prepared, as in a server that has been answering for a while.
  await run({
    url,
    connections: CONNECTIONS,
    duration: warmUpS,
    requests: [
      {
        setupRequest: (req) => {
          const r = next();
          return { ...req, ...r, headers: { ...r.headers } };
        },
      },
    ],
  });
  const server = serverPid ? [serverPid] : [];
  const pgBefore = new Map(postgresPids().map((pid) => [pid, cpuSeconds([pid])]));
  const before = { server: cpuSeconds(server), client: process.cpuUsage() };
  const r = await run({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    // A fresh headers object each time: autocannon adds content-length to the headers of a
    // request with a body, and a shared object then sent it on GETs too (the server, waiting for
    // a body, read the next request as one and answered 400).
    requests: [
      {
        setupRequest: (req) => {
          const r = next();
          return { ...req, ...r, headers: { ...r.headers } };
        },
      },
    ],
  });
  return {
    name,
    requests_per_s: Math.round(r.requests.average),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    non_2xx: r.non2xx,
    total: r.requests.total,
    bytes_per_request: Math.round(r.throughput.total / Math.max(r.requests.total, 1)),
    cpu_ms_per_request: {
      server: perRequest(cpuSeconds(server) - before.server, r.requests.total),
      // backends started during the run (the pool connects on demand) count from zero
      postgres: perRequest(
        postgresPids().reduce((sum, pid) => sum + cpuSeconds([pid]) - (pgBefore.get(pid) ?? 0), 0),
        r.requests.total,
      ),
      client: perRequest(cpuUsedSeconds(before.client), r.requests.total),
    },
  } satisfies LoadScenario;
}

export async function benchLoad(seconds: number): Promise<LoadResult> {
  const { databaseUrl, headers, read, write } = await prepareLoad();
  let mix = 0;
  const scenarios: { name: string; next: () => Req }[] = [
    // What the machine gives at the time: the same clients on a route that does no work.
    { name: 'health check (no work: the machine at the time)', next: () => ({ method: 'GET', path: '/api/v1/health', headers }) },
    { name: 'lists', next: read('list') },
    { name: 'deal card', next: read('card') },
    { name: 'funnel report (cached)', next: read('report') },
    {
      name: 'mix: 90 % reads, 10 % writes',
      // Its own counter: `pick` advances its index for lists, cards and writes but not for the
      // report, so `i % 10` stuck on the report once reached, and the "mix" measured cached reports only.
      next: () => {
        const r = mix++ % 10;
        return r === 0 ? write() : r < 5 ? read('list')() : r < 8 ? read('card')() : read('report')();
      },
    },
  ];
  const results: LoadScenario[] = [];
  const { child, url } = await startServer(databaseUrl);
  try {
    for (const s of scenarios) {
      process.stdout.write(`[load] ${s.name}: ${CONNECTIONS} clients for ${seconds} s (after ${WARM_UP_S} s of warm-up) …\n`);
      results.push(await measure(s.name, url, child.pid, s.next, seconds, WARM_UP_S));
    }
  } finally {
    child.kill('SIGTERM');
  }
  const result: LoadResult = { date: new Date().toISOString(), engine: 'postgres', connections: CONNECTIONS, seconds, scenarios: results };
  mkdirSync(join('bench', 'results'), { recursive: true });
  writeFileSync(join('bench', 'results', 'load.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** One side of an interleaved comparison: a server, and what to do before each of its rounds. */
interface Arm {
  name: string;
  url: string;
  pid: number | undefined;
  enter?: () => Promise<void>;
}

export interface AbResult {
  date: string;
  kind: 'cache' | 'commits';
  arms: [string, string];
  connections: number;
  rounds: number;
  seconds: number;
  warm_up_s: number;
  load_average: { before: number[]; after: number[] };
  /** Per scenario, per arm, one entry per round (in round order). */
  scenarios: { name: string; runs: Record<string, LoadScenario[]> }[];
}

/**
 * Interleaved A/B: in each round every scenario runs on arm A and on arm B (the first of the two
 * alternating from round to round), each after the same short warm-up, so both arms see the same
 * minutes of this shared machine. Ratios are B / A within a round; their spread over the rounds is
 * the noise a difference must exceed.
 */
async function interleave(
  kind: AbResult['kind'],
  arms: [Arm, Arm],
  scenarios: { name: string; next: () => Req }[],
  rounds: number,
  seconds: number,
  warmUpS: number,
): Promise<AbResult> {
  const result: AbResult = {
    date: new Date().toISOString(),
    kind,
    arms: [arms[0].name, arms[1].name],
    connections: CONNECTIONS,
    rounds,
    seconds,
    warm_up_s: warmUpS,
    load_average: { before: loadavg(), after: [] },
    scenarios: scenarios.map((s) => ({ name: s.name, runs: { [arms[0].name]: [], [arms[1].name]: [] } })),
  };
  for (let round = 0; round < rounds; round++) {
    for (const [si, s] of scenarios.entries()) {
      const order = (round + si) % 2 ? [arms[1], arms[0]] : arms;
      for (const arm of order) {
        await arm.enter?.();
        const m = await measure(s.name, arm.url, arm.pid, s.next, seconds, warmUpS);
        result.scenarios[si].runs[arm.name].push(m);
        process.stdout.write(
          `[load-ab] round ${round + 1}/${rounds} ${s.name} — ${arm.name}: ${m.requests_per_s} req/s, p99 ${m.p99_ms} ms, errors ${m.errors + m.non_2xx}\n`,
        );
      }
    }
  }
  result.load_average.after = loadavg();
  return result;
}

/** A server whose caches the bench turns on and off through its standard input (`benchCacheSwitch`). */
function cacheSwitch(child: ChildProcess) {
  return (line: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not answer "${line}"`)), 5_000);
      const onData = (b: Buffer) => {
        if (!b.toString().includes(`bench: ${line}`)) return;
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve();
      };
      child.stdout?.on('data', onData);
      child.stdin?.write(`${line}\n`);
    });
}

/**
 * `--load-ab cache`: lists and the deal card on ONE server, the caches on (as configured) against
 * off, alternating in short rounds. `--load-ab commits --old-tree DIR`: the same against two
 * servers on the same database, the tree at DIR (an older commit, its own node_modules) and this
 * one, each with its default settings.
 */
export async function benchLoadAb(
  kind: 'cache' | 'commits',
  opts: { rounds: number; seconds: number; warmUpS: number; oldTree?: string; off?: string; split?: boolean; only?: string },
) {
  const servers: ChildProcess[] = [];
  try {
    let old: { child: ChildProcess; url: string } | undefined;
    let preset: string | undefined;
    if (kind === 'commits') {
      if (!opts.oldTree) throw new Error('--load-ab commits needs --old-tree DIR (git worktree add DIR COMMIT; its node_modules)');
      // The old server starts on its own schema (it refuses a database migrated by a newer version);
      // this tree's migrations follow, and both then serve the same data.
      preset = await freshPgDatabase('voronka_load');
      execFileSync(process.execPath, ['bin/voronka', 'migrate'], { cwd: opts.oldTree, env: { ...process.env, DATABASE_URL: preset } });
      old = await startServer(preset, {}, opts.oldTree);
      servers.push(old.child);
    }
    const { databaseUrl, read, lists, fixed } = await prepareLoad(preset);
    // --split: each list its own scenario, to see which one a difference comes from.
    const all = opts.split
      ? [...lists.map((path) => ({ name: path.replace('/api/v1/', ''), next: fixed(path) })), { name: 'deal card', next: read('card') }]
      : [
          { name: 'lists', next: read('list') },
          { name: 'deal card', next: read('card') },
        ];
    // --only NAME: one scenario (e.g. to profile it alone).
    const scenarios = opts.only ? all.filter((x) => x.name === opts.only) : all;
    if (scenarios.length === 0) throw new Error(`--only: no scenario "${opts.only}" (${all.map((x) => x.name).join(', ')})`);
    let arms: [Arm, Arm];
    if (kind === 'cache') {
      const s = await startServer(databaseUrl, { VORONKA_BENCH_CACHE_SWITCH: '1' });
      servers.push(s.child);
      const send = cacheSwitch(s.child);
      const off = opts.off ?? 'rows,cards,config';
      arms = [
        { name: 'cache on', url: s.url, pid: s.child.pid, enter: () => send('cache on') },
        { name: `cache off (${off})`, url: s.url, pid: s.child.pid, enter: () => send(`cache off ${off}`) },
      ];
    } else {
      if (!old || !opts.oldTree) throw new Error('unreachable: the old server starts above');
      const now = await startServer(databaseUrl);
      servers.push(now.child);
      const commit = (dir: string) => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
      arms = [
        { name: `old ${commit(opts.oldTree)}`, url: old.url, pid: old.child.pid },
        { name: `new ${commit('.')}`, url: now.url, pid: now.child.pid },
      ];
    }
    const result = await interleave(kind, arms, scenarios, opts.rounds, opts.seconds, opts.warmUpS);
    mkdirSync(join('bench', 'results'), { recursive: true });
    const base = kind === 'cache' && opts.off && opts.off !== 'rows,cards,config' ? `cache-${opts.off.replaceAll(',', '-')}` : kind;
    const name = `${base}${opts.split ? '-split' : ''}${opts.only ? `-${opts.only.replaceAll(/[^a-z0-9]+/g, '-')}` : ''}`;
    writeFileSync(join('bench', 'results', `load-ab-${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    for (const c of servers) c.kill('SIGTERM');
  }
}

const perRequest = (seconds: number, requests: number) => Math.round((seconds / Math.max(requests, 1)) * 1e5) / 100;
const cpuUsedSeconds = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

export function printLoad(r: LoadResult) {
  const rows = [
    [
      'scenario (PostgreSQL, demo, 100 clients)',
      'req/s',
      'p50 ms',
      'p99 ms',
      'errors',
      'non-2xx',
      'CPU ms/req: server',
      'postgres',
      'autocannon',
    ],
  ];
  for (const s of r.scenarios)
    rows.push([
      s.name,
      String(s.requests_per_s),
      String(s.p50_ms),
      String(s.p99_ms),
      String(s.errors),
      String(s.non_2xx),
      String(s.cpu_ms_per_request.server),
      String(s.cpu_ms_per_request.postgres),
      String(s.cpu_ms_per_request.client),
    ]);
  printTable(rows);
}

/**
 * The comparison's table: medians of each arm and of the per-round ratios B / A (their range is the
 * noise). CPU is the server process's own: the PostgreSQL figure of the JSON counts every database
 * of a server that other work may share.
 */
export function printLoadAb(r: AbResult) {
  const [a, b] = r.arms;
  const rows = [
    [
      `${r.rounds} rounds × ${r.seconds} s, ${r.connections} clients`,
      `req/s ${a} / ${b}`,
      'ratio (range)',
      `p99 ms ${a} / ${b}`,
      'ratio (range)',
      `server CPU ms/req ${a} / ${b}`,
      'ratio (range)',
      `bytes/answer ${a} / ${b}`,
    ],
  ];
  const span = (xs: number[]) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
  for (const s of r.scenarios) {
    const A = s.runs[a];
    const B = s.runs[b];
    const m = (xs: number[]) => Number(median(xs).toFixed(3));
    const col = (f: (x: LoadScenario) => number) => [`${m(A.map(f))} / ${m(B.map(f))}`, span(A.map((x, i) => f(B[i]) / f(x)))];
    const bytes = (xs: LoadScenario[]) => median(xs.map((x) => x.bytes_per_request ?? 0));
    rows.push([
      s.name,
      ...col((x) => x.requests_per_s),
      ...col((x) => x.p99_ms),
      ...col((x) => x.cpu_ms_per_request.server),
      `${bytes(A)} / ${bytes(B)}`,
    ]);
  }
  printTable(rows);
  const errors = r.scenarios.flatMap((s) => Object.values(s.runs).flat()).reduce((n, x) => n + x.errors + x.non_2xx, 0);
  process.stdout.write(
    `ratio = ${b} / ${a}, per round; load average before ${r.load_average.before.map((x) => x.toFixed(2)).join(' ')}, after ${r.load_average.after.map((x) => x.toFixed(2)).join(' ')}; errors and non-2xx: ${errors}\n`,
  );
}

// Run directly: the interleaved comparisons (see the head of this file).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const opt = (name: string, def?: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : def;
  };
  const kind = opt('ab');
  if (kind !== 'cache' && kind !== 'commits')
    throw new Error('usage: tsx bench/load.ts --ab cache|commits [--old-tree DIR] [--rounds N] [--seconds S] [--warm-up S]');
  const r = await benchLoadAb(kind, {
    rounds: Number(opt('rounds', '6')),
    seconds: Number(opt('seconds', '10')),
    warmUpS: Number(opt('warm-up', '3')),
    oldTree: opt('old-tree'),
    off: opt('off'),
    split: argv.includes('--split'),
    only: opt('only'),
  });
  printLoadAb(r);
}
