import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../../src/demo/load-demo.ts';
import { checkHistory } from '../../src/history/check-history.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { openTestDb } from '../support/test-db.ts';

let db: Db;
let ws: number;
beforeAll(async () => {
  db = await openTestDb();
  const at = new Date('2026-11-20T12:00:00Z');
  ws = (await loadDemo(db, { seed: 9, asOf: at, now: at })).workspaceId;
});
afterAll(async () => {
  await db.close();
});

describe('voronka check', () => {
  it('finds nothing wrong with a consistent workspace', async () => {
    const r = await inWorkspace(db, ws, (tx) => checkHistory(tx, ws));
    expect(r).toHaveLength(9);
    expect(r.filter((x) => x.problems > 0)).toEqual([]);
  });

  it('finds an orphan entry, a stale deal cache and drifted counters', async () => {
    await inWorkspace(db, ws, async (tx) => {
      const [d] = await tx.query<{ id: number; pipeline_id: number; stage_id: number }>(
        sql`select id, pipeline_id, stage_id from deals where workspace_id = ${ws} and status = 'open' limit 1`,
      );
      await tx.query(
        sql`insert into stage_events (workspace_id, deal_id, pipeline_id, stage_id, entered_at) values (${ws}, 999999999, ${d.pipeline_id}, ${d.stage_id}, now())`,
      );
      await tx.query(
        sql`update deals set stage_entered_at = stage_entered_at - interval '1 day' where workspace_id = ${ws} and id = ${d.id}`,
      );
      await tx.query(
        sql`update funnel_counters set finished = finished + 1 where workspace_id = ${ws} and stage_id = ${d.stage_id} and segment_key = (select min(segment_key) from funnel_counters where workspace_id = ${ws} and stage_id = ${d.stage_id})`,
      );
    });
    const r = await inWorkspace(db, ws, (tx) => checkHistory(tx, ws));
    const failing = Object.fromEntries(r.filter((x) => x.problems > 0).map((x) => [x.check, x.problems]));
    expect(failing).toEqual({
      'stage entries of unknown deals': 1,
      'deals whose current stage, status or dates differ from their history': 1,
      'funnel counters that differ from a recount': 1,
    });
  });

  it('names the deals whose visits drifted from their deal or their history', async () => {
    const picked = await inWorkspace(db, ws, async (tx) => {
      const ds = await tx.query<{ id: number; external_id: string | null }>(
        sql`select d.id, d.external_id from deals d where d.workspace_id = ${ws} and d.status = 'won'
             and (select count(*) from stage_visits v where v.workspace_id = d.workspace_id and v.deal_id = d.id) >= 3
             order by d.id limit 3`,
      );
      // An amount and a segment copied onto visits go stale (the re-import defect), a closing date and an
      // exit time drift (what a half-done refresh would leave).
      await tx.query(sql`update stage_visits set amount_minor = amount_minor + 100 where workspace_id = ${ws} and deal_id = ${ds[0].id}`);
      await tx.query(sql`update stage_visits set segment_id = null where workspace_id = ${ws} and deal_id = ${ds[1].id}`);
      await tx.query(sql`update deals set closed_at = closed_at + interval '1 second' where workspace_id = ${ws} and id = ${ds[2].id}`);
      await tx.query(
        sql`update stage_visits set exited_at = exited_at + interval '1 hour' where workspace_id = ${ws} and deal_id = ${ds[2].id} and visit_no = 1`,
      );
      return ds;
    });
    const r = await inWorkspace(db, ws, (tx) => checkHistory(tx, ws));
    const by = Object.fromEntries(r.map((x) => [x.check, x]));
    const label = (d: { id: number; external_id: string | null }) => (d.external_id ? `#${d.id} (${d.external_id})` : `#${d.id}`);
    const attrs = by['deals whose visits carry other attributes than the deal (segment, owner, channel, region, amount)'];
    expect(attrs.problems).toBe(2);
    expect(attrs.examples).toEqual([picked[0], picked[1]].sort((a, b) => a.id - b.id).map(label));
    expect(by['deals whose visits differ from a rebuild from their stage entries'].examples).toContain(label(picked[2]));
    expect(by['deals whose current stage, status or dates differ from their history'].examples).toContain(label(picked[2]));
    expect(by['deals whose visits carry other attributes than the deal (segment, owner, channel, region, amount)'].check_ru).toMatch(
      /^сделки/,
    );
  });
});
