/**
 * The web app's speed in the real browser (Debian's Chromium): time to first
 * render of the dashboard (demo workspace) and of the pipeline board with 5,000
 * open deals, cold cache, median of N runs; and the JavaScript bundle size.
 *
 *   npm run bench -- --suite web [--runs 5]
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import sql from 'sql-template-tag';
import { buildApp } from '../src/app.ts';
import { DEMO_PASSWORD, MANAGERS } from '../src/demo/demo-plan.ts';
import { DEMO_WORKSPACE, loadDemo } from '../src/demo/load-demo.ts';
import { importBundle } from '../src/imports/bundle-import.ts';
import { systemClock } from '../src/platform/clock.ts';
import { defaultConfig } from '../src/platform/context.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { openDb } from '../src/platform/db/open-db.ts';
import { WEB_DIST } from '../src/platform/http/server.ts';
import { Rand } from '../src/platform/random.ts';
import { median, printTable } from './support.ts';

const DAY = 86_400_000;
const OPEN_TARGET = 5_000;
const STAGES = ['Новый лид', 'Квалификация', 'Встреча', 'Демо', 'КП отправлено', 'Переговоры', 'Договор'];
const CHROMIUM = process.env.VORONKA_CHROMIUM ?? '/usr/bin/chromium';
/** VORONKA_WEB_TRACE=1 prints every request of every run with its start and end. */
const TRACE = process.env.VORONKA_WEB_TRACE === '1';
/** VORONKA_WEB_PROFILE=1 prints the functions the page spent most of its time in, per run. */
const PROFILE = process.env.VORONKA_WEB_PROFILE === '1';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  samples?: number[];
  timeDeltas?: number[];
}

function printProfile(p: CpuProfile, base: string) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  (p.samples ?? []).forEach((id, i) => {
    const f = byId.get(id)?.callFrame;
    const key = f ? `${f.functionName || '(anonymous)'} ${f.url.replace(base, '')}:${f.lineNumber}` : '?';
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas?.[i] ?? 0) / 1000);
  });
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  process.stdout.write(`${top.map(([k, ms]) => `${ms.toFixed(1).padStart(8)} ms  ${k}`).join('\n')}\n`);
}

export interface WebBenchResult {
  date: string;
  runs: number;
  open_deals_on_board: number;
  dashboard_first_render_ms: { median: number; runs: number[] };
  board_first_render_ms: { median: number; runs: number[] };
  bundle: {
    initial_js_gzip_kib: number;
    initial_js_raw_kib: number;
    initial_css_gzip_kib: number;
    lazy_js_gzip_kib: number;
    files: Record<string, number>;
  };
}

const kib = (n: number) => Math.round((n / 1024) * 10) / 10;

/** What the browser loads before the first render: index.html's script, modulepreloads and stylesheet. */
function bundleSizes(): WebBenchResult['bundle'] {
  const html = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+)"/g)].map((m) => m[1]);
  const files: Record<string, number> = {};
  let js = 0;
  let jsRaw = 0;
  let css = 0;
  for (const ref of refs) {
    const buf = readFileSync(join(WEB_DIST, ref));
    const gz = gzipSync(buf, { level: 9 }).length;
    files[ref] = kib(gz);
    if (ref.endsWith('.js')) {
      js += gz;
      jsRaw += buf.length;
    } else if (ref.endsWith('.css')) css += gz;
  }
  let lazy = 0;
  for (const name of readdirSync(join(WEB_DIST, 'assets'))) {
    const ref = `assets/${name}`;
    if (!name.endsWith('.js') || refs.includes(ref)) continue;
    const gz = gzipSync(readFileSync(join(WEB_DIST, ref)), { level: 9 }).length;
    files[ref] = kib(gz);
    lazy += gz;
  }
  return {
    initial_js_gzip_kib: kib(js),
    initial_js_raw_kib: kib(jsRaw),
    initial_css_gzip_kib: kib(css),
    lazy_js_gzip_kib: kib(lazy),
    files,
  };
}

/** Open deals on top of the demo's, in the demo pipeline, owned by the demo managers. */
export async function writeOpenDeals(dir: string, n: number, now: number) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'pipeline.json'),
    JSON.stringify({
      name: 'Продажи B2B',
      currency: 'RUB',
      timezone: 'Europe/Moscow',
      stages: [
        ...STAGES.map((name) => ({ name, kind: 'open' })),
        { name: 'Успешно реализовано', kind: 'won' },
        { name: 'Закрыто и не реализовано', kind: 'lost' },
      ],
    }),
  );
  const rand = new Rand(7);
  const deals = createWriteStream(join(dir, 'deals.csv'));
  const events = createWriteStream(join(dir, 'stage_events.csv'));
  deals.write('deal_id,title,company,owner,segment,channel,region,amount,created_at\n');
  events.write('deal_id,stage,entered_at\n');
  for (let i = 0; i < n; i++) {
    let t = now - Math.floor(rand.float() * 90 * DAY) - DAY;
    deals.write(
      `W${i},Нагрузка ${i + 1},ООО «Нагрузка ${rand.int(1, 2000)}»,${rand.pick(MANAGERS).name},SMB,Заявки с сайта,Москва,${rand.int(50_000, 5_000_000)}.00,${new Date(t).toISOString()}\n`,
    );
    const last = rand.int(0, STAGES.length - 1);
    for (let s = 0; s <= last; s++) {
      events.write(`W${i},${STAGES[s]},${new Date(t).toISOString()}\n`);
      t += Math.floor(rand.float() * Math.max(1, (now - t) / (last - s + 1)));
    }
  }
  await Promise.all([new Promise((r) => deals.end(r)), new Promise((r) => events.end(r))]);
}

