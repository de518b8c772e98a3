import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { DateTime } from 'luxon';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBundle } from '../../bench/generate-bundle.ts';
import { type FunnelParams, resolveFunnelQuery } from '../../src/analytics/funnel-query.ts';
import { funnelReport } from '../../src/analytics/funnel-report.ts';
import { checkHistory } from '../../src/history/check-history.ts';
import { appendStageEntry, refreshDeals, syncVisitAttributes } from '../../src/history/stage-history.ts';
import { importBundle } from '../../src/imports/bundle-import.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { normalisePositions } from '../../src/process/pipelines.ts';
import { expectKpisClose } from '../support/funnel-data.ts';
import { openTestDb } from '../support/test-db.ts';

/**
 * The monthly checkpoints (src/history/checkpoints.ts) are a derived copy: after every kind of
 * write that changes visits — an import, a re-import, moves, a refresh, changed deal attributes,
 * an older history imported later, reordered stages — every past report read from them must equal
 * the report computed from stage_visits alone, and `voronka check` must find them equal to a
 * recount; and a corrupted checkpoint must make the check fail, naming it.
 */
let db: Db;
let ws: number;
let bundle: string;
const now = new Date('2026-11-20T00:00:00Z');
const ZONE = 'Europe/Moscow';

type Row = Record<string, string>;
const readCsv = (path: string): Row[] => parse(readFileSync(path, 'utf8'), { columns: true, bom: true });
const writeCsv = (path: string, rows: Row[]) => writeFileSync(path, stringify(rows, { header: true }));

/** Past requests: on a month start (the checkpoint itself), in the middle of months, filtered and broken down. */
const REQUESTS: FunnelParams[] = [
  { from: '2026-02-01', to: '2026-05-01' },
  { from: '2026-02-01', to: '2026-05-01', by: 'owner' },
  { from: '2026-03-01', to: '2026-04-01', as_of: '2026-04-17T12:34:56+03:00', segment: 'SMB' },
  { from: '2025-06-01', to: '2025-09-01', as_of: '2025-08-20T00:00:00+03:00', by: 'segment' },
  { from: '2025-01-01', to: '2025-07-01', as_of: '2025-07-09T08:00:00+03:00', by: 'month' },
  { from: '2024-11-01', to: '2024-12-01', as_of: '2024-11-20' },
  { from: '2026-10-01', to: '2026-11-01', as_of: '2026-10-25', by: 'channel' },
  { from: '2026-09-01', to: '2026-11-01', as_of: '2026-10-20T12:00:00+03:00', region: 'Казань' },
];

/** Every request as of the past read through its checkpoint equals the same request without one. */
async function expectSameReports(extra: FunnelParams[] = []): Promise<void> {
  let onCheckpoint = 0;
  let between = 0;
  for (const params of [...REQUESTS, ...extra]) {
    const [withCp, without, q] = await inWorkspace(db, ws, async (tx) => {
      const q = await resolveFunnelQuery(tx, ws, params, now);
      return [await funnelReport(tx, q), await funnelReport(tx, { ...q, checkpoint: null }), q] as const;
    });
    expect(q.live, JSON.stringify(params)).toBe(false);
    expect(q.checkpoint, JSON.stringify(params)).toBeInstanceOf(Date);
    if (q.checkpoint?.getTime() === q.asOf.getTime()) onCheckpoint++;
    else between++;
    expectKpisClose(withCp, without, JSON.stringify(params));
  }
  // Both ways of reading a checkpoint are exercised: exactly at it, and with the activity after it.
  expect(onCheckpoint).toBeGreaterThan(0);
  expect(between).toBeGreaterThan(0);
  const first = await inWorkspace(db, ws, async (tx) => funnelReport(tx, await resolveFunnelQuery(tx, ws, REQUESTS[0], now)));
  expect((first as { open_deals: number }).open_deals).toBeGreaterThan(0);
}

async function failingChecks(): Promise<Record<string, string[]>> {
  const r = await inWorkspace(db, ws, (tx) => checkHistory(tx, ws));
  return Object.fromEntries(r.filter((x) => x.problems > 0).map((x) => [x.check, x.examples]));
}

