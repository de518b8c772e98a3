import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/crm/check-history.ts';
import { loadDemo } from '../../src/demo/load-demo.ts';
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
    expect(r).toHaveLength(6);
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
      'deals whose visits do not match their stage entries': 1,
      'deals whose current stage differs from their last visit': 1,
      'funnel counters that differ from a recount': 1,
    });
  });
});
