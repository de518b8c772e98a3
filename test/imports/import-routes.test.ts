/**
 * The import screen's endpoint (issue 16: "how to import while the server runs"): files uploaded
 * as multipart/form-data to the running server are imported into the caller's workspace by the
 * same code as the CLI — a dry run reports and writes nothing, a real run writes, a second run
 * changes nothing; a broken row names file, line and column in the caller's language and loses
 * nothing; only an admin or the head of sales imports; a missing or unknown file is refused by name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { BUNDLE_PIPELINE, dealRow, writeBundle } from '../support/bundle.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let other: SeededWorkspace;
let managerToken: string;

const FILES = ['pipeline.json', 'deals.csv', 'stage_events.csv'];
// A second pipeline of the workspace (its first, «Продажи», has other stages).
const PIPELINE = { ...BUNDLE_PIPELINE, name: 'Партнёрские продажи' };
const bundleDir = (rows = 3) =>
  writeBundle({
    pipeline: PIPELINE,
    deals: Array.from({ length: rows }, (_, i) => dealRow(`D${i + 1}`, { amount: '1 500,50' })),
    events: Array.from({ length: rows }, (_, i) => [`D${i + 1}`, 'Новый лид', '2025-01-10T10:00:00+03:00']).concat([
      ['D1', 'Успешно реализовано', '2025-01-20T15:30:00+03:00'],
    ]),
  });

/** The bundle's files as a multipart form, each under its own name (or under `files`, as a multiple-file input sends them). */
function form(dir: string, names = FILES, field: 'own' | 'files' = 'own') {
  const f = new FormData();
  for (const n of names) f.append(field === 'own' ? n : 'files', new Blob([readFileSync(join(dir, n))]), n);
  return f;
}
async function upload(token: string, body: FormData, query = '', lang = 'ru') {
  const res = await fetch(`${h.url}/api/v1/imports${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'accept-language': lang },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}
const dealCount = async (ws: number) =>
  Number((await h.db.query<{ n: string }>(sql`select count(*)::text as n from deals where workspace_id = ${ws}`))[0].n);

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Импорт');
  other = await seedWorkspace(h, 'Соседи');
  const now = h.ctx.clock.now();
  const managerId = await addUser(
    h.db,
    w.ws,
    { name: 'Мария Иванова', email: `m@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
    now,
  );
  managerToken = (await createApiToken(h.ctx, { workspaceId: w.ws, userId: managerId }, { name: 't' })).token;
});
afterAll(async () => {
  await h?.close();
});

describe('POST /api/v1/imports', () => {
  it('a dry run reports what the import would do and writes nothing', async () => {
    const r = await upload(w.token, form(bundleDir()), '?dry_run=true');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.format).toBe('canonical');
    expect(r.body.report).toMatchObject({
      workspace: 'Импорт',
      dry_run: true,
      deals_in_file: 3,
      deals_created: 3,
      stage_entries_added: 4,
      changed: true,
    });
    expect(await dealCount(w.ws)).toBe(0);
  });

  it('imports into the caller’s workspace, and the same files again change nothing', async () => {
    const r = await upload(w.token, form(bundleDir(), FILES, 'files'));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.report).toMatchObject({ workspace: 'Импорт', deals_created: 3, stage_entries_added: 4, changed: true });
    expect(r.body.report.dry_run).toBeUndefined();
    expect(await dealCount(w.ws)).toBe(3);
    expect(await dealCount(other.ws)).toBe(0);
    const [amount] = await h.db.query<{ a: string }>(
      sql`select amount_minor::text as a from deals where workspace_id = ${w.ws} and external_id = 'D1'`,
    );
    expect(amount.a).toBe('150050');
    const [run] = await h.db.query<{ source: string }>(
      sql`select source from import_runs where workspace_id = ${w.ws} order by id desc limit 1`,
    );
    expect(run.source).toMatch(/^upload by user \d+$/);
    const again = await upload(w.token, form(bundleDir()));
    expect(again.body.report).toMatchObject({ changed: false, deals_unchanged: 3, stage_entries_already_present: 4 });
    // The funnel sees the imported history at once (the report caches count the write).
    const funnel = await w.api.get(`/reports/funnel?from=2025-01-01&to=2025-02-01&pipeline=${encodeURIComponent(PIPELINE.name)}`);
    expect(funnel.status).toBe(200);
    expect(funnel.body.deals_won).toBe(1);
  });

  it('a broken row names the file, line and column in Russian and writes nothing', async () => {
    const dir = writeBundle({
      pipeline: PIPELINE,
      deals: [dealRow('E1'), dealRow('E2', { amount: 'двести' })],
      events: [
        ['E1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['E2', 'Новый лид', '2025-01-10T10:00:00+03:00'],
      ],
    });
    const before = await dealCount(w.ws);
    const r = await upload(w.token, form(dir));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('IMPORT_ROW_INVALID');
    expect(r.body.error.message).toContain('deals.csv');
    expect(r.body.error.message).toContain('строка 3');
    expect(r.body.error.message).toContain('amount');
    expect(await dealCount(w.ws)).toBe(before);
  });

  it('refuses a missing or an unknown file by name, a JSON body, and a manager', async () => {
    const dir = bundleDir();
    const missing = await upload(w.token, form(dir, ['pipeline.json', 'deals.csv']));
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toBe(
      'не хватает: stage_events.csv; для этого импорта нужны pipeline.json, deals.csv, stage_events.csv',
    );
    const f = form(dir);
    f.append('notes.txt', new Blob(['x']), 'notes.txt');
    const unknown = await upload(w.token, f, '', 'en');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe(
      'notes.txt: not a file of this import (expected pipeline.json, deals.csv, stage_events.csv, leads.csv, touches.csv, spend.csv, icp.json, contracts.csv, cases.csv)',
    );
    const json = await w.api.post('/imports', { files: [] });
    expect(json.status).toBe(415);
    const manager = await upload(managerToken, form(dir));
    expect(manager.status).toBe(403);
    const badFormat = await upload(w.token, form(dir), '?format=excel');
    expect(badFormat.status).toBe(400);
  });

  it('imports the Maven CRM files', async () => {
    // The public data set, kept in the repository (examples/maven-crm).
    const maven = join(import.meta.dirname, '../../examples/maven-crm');
    const m = await seedWorkspace(h, 'Maven');
    // Maven counts money in dollars: the workspace must too.
    await h.db.query(sql`update workspaces set currency = 'USD', timezone = 'UTC' where workspace_id = ${m.ws}`);
    const f = new FormData();
    for (const n of ['sales_pipeline.csv', 'accounts.csv', 'products.csv', 'sales_teams.csv']) {
      f.append(n, new Blob([readFileSync(join(maven, n))]), n);
    }
    const r = await upload(m.token, f, '?format=maven&dry_run=true');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.report.deals_in_file).toBe(8800);
    expect(r.body.report.dry_run).toBe(true);
    expect(r.body.maven.snapshot_date).toBe('2017-12-31');
    expect(await dealCount(m.ws)).toBe(0);
  }, 120_000);
});
