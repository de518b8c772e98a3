#!/usr/bin/env node
// Builds the web app into web/dist with Vite. With --if-stale it does nothing when
// the build is newer than every source file (npm start stays fast after the first run).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const web = join(root, 'web');
const built = join(web, 'dist', 'index.html');
const WEB_SHARED = ['src/platform/money.ts'];

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (
  process.argv.includes('--if-stale') &&
  existsSync(built) &&
  statSync(built).mtimeMs >=
    Math.max(
      newest(web),
      statSync(join(root, 'package-lock.json')).mtimeMs,
      // Sources of src/ the web app imports (one rule for server and screen).
      ...WEB_SHARED.map((f) => statSync(join(root, f)).mtimeMs),
    )
) {
  process.exit(0);
}
const started = Date.now();
const { build } = await import('vite');
await build({ configFile: join(web, 'vite.config.ts'), logLevel: 'warn' });
process.stdout.write(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
