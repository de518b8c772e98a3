import { existsSync } from 'node:fs';
import pg from 'pg';
import { defineConfig } from 'vitest/config';

/**
 * One suite, several engines: every database test runs once on the embedded
 * PGlite and once on a PostgreSQL server. Browser tests run once, in Debian's
 * Chromium. A missing server or browser skips its project loudly — except under
 * CI=true, where it is a failure.
 *
 * A test file that opens no database (pure functions, parsing, wording, help texts, the web
 * app's helpers, a CLI run on a folder of its own) would do the same thing twice there: it is
 * named `*.nodb.test.ts` and runs once, in the `nodb` project, which has no database at all
 * (openTestDb throws there). It runs whenever the PGlite project does (VORONKA_TEST_ENGINES=pglite
 * still runs everything that ran on PGlite), or alone with VORONKA_TEST_ENGINES=nodb.
 */
const PG_URL = process.env.VORONKA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CHROMIUM = process.env.VORONKA_CHROMIUM ?? '/usr/bin/chromium';
const CI = process.env.CI === 'true';
const NODB = 'test/**/*.nodb.test.ts';

async function pgReachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

function loud(msg: string) {
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\n!! ${msg}\n${bar}\n\n`);
}

export default defineConfig(async () => {
  const only = process.env.VORONKA_TEST_ENGINES?.split(',');
  const pgProblem = await pgReachable();
  const engines: string[] = [];
  if (!only || only.includes('pglite')) engines.push('pglite');
  if (!only || only.includes('postgres')) {
    if (pgProblem && !CI)
      loud(
        `PostgreSQL at ${PG_URL} is not reachable (${pgProblem}): the postgres engine is SKIPPED. Start it or set VORONKA_TEST_DATABASE_URL.`,
      );
    else engines.push('postgres');
  }
  const nodb = !only || only.includes('nodb') || only.includes('pglite');
  const browser = !only || only.includes('browser');
  const haveChromium = existsSync(CHROMIUM);
  if (browser && !haveChromium && !CI) loud(`No browser at ${CHROMIUM}: browser tests are SKIPPED (apt-get install -y chromium).`);

  const shared = {
    // A worker process runs file after file of its project with the modules it has loaded, instead
    // of a fresh process that imports the server's modules again for every file (1–2 s a file,
    // ~30 % of the engine projects' time). Each file's own top level still runs afresh; the
    // modules keep no state a test depends on (caches, and a counter tests read as a difference).
    // A file closes what it opens, and sets no globals (those that must are *.nodb.test.ts).
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ['test/support/global-setup.ts'],
  };
  return {
    test: {
      reporters: process.env.VITEST_REPORTER ? [process.env.VITEST_REPORTER] : ['default'],
      projects: [
        ...engines.map((engine) => ({
          test: {
            ...shared,
            name: engine,
            include: ['test/**/*.test.ts'],
            exclude: ['test/browser/**', NODB],
            env: { VORONKA_TEST_ENGINE: engine, VORONKA_TEST_DATABASE_URL: PG_URL },
            provide: { engine },
          },
        })),
        ...(nodb
          ? [
              {
                test: {
                  testTimeout: shared.testTimeout,
                  hookTimeout: shared.hookTimeout,
                  // A fresh process per file: the web app's helpers are tested with a stand-in
                  // localStorage and navigator set on globalThis.
                  isolate: true,
                  name: 'nodb',
                  include: [NODB],
                  exclude: ['test/browser/**'],
                  env: { VORONKA_TEST_ENGINE: 'none' },
                },
              },
            ]
          : []),
        ...(browser && (haveChromium || CI)
          ? [
              {
                test: {
                  ...shared,
                  name: 'browser',
                  // A fresh process per file: with modules kept from file to file two browser files
                  // failed in a full run (a list's columns, the calendar's rows read stale) where
                  // they pass isolated; the browser's time is the page, not the import.
                  isolate: true,
                  include: ['test/browser/**/*.test.ts'],
                  env: { VORONKA_TEST_ENGINE: 'pglite', VORONKA_CHROMIUM: CHROMIUM },
                  provide: { engine: 'pglite' },
                  fileParallelism: false,
                },
              },
            ]
          : []),
      ],
    },
  };
});
