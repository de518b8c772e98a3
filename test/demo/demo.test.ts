import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoPlan, CHANNELS, MANAGERS, SEGMENTS, STAGES } from '../../src/demo/demo-plan.ts';
import { type DemoResult, loadDemo } from '../../src/demo/load-demo.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { AppError } from '../../src/platform/errors.ts';
import { openTestDb } from '../support/test-db.ts';

const AS_OF = new Date('2026-11-20T12:00:00Z');
const DAY = 86_400_000;

describe('the demo plan', () => {
  const plan = buildDemoPlan(7, AS_OF);

  it('is deterministic for a seed and differs between seeds', () => {
    const again = buildDemoPlan(7, AS_OF);
    expect(JSON.stringify(again)).toBe(JSON.stringify(plan));
    const other = buildDemoPlan(8, AS_OF);
    expect(JSON.stringify(other.deals.slice(0, 20))).not.toBe(JSON.stringify(plan.deals.slice(0, 20)));
  });

  it('spans about two years ending at as-of, with every entry in order and none after as-of', () => {
    const first = Math.min(...plan.deals.map((d) => d.events[0].at.getTime()));
    expect((AS_OF.getTime() - first) / DAY).toBeGreaterThan(700);
    for (const d of plan.deals) {
      expect(d.events[0].stage).toBe(0);
      for (let i = 1; i < d.events.length; i++) expect(d.events[i].at.getTime()).toBeGreaterThanOrEqual(d.events[i - 1].at.getTime());
      expect(d.events[d.events.length - 1].at.getTime()).toBeLessThan(AS_OF.getTime());
    }
  });

  it('tells a B2B story: segments differ in cycle and size, managers in results; moves back and reopened deals exist', () => {
    const won = plan.deals.filter((d) => STAGES[d.events[d.events.length - 1].stage].kind === 'won');
    const closed = plan.deals.filter((d) => STAGES[d.events[d.events.length - 1].stage].kind !== 'open');
    const winRate = won.length / closed.length;
    expect(winRate).toBeGreaterThan(0.05);
    expect(winRate).toBeLessThan(0.2);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const cycle = (key: string) =>
      median(
        won.filter((d) => d.segment === key).map((d) => (d.events[d.events.length - 1].at.getTime() - d.events[0].at.getTime()) / DAY),
      );
    const size = (key: string) => median(plan.deals.filter((d) => d.segment === key).map((d) => d.amountMinor));
    expect(cycle('smb')).toBeGreaterThan(20);
    expect(cycle('smb')).toBeLessThan(cycle('mid'));
    expect(cycle('mid')).toBeLessThan(cycle('ent'));
    expect(cycle('ent')).toBeLessThan(190);
    expect(size('smb')).toBeLessThan(size('mid'));
    expect(size('mid')).toBeLessThan(size('ent'));
    expect(new Set(plan.deals.map((d) => d.segment)).size).toBe(SEGMENTS.length);
    expect(new Set(plan.deals.map((d) => d.channel)).size).toBe(CHANNELS.length);
    expect(new Set(plan.deals.map((d) => d.manager)).size).toBe(MANAGERS.length);
    const rates = MANAGERS.map((_, m) => {
      const mine = closed.filter((d) => d.manager === m);
      return mine.filter((d) => won.includes(d)).length / mine.length;
    });
    expect(Math.max(...rates) / Math.min(...rates)).toBeGreaterThan(2);
    const movedBack = plan.deals.filter((d) =>
      d.events.some((e, i) => i > 0 && e.stage < d.events[i - 1].stage && STAGES[d.events[i - 1].stage].kind === 'open'),
    );
    const reopened = plan.deals.filter((d) =>
      d.events.some((e, i) => i > 0 && STAGES[d.events[i - 1].stage].kind === 'lost' && STAGES[e.stage].kind === 'open'),
    );
    expect(movedBack.length).toBeGreaterThan(20);
    expect(reopened.length).toBeGreaterThan(5);
    expect(plan.deals.filter((d) => STAGES[d.events[d.events.length - 1].stage].kind === 'open').length).toBeGreaterThan(80);
    expect(plan.activities.length).toBeGreaterThan(plan.deals.length);
    expect(plan.tasks.filter((t) => t.status === 'open').length).toBeGreaterThan(10);
  });
});

describe('the demo workspace in the database', () => {
  let db: Db;
  let result: DemoResult;
  beforeAll(async () => {
    db = await openTestDb();
    result = await loadDemo(db, { seed: 3, asOf: AS_OF, now: AS_OF });
  });
  afterAll(async () => {
    await db.close();
  });

  it('writes everything the plan holds, with visits and current stages derived from the history', async () => {
    const plan = buildDemoPlan(3, AS_OF);
    const ws = result.workspaceId;
    const count = async (t: string) =>
      (await db.query<{ n: number }>(sql`select count(*)::int8 as n from ${sql([t])} where workspace_id = ${ws}`))[0].n;
    expect(await count('deals')).toBe(plan.deals.length);
    expect(await count('stage_events')).toBe(plan.deals.reduce((s, d) => s + d.events.length, 0));
    expect(await count('stage_visits')).toBe(await count('stage_events'));
    expect(await count('activities')).toBe(plan.activities.length);
    expect(await count('tasks')).toBe(plan.tasks.length);
    expect(await count('users')).toBe(11);
    expect(await count('segments')).toBe(4);
    expect(await count('channels')).toBe(6);
    const mismatched = await db.query(sql`
      select d.id from deals d
       where d.workspace_id = ${ws}
         and row(d.stage_id, d.stage_entered_at) is distinct from (
           select row(v.stage_id, v.entered_at) from stage_visits v where v.workspace_id = d.workspace_id and v.deal_id = d.id and v.exited_at is null)`);
    expect(mismatched).toEqual([]);
    const statuses = await db.query<{ status: string; n: number }>(
      sql`select status, count(*)::int8 as n from deals where workspace_id = ${ws} group by 1 order by 1`,
    );
    const expected = ['lost', 'open', 'won'].map((s) => ({
      status: s,
      n: plan.deals.filter((d) => STAGES[d.events[d.events.length - 1].stage].kind === s).length,
    }));
    expect(statuses).toEqual(expected);
  });

  it('refuses to create a second workspace of the same name', async () => {
    await expect(loadDemo(db, { seed: 3, asOf: AS_OF, now: AS_OF })).rejects.toBeInstanceOf(AppError);
    expect(await db.query('select count(*)::int8 as n from workspaces')).toEqual([{ n: 1 }]);
  });
});
