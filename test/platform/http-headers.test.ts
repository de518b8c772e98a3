/**
 * Security headers (issue 14.13) on every kind of answer: the web app's HTML page (the index and
 * a deep link the single-page app routes itself), a static asset, API answers and API errors.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, seedWorkspace, startHarness } from '../support/harness.ts';

let dist: string;
let h: Harness;
let https: Harness;
beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'voronka-web-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(
    join(dist, 'index.html'),
    '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body><div id="root"></div></body></html>',
  );
  writeFileSync(join(dist, 'assets', 'app.js'), 'document.getElementById("root").textContent = "ok";');
  h = await startHarness({ webDist: dist });
  https = await startHarness({ webDist: dist, config: { secureCookies: true } });
});
afterAll(async () => {
  await h.close();
  await https.close();
  rmSync(dist, { recursive: true, force: true });
});

/** The CSP's directives by name. */
function csp(res: Response): Record<string, string[]> {
  const header = res.headers.get('content-security-policy');
  expect(header, res.url).toBeTruthy();
  return Object.fromEntries(
    (header as string)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name, values]),
  );
}

function expectSecurityHeaders(res: Response) {
  const what = `${res.url} (${res.status})`;
  const d = csp(res);
  expect(d['default-src'], what).toEqual(["'self'"]);
  // Scripts only from the app's own files: no inline script, no eval.
  expect(d['script-src'], what).toEqual(["'self'"]);
  expect(d['script-src-attr'], what).toEqual(["'none'"]);
  // ECharts writes its tooltips as HTML with style attributes; style elements only from files.
  expect(d['style-src'], what).toEqual(["'self'", "'unsafe-inline'"]);
  expect(d['style-src-elem'], what).toEqual(["'self'"]);
  expect(d['style-src-attr'], what).toEqual(["'unsafe-inline'"]);
  expect(d['connect-src'], what).toEqual(["'self'"]);
  expect(d['img-src'], what).toEqual(["'self'", 'data:']);
  expect(d['object-src'], what).toEqual(["'none'"]);
  expect(d['base-uri'], what).toEqual(["'none'"]);
  expect(d['form-action'], what).toEqual(["'self'"]);
  expect(d['frame-ancestors'], what).toEqual(["'none'"]);
  expect(d['upgrade-insecure-requests'], what).toBeUndefined();
  expect(res.headers.get('x-frame-options'), what).toBe('DENY');
  expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(res.headers.get('referrer-policy'), what).toBe('no-referrer');
  expect(res.headers.get('cross-origin-opener-policy'), what).toBe('same-origin');
  expect(res.headers.get('x-powered-by'), what).toBeNull();
}

describe('security headers', () => {
  it('on the HTML page, a deep link, a static asset, API answers and API errors', async () => {
    const w = await seedWorkspace(h);
    const page = await fetch(`${h.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expectSecurityHeaders(page);
    const deep = await fetch(`${h.url}/deals/42`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toMatch(/^text\/html/);
    expectSecurityHeaders(deep);
    const asset = await fetch(`${h.url}/assets/app.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expectSecurityHeaders(asset);
    const api = await fetch(`${h.url}/api/v1/deals`, { headers: { authorization: `Bearer ${w.token}` } });
    expect(api.status).toBe(200);
    expectSecurityHeaders(api);
    const csv = await fetch(`${h.url}/api/v1/audit-log?format=csv`, { headers: { authorization: `Bearer ${w.token}` } });
    expect(csv.status).toBe(200);
    expectSecurityHeaders(csv);
    for (const path of ['/api/v1/deals', '/api/v1/no-such-route', '/api/v1/deals?limit=0']) {
      const err = await fetch(`${h.url}${path}`, { headers: path.includes('limit') ? { authorization: `Bearer ${w.token}` } : {} });
      expect(err.status).toBeGreaterThanOrEqual(400);
      expectSecurityHeaders(err);
    }
  });

  it('tells browsers to keep to HTTPS only when the server is set up behind HTTPS (VORONKA_SECURE_COOKIES=1)', async () => {
    expect((await fetch(`${h.url}/`)).headers.get('strict-transport-security')).toBeNull();
    const behindHttps = await fetch(`${https.url}/`);
    expect(behindHttps.headers.get('strict-transport-security')).toBe('max-age=15552000');
    expectSecurityHeaders(behindHttps);
  });
});