/** A checkpoint at every month start (Moscow) from the month of the first entry to the last entry, and no other. */
async function expectEveryMonth(): Promise<Date[]> {
  const [r] = await db.query<{ first: Date; last: Date }>(
    sql`select min(entered_at) as first, max(entered_at) as last from stage_events where workspace_id = ${ws}`,
  );
  const want: string[] = [];
  for (let m = DateTime.fromJSDate(r.first, { zone: ZONE }).startOf('month'); m.toMillis() <= r.last.getTime(); m = m.plus({ months: 1 }))
    want.push(m.toJSDate().toISOString());
  const have = await db.query<{ at: Date }>(sql`select at from funnel_checkpoints where workspace_id = ${ws} order by at`);
  expect(have.map((h) => h.at.toISOString())).toEqual(want);
  return have.map((h) => h.at);
}

beforeAll(async () => {
  db = await openTestDb();
  bundle = (await generateBundle(mkdtempSync(join(tmpdir(), 'voronka-checkpoints-')), 250, 5)).dir;
  await importBundle(db, bundle, { workspace: 'Точки', now });
  [{ workspace_id: ws }] = await db.query<{ workspace_id: number }>(sql`select workspace_id from workspaces where name = 'Точки'`);
});
afterAll(async () => {
  await db.close();
});

