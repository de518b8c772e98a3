/**
 * Load on the API: autocannon against 127.0.0.1, 100 concurrent clients, on the
 * demo workspace served from a PostgreSQL server (the server as its own process,
 * as in production). Read routes alone — lists, the deal card, the funnel report
 * (cached) — then the mix with 10 % writes. Reports requests per second, p50/p99
 * latency and errors per scenario.
 *
 *   npm run bench -- --suite load [--load-seconds 60]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import sql from 'sql-template-tag';
import { loadDemo } from '../src/demo/load-demo.ts';
import { createApiToken } from '../src/platform/auth/auth-service.ts';
import { systemClock } from '../src/platform/clock.ts';
import { defaultConfig } from '../src/platform/context.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { openDb } from '../src/platform/db/open-db.ts';
import { freshPgDatabase, printTable } from './support.ts';

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

function startServer(databaseUrl: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    // VORONKA_LOAD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server under load.
    const nodeArgs = process.env.VORONKA_LOAD_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, 'bin/voronka', 'serve', '--port', '0', '--no-demo'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, LANG: 'C', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
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

export async function benchLoad(seconds: number): Promise<LoadResult> {
  const databaseUrl = await freshPgDatabase('voronka_load');
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
  let mix = 0;
  const pick = <T>(xs: T[]) => xs[i++ % xs.length];
  const lists = [
    '/api/v1/deals?status=open&sort=-amount_minor&limit=50',
    '/api/v1/companies?limit=50',
    '/api/v1/tasks?status=open&sort=due_at&limit=50',
    '/api/v1/contacts?limit=50&q=%D0%B0',
  ];
  const read = (kind: 'list' | 'card' | 'report') => () => {
    if (kind === 'list') return { method: 'GET' as const, path: pick(lists), headers };
    if (kind === 'card') return { method: 'GET' as const, path: `/api/v1/deals/${pick(deals).id}/card`, headers };
    return { method: 'GET' as const, path: `/api/v1/reports/funnel?from=${from}&to=${today}`, headers };
  };
  // Writes that cannot conflict: activities logged on deals, tasks created.
  const write = () => {
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
  const scenarios: {
    name: string;
    next: () => { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string };
    /** The server's environment, when it differs from the default. */
    env?: Record<string, string>;
  }[] = [
    // What the machine gives at the time: the same clients on a route that does no work.
    { name: 'health check (no work: the machine at the time)', next: () => ({ method: 'GET', path: '/api/v1/health', headers }) },
    { name: 'lists', next: read('list') },
    { name: 'deal card', next: read('card') },
    { name: 'funnel report (cached)', next: read('report') },
    {
      name: 'mix: 90 % reads, 10 % writes',
      // Its own counter: `pick` advances `i` for lists, cards and writes but not for the report, so
      // `i % 10` stuck on the report once reached, and the "mix" measured cached reports only.
      next: () => {
        const r = mix++ % 10;
        return r === 0 ? write() : r < 5 ? read('list')() : r < 8 ? read('card')() : read('report')();
      },
    },
    // The same lists and cards with the row cache turned off: every row's JSON written by
    // PostgreSQL, every card read and written whole.
    { name: 'lists, row cache off', next: read('list'), env: { VORONKA_ROW_CACHE_MB: '0' } },
    { name: 'deal card, row cache off', next: read('card'), env: { VORONKA_ROW_CACHE_MB: '0' } },
  ];
  const results: LoadScenario[] = [];
  let running: { child: ChildProcess; url: string; env: string } | undefined;
  try {
    for (const s of scenarios) {
      const env = JSON.stringify(s.env ?? {});
      if (running?.env !== env) {
        running?.child.kill('SIGTERM');
        running = { ...(await startServer(databaseUrl, s.env)), env };
      }
      const { child, url } = running;
      process.stdout.write(`[load] ${s.name}: ${CONNECTIONS} clients for ${seconds} s (after ${WARM_UP_S} s of warm-up) …\n`);
      // Not measured: the server's code compiled hot, each pool connection opened and its
      // statements prepared, as in a server that has been answering for a while.
      await run({
        url,
        connections: CONNECTIONS,
        duration: WARM_UP_S,
        requests: [{ setupRequest: (req) => ({ ...req, ...s.next(), headers: { ...headers } }) }],
      });
      const server = child.pid ? [child.pid] : [];
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
              const r = s.next();
              return { ...req, ...r, headers: { ...r.headers } };
            },
          },
        ],
      });
      results.push({
        name: s.name,
        requests_per_s: Math.round(r.requests.average),
        p50_ms: r.latency.p50,
        p99_ms: r.latency.p99,
        errors: r.errors + r.timeouts,
        non_2xx: r.non2xx,
        total: r.requests.total,
        cpu_ms_per_request: {
          server: perRequest(cpuSeconds(server) - before.server, r.requests.total),
          // backends started during the run (the pool connects on demand) count from zero
          postgres: perRequest(
            postgresPids().reduce((sum, pid) => sum + cpuSeconds([pid]) - (pgBefore.get(pid) ?? 0), 0),
            r.requests.total,
          ),
          client: perRequest(cpuUsedSeconds(before.client), r.requests.total),
        },
      });
    }
  } finally {
    running?.child.kill('SIGTERM');
  }
  const result: LoadResult = { date: new Date().toISOString(), engine: 'postgres', connections: CONNECTIONS, seconds, scenarios: results };
  mkdirSync(join('bench', 'results'), { recursive: true });
  writeFileSync(join('bench', 'results', 'load.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
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
