#!/usr/bin/env node
// `npm test`: installs what is missing, builds the web app, then type-checks, lints
// and runs the whole suite — every database test on PGlite and on the PostgreSQL
// server, and the browser tests in Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);

function step(title, cmd, args, opts = {}) {
  process.stdout.write(`\n▶ ${title}\n`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    process.stdout.write(`✗ ${title} failed after ${secs} s\n`);
    process.exit(r.status ?? 1);
  }
  process.stdout.write(`✓ ${title} (${secs} s)\n`);
}

const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(join(root, 'package-lock.json')).mtimeMs) {
  step('install dependencies', 'npm', ['install', '--no-audit', '--no-fund']);
}
step('build the web app', process.execPath, [join(root, 'scripts', 'build-web.mjs'), '--if-stale']);
// The web client's API types are generated from the OpenAPI document (npm run gen:api): a client
// that drifted from the server's schemas fails here.
step("the web client's API types match the OpenAPI document", bin('tsx'), [join(root, 'scripts', 'gen-api-types.ts'), '--check']);
step('type-check sources and tests', bin('tsc'), ['--noEmit', '-p', '.']);
step('type-check the web app', bin('tsc'), ['--noEmit', '-p', 'web']);
step('lint and format check', bin('biome'), ['check', '.']);
step('import direction between folders (no cycles)', bin('depcruise'), [
  'src',
  'web/src',
  '--config',
  '.dependency-cruiser.cjs',
  '--output-type',
  'err',
]);
step('test suite (pglite, postgres, browser)', bin('vitest'), ['run', ...process.argv.slice(2)]);