describe('funnel checkpoints', () => {
  it('after an import: one per month, counted from scratch, and every past report equal to the one without them', async () => {
    expect((await expectEveryMonth()).length).toBe(24);
    expect(await failingChecks()).toEqual({});
    await expectSameReports();
  });

  it('after a re-import that changes attributes, adds deals and extends histories into a new month', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'voronka-checkpoints-b-'));
    cpSync(bundle, dir, { recursive: true });
    const deals = readCsv(join(bundle, 'deals.csv'));
    const events = readCsv(join(bundle, 'stage_events.csv'));
    const closed = new Set(events.filter((e) => /реализовано/.test(e.stage)).map((e) => e.deal_id));
    const open = deals.filter((d) => !closed.has(d.deal_id));
    const shut = deals.filter((d) => closed.has(d.deal_id));
    for (const d of shut.slice(0, 4)) d.amount = (Number(d.amount) * 2 + 0.5).toFixed(2);
    for (const d of [...shut.slice(4, 8), ...open.slice(0, 4)]) d.segment = d.segment === 'SMB' ? 'Enterprise' : 'SMB';
    for (const d of [...shut.slice(8, 11), ...open.slice(4, 7)]) d.owner = d.owner === 'Менеджер 01' ? 'Менеджер 02' : 'Менеджер 01';
    for (const d of shut.slice(11, 14)) d.channel = d.channel === 'Сайт' ? 'Партнёры' : 'Сайт';
    for (const d of open.slice(7, 10)) d.region = d.region === 'Казань' ? 'Пермь' : 'Казань';
    // Histories reach November (a month without a checkpoint yet): open deals move on, one is won, one lost.
    for (const [i, d] of open.slice(10, 20).entries()) {
      const stage = i === 0 ? 'Успешно реализовано' : i === 1 ? 'Закрыто и не реализовано' : 'Договор';
      events.push({ deal_id: d.deal_id, stage, entered_at: new Date(Date.UTC(2026, 10, 5 + i, 10)).toISOString() });
    }
    for (let i = 0; i < 8; i++) {
      const src = deals[i];
      deals.push({ ...src, deal_id: `NEW-${i}`, title: `Новая ${i}` });
      for (const e of events.filter((x) => x.deal_id === src.deal_id)) events.push({ ...e, deal_id: `NEW-${i}` });
    }
    writeCsv(join(dir, 'deals.csv'), deals);
    writeCsv(join(dir, 'stage_events.csv'), events);
    const rep = await importBundle(db, dir, { workspace: 'Точки', now });
    expect(rep.deals_updated).toBeGreaterThan(20);
    expect(rep.stage_entries_added).toBeGreaterThan(10);
    const months = await expectEveryMonth();
    expect(months.at(-1)?.toISOString()).toBe('2026-10-31T21:00:00.000Z');
    expect(await failingChecks()).toEqual({});
    await expectSameReports([{ from: '2026-11-01', to: '2026-11-10' }]);
  });

  it('after moves, a refresh and changed deal attributes (what the API writes)', async () => {
    const ids = await db.query<{ id: number; pipeline_id: number }>(
      sql`select id, pipeline_id from deals where workspace_id = ${ws} and status = 'open' and stage_entered_at < '2026-10-25' order by id limit 14`,
    );
    const stages = await db.query<{ id: number; name: string }>(sql`select id, name from stages where workspace_id = ${ws}`);
    const stage = (n: string) => stages.find((s) => s.name === n)?.id as number;
    const other = await db.query<{ seg: number; owner: number; channel: number }>(sql`
      select (select max(id) from segments where workspace_id = ${ws}) as seg, (select max(id) from users where workspace_id = ${ws}) as owner,
             (select min(id) from channels where workspace_id = ${ws}) as channel`);
    await inWorkspace(db, ws, async (tx) => {
      // Moves (POST /deals/:id/move appends an entry): on, back, lost, won.
      for (const [i, d] of ids.slice(0, 6).entries()) {
        const to = ['Демо', 'Квалификация', 'Закрыто и не реализовано', 'Успешно реализовано', 'Переговоры', 'Новый лид'][i];
        await appendStageEntry(tx, ws, {
          dealId: d.id,
          pipelineId: d.pipeline_id,
          stageId: stage(to),
          enteredAt: new Date(Date.UTC(2026, 10, 19, 9, i)),
          recordedAt: now,
          userId: null,
          source: 'api',
        });
      }
      // Two moves back-dated to before the latest checkpoint (2026-11-01 in Moscow): the state there changes.
      for (const [i, d] of ids.slice(12, 14).entries())
        await appendStageEntry(tx, ws, {
          dealId: d.id,
          pipelineId: d.pipeline_id,
          stageId: stage(i === 0 ? 'Переговоры' : 'Закрыто и не реализовано'),
          enteredAt: new Date('2026-10-31T12:00:00Z'),
          recordedAt: now,
          userId: null,
          source: 'api',
        });
      // PATCH /deals/:id of segment, owner, channel, region and amount (its afterUpdate copies them onto the visits).
      const patched = ids.slice(6, 12).map((d) => d.id);
      await tx.query(sql`
        update deals set segment_id = ${other[0].seg}, owner_id = ${other[0].owner}, channel_id = ${other[0].channel},
                         region = 'Пермь', amount_minor = amount_minor + 12345
         where workspace_id = ${ws} and id = any(${patched}::int8[])`);
      for (const id of patched) await syncVisitAttributes(tx, ws, id);
      // A refresh of deals whose visits were rebuilt for another reason.
      await refreshDeals(
        tx,
        ws,
        ids.slice(6, 12).map((d) => d.id),
      );
    });
    expect(await failingChecks()).toEqual({});
    await expectSameReports([{ from: '2026-11-01', to: '2026-11-15' }]);
  });

  it('after an older history is imported: the months before the first checkpoint are added', async () => {
    const events = readCsv(join(bundle, 'stage_events.csv'));
    const deals = readCsv(join(bundle, 'deals.csv')).slice(0, 30);
    const shift = (iso: string) => new Date(new Date(iso).getTime() - 900 * 86_400_000).toISOString();
    const dir = mkdtempSync(join(tmpdir(), 'voronka-checkpoints-c-'));
    cpSync(bundle, dir, { recursive: true });
    writeCsv(
      join(dir, 'deals.csv'),
      deals.map((d) => ({ ...d, deal_id: `OLD-${d.deal_id}`, created_at: shift(d.created_at) })),
    );
    writeCsv(
      join(dir, 'stage_events.csv'),
      events
        .filter((e) => deals.some((d) => d.deal_id === e.deal_id))
        .map((e) => ({ ...e, deal_id: `OLD-${e.deal_id}`, entered_at: shift(e.entered_at) })),
    );
    await importBundle(db, dir, { workspace: 'Точки', now });
    const months = await expectEveryMonth();
    expect(months.length).toBeGreaterThan(50);
    expect(await failingChecks()).toEqual({});
    await expectSameReports([{ from: '2022-09-01', to: '2023-01-01', as_of: '2023-01-13T00:00:00+03:00' }]);
  });

  it('after the stages are reordered', async () => {
    const [s] = await db.query<{ id: number; pipeline_id: number; position: number }>(
      sql`select id, pipeline_id, position from stages where workspace_id = ${ws} and name = 'Демо'`,
    );
    await inWorkspace(db, ws, async (tx) => {
      await tx.query(sql`update stages set position = ${s.position - 2} where workspace_id = ${ws} and id = ${s.id}`);
      await normalisePositions(tx, ws, s.pipeline_id, { id: s.id, after: false });
    });
    const [moved] = await db.query<{ position: number }>(sql`select position from stages where workspace_id = ${ws} and id = ${s.id}`);
    expect(moved.position).toBe(s.position - 2);
    expect(await failingChecks()).toEqual({});
    await expectSameReports();
  });

  it('fails the check on a corrupted checkpoint, naming the checkpoint, the stage or the deal', async () => {
    // The checkpoint REQUESTS[0] reads (as of 2026-05-01 in Moscow), and the latest one.
    const at = new Date('2026-04-30T21:00:00Z');
    const [c] = await db.query<{ pipeline_id: number; at: Date; stage_id: number; segment_key: number }>(sql`
      select pipeline_id, at, stage_id, segment_key from funnel_checkpoint_counters
       where workspace_id = ${ws} and at = ${at} and finished > 0 order by stage_id, segment_key limit 1`);
    const [o] = await db.query<{ at: Date; deal_id: number }>(
      sql`select at, deal_id from funnel_checkpoint_open where workspace_id = ${ws} and at = ${at} order by deal_id limit 1 offset 7`,
    );
    const [gone] = await db.query<{ at: Date; deal_id: number }>(
      sql`select at, deal_id from funnel_checkpoint_open where workspace_id = ${ws} and deal_id <> ${o.deal_id} order by at desc, deal_id limit 1`,
    );
    const [name] = await db.query<{ external_id: string }>(
      sql`select external_id from deals where workspace_id = ${ws} and id = ${o.deal_id}`,
    );
    const before = await inWorkspace(db, ws, async (tx) => funnelReport(tx, await resolveFunnelQuery(tx, ws, REQUESTS[0], now)));
    await inWorkspace(db, ws, async (tx) => {
      await tx.query(sql`update funnel_checkpoint_counters set finished = finished + 1
                          where workspace_id = ${ws} and pipeline_id = ${c.pipeline_id} and at = ${c.at} and stage_id = ${c.stage_id} and segment_key = ${c.segment_key}`);
      await tx.query(
        sql`update funnel_checkpoint_open set amount_minor = amount_minor + 1 where workspace_id = ${ws} and at = ${o.at} and deal_id = ${o.deal_id}`,
      );
      await tx.query(sql`delete from funnel_checkpoint_open where workspace_id = ${ws} and at = ${gone.at} and deal_id = ${gone.deal_id}`);
    });
    const failing = await failingChecks();
    expect(failing).toEqual({
      'funnel checkpoints whose counters differ from a recount': [
        `pipeline ${c.pipeline_id} at ${c.at.toISOString().replace('.000Z', 'Z')} stage ${c.stage_id}`,
      ],
      'deals whose visits open at a funnel checkpoint differ from a recount': [o.deal_id, gone.deal_id]
        .sort((a, b) => a - b)
        .map((id) => (id === o.deal_id ? `#${id} (${name.external_id})` : expect.stringMatching(new RegExp(`^#${id} `)))),
    });
    // The copy is what a past report reads: a report through the corrupted checkpoint differs.
    const after = await inWorkspace(db, ws, async (tx) => funnelReport(tx, await resolveFunnelQuery(tx, ws, REQUESTS[0], now)));
    expect(after).not.toEqual(before);
  });
});
