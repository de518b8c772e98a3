import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBundle } from '../../bench/generate-bundle.ts';
import { type FunnelParams, resolveFunnelQuery } from '../../src/analytics/funnel-query.ts';
import { funnelReport } from '../../src/analytics/funnel-report.ts';
import { checkHistory } from '../../src/history/check-history.ts';
import { importBundle } from '../../src/imports/bundle-import.ts';
import { isInitialLoad } from '../../src/platform/db/bulk-load.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { expectKpisClose } from '../support/funnel-data.ts';
import { openTestDb } from '../support/test-db.ts';

/**
 * A re-import that changes deals' attributes (amount, segment, owner, channel, region)
 * without adding stage entries to them must leave the workspace exactly as a fresh
 * import of the changed bundle would: every report equal, every derived copy checked.
 */
let db: Db;
const now = new Date('2026-11-20T00:00:00Z');
let original: string;
let changed: string;
const updated = new Set<string>();

type Row = Record<string, string>;
const readCsv = (path: string): Row[] => parse(readFileSync(path, 'utf8'), { columns: true, bom: true });
const writeCsv = (path: string, rows: Row[]) => writeFileSync(path, stringify(rows, { header: true }));

beforeAll(async () => {
  db = await openTestDb();
  original = (await generateBundle(mkdtempSync(join(tmpdir(), 'voronka-reimport-a-')), 400, 7)).dir;
  changed = mkdtempSync(join(tmpdir(), 'voronka-reimport-b-'));
  cpSync(original, changed, { recursive: true });
  const deals = readCsv(join(original, 'deals.csv'));
  const events = readCsv(join(original, 'stage_events.csv'));
  const won = new Set(events.filter((e) => e.stage === 'Успешно реализовано').map((e) => e.deal_id));
  const open = deals.filter((d) => !events.some((e) => e.deal_id === d.deal_id && /реализовано/.test(e.stage)));
  const wonDeals = deals.filter((d) => won.has(d.deal_id));
  const set = (d: Row, key: string, value: string) => {
    if (d[key] !== value) updated.add(d.deal_id);
    d[key] = value;
  };
  // 5 amounts (won and open deals), 6 segments, 3 owners, 3 channels, 3 regions change.
  for (const d of [...wonDeals.slice(0, 3), ...open.slice(0, 2)]) set(d, 'amount', (Number(d.amount) * 3 + 0.5).toFixed(2));
  for (const d of [...wonDeals.slice(3, 6), ...open.slice(2, 5)]) set(d, 'segment', d.segment === 'SMB' ? 'Enterprise' : 'SMB');
  for (const d of wonDeals.slice(6, 9)) set(d, 'owner', d.owner === 'Менеджер 01' ? 'Менеджер 02' : 'Менеджер 01');
  for (const d of wonDeals.slice(9, 12)) set(d, 'channel', d.channel === 'Сайт' ? 'Партнёры' : 'Сайт');
  for (const d of open.slice(5, 8)) set(d, 'region', d.region === 'Казань' ? 'Пермь' : 'Казань');
  // 10 new deals, each with its own stage entries.
  for (let i = 0; i < 10; i++) {
    const src = deals[i];
    const id = `NEW-${i}`;
    deals.push({ ...src, deal_id: id, title: `Новая ${i}` });
    for (const e of events.filter((x) => x.deal_id === src.deal_id)) events.push({ ...e, deal_id: id });
  }
  writeCsv(join(changed, 'deals.csv'), deals);
  writeCsv(join(changed, 'stage_events.csv'), events);
});
afterAll(async () => {
  await db.close();
});

const wsId = async (name: string) =>
  (await db.query<{ workspace_id: number }>(sql`select workspace_id from workspaces where name = ${name}`))[0].workspace_id;

/** A report without what names its workspace or its rows' ids. */
async function report(ws: number, params: FunnelParams) {
  const r = await inWorkspace(db, ws, async (tx) => funnelReport(tx, await resolveFunnelQuery(tx, ws, params, now)));
  const { workspace: _w, pipeline: _p, ...rest } = r as unknown as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest, (k, v) => (k === 'key_id' ? undefined : v)));
}

describe('re-import of a bundle with changed deal attributes', () => {
  it('gives the reports of a fresh import of the changed bundle, and check finds nothing', async () => {
    await importBundle(db, original, { workspace: 'Повторный', now });
    const second = await importBundle(db, changed, { workspace: 'Повторный', now });
    expect(updated.size).toBe(20);
    expect(second).toMatchObject({ deals_created: 10, deals_updated: updated.size, stage_entries_added: expect.any(Number) });
    await importBundle(db, changed, { workspace: 'Свежий', now });
    const re = await wsId('Повторный');
    const fresh = await wsId('Свежий');
    const requests: FunnelParams[] = [
      { from: '2025-01-01', to: '2026-11-01' },
      { from: '2026-05-01', to: '2026-11-01' },
      { from: '2026-05-01', to: '2026-11-01', segment: 'SMB' },
      { from: '2026-05-01', to: '2026-11-01', segment: 'Enterprise', as_of: '2026-08-01' },
      { from: '2025-01-01', to: '2026-11-01', by: 'owner' },
      { from: '2025-01-01', to: '2026-11-01', by: 'segment' },
      { from: '2025-01-01', to: '2026-11-01', by: 'channel' },
      { from: '2025-01-01', to: '2026-11-01', by: 'region' },
      { from: '2025-01-01', to: '2026-11-01', region: 'Казань' },
    ];
    for (const params of requests) {
      const [a, b] = [await report(re, params), await report(fresh, params)];
      expect(Object.keys(a)).toEqual(Object.keys(b));
      expectKpisClose(a, b, JSON.stringify(params));
    }
    const problems = (await inWorkspace(db, re, (tx) => checkHistory(tx, re))).filter((c) => c.problems > 0);
    expect(problems).toEqual([]);
  });
});

describe('the initial-load path (indexes dropped and rebuilt once)', () => {
  it('is taken by a large first import only, never by a re-import, however large its bundle', async () => {
    await db.exec('analyze stage_events');
    const [{ n: rows }] = await db.query<{ n: number }>(`select reltuples::int8 as n from pg_class where relname = 'stage_events'`);
    const re = await wsId('Повторный');
    // A bundle larger than what the tables hold: an initial load for a new workspace…
    const [{ id: fresh }] = await db.query<{ id: number }>(`select coalesce(max(workspace_id), 0) + 1 as id from workspaces`);
    expect(await db.transaction((tx) => isInitialLoad(tx, fresh, rows + 1, 1))).toBe(true);
    // …and never for one that has a history: 5 changed amounts and 10 new deals once rebuilt every index.
    expect(await db.transaction((tx) => isInitialLoad(tx, re, rows + 1, 1))).toBe(false);
    expect(await db.transaction((tx) => isInitialLoad(tx, fresh, rows + 1))).toBe(rows + 1 >= 50_000);
  });
});