export async function benchWeb(runs: number): Promise<WebBenchResult> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium`);
  execFileSync(process.execPath, ['scripts/build-web.mjs', '--if-stale'], { stdio: 'inherit' });
  const bundle = bundleSizes();

  const dir = mkdtempSync(join(tmpdir(), 'voronka-web-bench-'));
  const db = await openDb({ dataDir: join(dir, 'db') });
  try {
    await migrate(db);
    const now = systemClock.now();
    process.stdout.write('[web] loading the demo workspace …\n');
    await loadDemo(db, { seed: 1, asOf: now, now });
    const openNow = async () =>
      Number((await db.query<{ n: number }>(sql`select count(*)::int as n from deals where status = 'open'`))[0].n);
    const extra = OPEN_TARGET - (await openNow());
    if (extra > 0) {
      await writeOpenDeals(join(dir, 'bundle'), extra, now.getTime());
      process.stdout.write(`[web] importing ${extra} more open deals into the demo pipeline …\n`);
      await importBundle(db, join(dir, 'bundle'), { workspace: DEMO_WORKSPACE, now });
    }
    const openDeals = await openNow();

    db.startMaintenance?.(); // as `voronka serve` does
    const app = await buildApp({ db, clock: systemClock, config: { ...defaultConfig } }, { webDist: WEB_DIST });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    // One sign-in for all runs (sign-in is rate-limited to 10 a minute); each run gets its cookie.
    const signIn = await browser.newContext();
    const res = await signIn.request.post(`${url}/api/v1/auth/login`, {
      data: { email: 'rop@demo.voronka.local', password: DEMO_PASSWORD },
    });
    if (!res.ok()) throw new Error(`sign-in failed: ${res.status()}`);
    const storageState = await signIn.storageState();
    await signIn.close();
    const measure = async (path: string, ready: string[]) => {
      // Cold: a new browser context has an empty cache.
      const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1440, height: 900 }, storageState });
      const page = await context.newPage();
      const trace: string[] = [];
      const t0 = Date.now();
      if (TRACE) {
        page.on('request', (r) => trace.push(`${String(Date.now() - t0).padStart(6)} ms  → ${r.url().replace(url, '')}`));
        page.on('requestfinished', (r) => trace.push(`${String(Date.now() - t0).padStart(6)} ms  ← ${r.url().replace(url, '')}`));
      }
      if (TRACE) {
        await page.addInitScript(() => {
          const w = window as unknown as { longTasks: string[] };
          w.longTasks = [];
          new PerformanceObserver((l) => {
            for (const e of l.getEntries()) w.longTasks.push(`${Math.round(e.startTime)}+${Math.round(e.duration)}`);
          }).observe({ type: 'longtask', buffered: true });
        });
      }
      const cdp = PROFILE ? await context.newCDPSession(page) : null;
      if (cdp) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await cdp.send('Profiler.start');
      }
      await page.goto(`${url}${path}`);
      for (const selector of ready) await page.waitForSelector(selector, { timeout: 60_000 });
      const ms = Date.now() - t0;
      if (cdp) printProfile((await cdp.send('Profiler.stop')).profile, url);
      if (TRACE) {
        const long = await page.evaluate(() => (window as unknown as { longTasks: string[] }).longTasks.join(' '));
        process.stdout.write(`[web] ${path} ${ms} ms; long tasks (start+ms after navigation): ${long}\n${trace.join('\n')}\n`);
      }
      await context.close();
      return ms;
    };
    const timeRuns = async (path: string, ready: string[]) => {
      await measure(path, ready); // warm-up: the server's first query plans, the OS file cache
      const xs: number[] = [];
      for (let i = 0; i < runs; i++) xs.push(await measure(path, ready));
      return { median: median(xs), runs: xs };
    };
    // Usable: the figures, the funnel table and the funnel chart (its canvas) are on screen.
    const dashboard = await timeRuns('/dashboard', [
      '[data-testid=dashboard-stats]',
      '[data-testid=stage-table] >> nth=0',
      '.chart canvas >> nth=0',
    ]);
    // Usable: the columns with their figures and the first cards are on screen.
    const board = await timeRuns('/board', ['[data-testid^=card-] >> nth=0']);
    await browser.close();
    await app.close();
    const result: WebBenchResult = {
      date: new Date().toISOString(),
      runs,
      open_deals_on_board: openDeals,
      dashboard_first_render_ms: dashboard,
      board_first_render_ms: board,
      bundle,
    };
    mkdirSync(join('bench', 'results'), { recursive: true });
    writeFileSync(join('bench', 'results', 'web.json'), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printWeb(r: WebBenchResult) {
  const rows = [
    ['measure', 'value', 'target'],
    [`dashboard first render (demo, ${r.open_deals_on_board} open deals), median ms`, String(r.dashboard_first_render_ms.median), '≤ 1500'],
    [`board first render (${r.open_deals_on_board} open deals), median ms`, String(r.board_first_render_ms.median), '≤ 2000'],
    ['initial JS, gzip KiB', String(r.bundle.initial_js_gzip_kib), '< 400'],
    ['initial CSS, gzip KiB', String(r.bundle.initial_css_gzip_kib), ''],
    ['lazy chunks (dashboard charts …), gzip KiB', String(r.bundle.lazy_js_gzip_kib), ''],
  ];
  printTable(rows);
}
