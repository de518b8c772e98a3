import sql, { empty, raw, type Sql } from 'sql-template-tag';
import { analyzeChanged } from '../platform/db/maintenance.ts';
import type { Queryable } from '../platform/db/types.ts';

/**
 * Monthly checkpoints of the funnel (migration 0013): for every month start in the workspace's
 * time zone from the month of a pipeline's first entry to its last entry, funnel_counters as they
 * stood at that instant and the list of visits open then. A past as-of report reads the latest
 * checkpoint at or before its as-of and adds what happened in between (`countersAtSql`,
 * `openAtSql`), instead of reading one whole side of the history.
 *
 * Upkeep is funnel_counters': whatever rebuilds a deal's visits or copies its attributes removes
 * the deal's contribution to every checkpoint of its pipeline before (`applyCheckpoints(−1)`) and
 * adds it back after (`+1`), in the same transaction under the same lock; a refresh then adds the
 * month starts its pipelines' histories have reached (`extendCheckpoints`), each computed from the
 * one before as a report would be. `voronka check` recounts them all from the visits.
 */

type DealIn = (col: string) => Sql;

/**
 * Which checkpoints to count: some of one pipeline (those being created), those after an instant
 * (a new entry changes no state before it), or, absent, every checkpoint of the workspace.
 */
type Only = { pipelineId: number; ats: Date[] } | { after: Date } | undefined;

const onlySql = (only: Only): Sql =>
  !only
    ? empty
    : 'after' in only
      ? sql`and k.at > ${only.after}`
      : sql`and k.pipeline_id = ${only.pipelineId} and k.at = any(${only.ats}::timestamptz[])`;

/**
 * Per pipeline, the checkpoints to count as one sorted array: `width_bucket(t, ats)` is then the
 * number of them at or before t, so a visit runs at checkpoints lo..hi (entered before, not exited
 * before) and is finished from hi + 1 on. Counting by these ranges reads each visit once, however
 * many checkpoints there are.
 */
function checkpointArrays(ws: number, only: Only): Sql {
  return sql`
    select k.pipeline_id, array_agg(k.at order by k.at) as ats, count(*)::int as n
      from funnel_checkpoints k
     where k.workspace_id = ${ws} ${onlySql(only)}
     group by 1`;
}

/** The given deals' visits with the range of checkpoints (indexes into `ats`) each runs at: lo..hi. */
function visitRanges(ws: number, dealIn: DealIn, only: Only, kind: Sql, cols: string): Sql {
  return sql`
    select ${raw(cols.replace(/(\w+)/g, 'v.$1'))}, c.n, width_bucket(v.entered_at, c.ats) + 1 as lo,
           case when v.exited_at is null then c.n else width_bucket(v.exited_at, c.ats) end as hi
      from stage_visits v join (${checkpointArrays(ws, only)}) c on c.pipeline_id = v.pipeline_id
     where v.workspace_id = ${ws} and ${dealIn('v.deal_id')} and ${kind}`;
}

/**
 * The given deals' contribution to the counters of each checkpoint of their pipelines, counted
 * from their visits as funnel_counters is, with "exited" and "closed" read at the checkpoint's
 * instant: rows (pipeline_id, at, stage_id, seg, finished, won, closed, current_closed). A visit
 * adds +1 where its range starts and −1 after it ends; the sums up to each checkpoint are its
 * counters.
 */
export function checkpointCountersSql(ws: number, dealIn: DealIn, only?: Only): Sql {
  return sql`
    with c as (${checkpointArrays(ws, only)}),
    o as (${visitRanges(ws, dealIn, only, sql`v.stage_kind = 'open' and v.exited_at is not null`, 'pipeline_id, stage_id, segment_id')}),
    w as (${visitRanges(ws, dealIn, only, sql`v.stage_kind <> 'open'`, 'workspace_id, pipeline_id, stage_id, stage_kind, segment_id, cum_mask')}),
    we as (select w.*, e.i, e.s from w cross join lateral (values (w.lo, 1), (w.hi + 1, -1)) e (i, s) where w.lo <= w.hi and e.i <= w.n),
    d as (
      select pipeline_id, stage_id, coalesce(segment_id, 0) as seg, hi + 1 as i, 1 as finished, 0 as won, 0 as closed, 0 as current_closed
        from o where hi + 1 <= n
      union all
      select pipeline_id, stage_id, coalesce(segment_id, 0), i, 0, 0, 0, s from we
      union all
      select we.pipeline_id, st.id, coalesce(we.segment_id, 0), we.i, 0, case when we.stage_kind = 'won' then we.s else 0 end, we.s, 0
        from we join stages st on st.workspace_id = we.workspace_id and st.pipeline_id = we.pipeline_id and st.kind = 'open'
                              and (we.cum_mask & (1::int8 << st.position)) <> 0),
    g as (select pipeline_id, stage_id, seg, i, sum(finished) as finished, sum(won) as won, sum(closed) as closed,
                 sum(current_closed) as current_closed
            from d group by 1, 2, 3, 4)
    select c.pipeline_id, c.ats[x.i] as at, g.stage_id, g.seg, sum(g.finished)::int8 as finished, sum(g.won)::int8 as won,
           sum(g.closed)::int8 as closed, sum(g.current_closed)::int8 as current_closed
      from c cross join lateral generate_series(1, c.n) x (i)
      join g on g.pipeline_id = c.pipeline_id and g.i <= x.i
     group by 1, 2, 3, 4
    having (sum(g.finished), sum(g.won), sum(g.closed), sum(g.current_closed)) <> (0, 0, 0, 0)`;
}

/** The columns of funnel_checkpoint_open after its key (workspace, pipeline, at). */
const OPEN_COLUMNS = 'deal_id, visit_no, stage_id, entered_at, amount_minor, segment_id, owner_id, channel_id, region';

/** The given deals' visits open at each checkpoint of their pipelines, from scratch: rows of funnel_checkpoint_open. */
export function checkpointOpenSql(ws: number, dealIn: DealIn, only?: Only): Sql {
  return sql`
    select r.workspace_id, r.pipeline_id, c.ats[x.i] as at, ${raw(OPEN_COLUMNS.replace(/(\w+)/g, 'r.$1'))}
      from (${visitRanges(ws, dealIn, only, sql`v.stage_kind = 'open'`, `workspace_id, pipeline_id, ${OPEN_COLUMNS}`)}) r
      join (${checkpointArrays(ws, only)}) c on c.pipeline_id = r.pipeline_id
      cross join lateral generate_series(r.lo, r.hi) x (i)
     where r.lo <= r.hi`;
}

async function upsertCounters(tx: Queryable, ws: number, rows: Sql, sign: 1 | -1): Promise<void> {
  await tx.query(sql`
    insert into funnel_checkpoint_counters (workspace_id, pipeline_id, at, stage_id, segment_key, finished, won, closed, current_closed)
    select ${ws}, pipeline_id, at, stage_id, seg, ${sign} * finished, ${sign} * won, ${sign} * closed, ${sign} * current_closed
      from (${rows}) r
     order by pipeline_id, at, stage_id, seg
    on conflict (workspace_id, pipeline_id, at, stage_id, segment_key) do update
       set finished = funnel_checkpoint_counters.finished + excluded.finished,
           won = funnel_checkpoint_counters.won + excluded.won,
           closed = funnel_checkpoint_counters.closed + excluded.closed,
           current_closed = funnel_checkpoint_counters.current_closed + excluded.current_closed`);
}

/**
 * Removes (−1) or adds (+1) the given deals' contribution to every checkpoint of their pipelines,
 * as `applyCounters` does for funnel_counters and right beside it (the caller holds its lock).
 * With `after`, only to the checkpoints after that instant: a new entry at it leaves every state
 * before it as it was (the visit it ends still runs until it; the open lists keep no exit), so an
 * ordinary move, later than every checkpoint, touches none.
 */
export async function applyCheckpoints(tx: Queryable, ws: number, dealIn: DealIn, sign: 1 | -1, after?: Date): Promise<void> {
  const only = after ? { after } : undefined;
  if (after) {
    const [{ any }] = await tx.query<{ any: boolean }>(
      sql`select exists (select 1 from funnel_checkpoints where workspace_id = ${ws} and at > ${after}) as any`,
    );
    if (!any) return;
  }
  await upsertCounters(tx, ws, checkpointCountersSql(ws, dealIn, only), sign);
  if (sign === -1)
    await tx.query(
      sql`delete from funnel_checkpoint_open where workspace_id = ${ws} and ${dealIn('deal_id')} ${after ? sql`and at > ${after}` : empty}`,
    );
  else
    await tx.query(
      sql`insert into funnel_checkpoint_open (workspace_id, pipeline_id, at, ${raw(OPEN_COLUMNS)}) ${checkpointOpenSql(ws, dealIn, only)}`,
    );
}

/**
 * funnel_counters' rows as they stood at `t`, from the checkpoint at `c` ≤ t plus what happened in
 * [c, t): the exits of open-stage visits; closings entered in [c, t) and still closed at t; minus
 * the closings running at c that were left before t (a deal reopened). The same columns as
 * funnel_counters, one row per part (sum them per stage and segment).
 */
export function countersAtSql(ws: number, pipelineId: number, c: Date, t: Date): Sql {
  const inRange = (col: string) => sql`${raw(col)} >= ${c} and ${raw(col)} < ${t}`;
  // A closing counts on its own stage (current_closed) and on each open stage it visited (won, closed).
  const closings = (sign: number, cond: Sql) => sql`
    select v.stage_id, coalesce(v.segment_id, 0), 0, 0, 0, ${sign}::int8
      from stage_visits v where v.workspace_id = ${ws} and v.pipeline_id = ${pipelineId} and v.stage_kind <> 'open' and ${cond}
    union all
    select st.id, coalesce(v.segment_id, 0), 0, case when v.stage_kind = 'won' then ${sign}::int8 else 0 end, ${sign}::int8, 0
      from stage_visits v
      join stages st on st.workspace_id = v.workspace_id and st.pipeline_id = v.pipeline_id and st.kind = 'open'
                    and (v.cum_mask & (1::int8 << st.position)) <> 0
     where v.workspace_id = ${ws} and v.pipeline_id = ${pipelineId} and v.stage_kind <> 'open' and ${cond}`;
  return sql`(
    select ${ws}::int8 as workspace_id, ${pipelineId}::int8 as pipeline_id, stage_id, segment_key, finished, won, closed, current_closed
      from (
        select stage_id, segment_key, finished, won, closed, current_closed
          from funnel_checkpoint_counters where workspace_id = ${ws} and pipeline_id = ${pipelineId} and at = ${c}
        union all
        select v.stage_id, coalesce(v.segment_id, 0), count(*), 0, 0, 0
          from stage_visits v
         where v.workspace_id = ${ws} and v.pipeline_id = ${pipelineId} and ${inRange('v.exited_at')} and v.stage_kind = 'open'
         group by 1, 2
        union all
        ${closings(1, sql`${inRange('v.entered_at')} and (v.exited_at is null or v.exited_at >= ${t})`)}
        union all
        ${closings(-1, sql`${inRange('v.exited_at')} and v.entered_at < ${c}`)}
      ) x (stage_id, segment_key, finished, won, closed, current_closed))`;
}

/**
 * The visits of open stages at `t` with stage_visits' column names (so the report's conditions
 * apply unchanged), from the checkpoint at `c` ≤ t: its open list less the deals that left their
 * stage in [c, t) (a deal's first exit after c is that of the visit it was in at c), and the
 * open-stage visits entered in [c, t), of which the caller's "running at" keeps those not exited.
 */
export function openAtSql(ws: number, pipelineId: number, c: Date, t: Date): Sql {
  return sql`(
    select o.workspace_id, o.pipeline_id, o.deal_id, o.visit_no, o.stage_id, 'open'::text as stage_kind, o.entered_at,
           null::timestamptz as exited_at, o.amount_minor, o.segment_id, o.owner_id, o.channel_id, o.region
      from funnel_checkpoint_open o
     where o.workspace_id = ${ws} and o.pipeline_id = ${pipelineId} and o.at = ${c}
       and not exists (select 1 from stage_visits x where x.workspace_id = ${ws} and x.pipeline_id = ${pipelineId}
                          and x.exited_at >= ${c} and x.exited_at < ${t} and x.deal_id = o.deal_id)
    union all
    select v.workspace_id, v.pipeline_id, v.deal_id, v.visit_no, v.stage_id, v.stage_kind, v.entered_at, v.exited_at,
           v.amount_minor, v.segment_id, v.owner_id, v.channel_id, v.region
      from stage_visits v
     where v.workspace_id = ${ws} and v.pipeline_id = ${pipelineId} and v.entered_at >= ${c} and v.entered_at < ${t} and v.stage_kind = 'open')`;
}

/** The latest checkpoint of the pipeline at or before `t`, if any. */
export async function latestCheckpoint(tx: Queryable, ws: number, pipelineId: number, t: Date): Promise<Date | null> {
  const [r] = await tx.query<{ at: Date | null }>(sql`
    select max(at) as at from funnel_checkpoints where workspace_id = ${ws} and pipeline_id = ${pipelineId} and at <= ${t}`);
  return r?.at ?? null;
}

/**
 * Adds the checkpoints the histories of the given deals' pipelines now call for: every month start
 * (workspace time zone) from the month of the pipeline's first entry to its last entry. A month
 * after an existing checkpoint (the month a history has just reached) is the state at its instant
 * computed from the checkpoint before it, as a report would compute it: a month of activity. A
 * pipeline without an earlier checkpoint (a first import, or an older history imported later)
 * gets all its missing ones counted from scratch, in one pass over its visits. Returns how many.
 */
export async function extendCheckpoints(tx: Queryable, ws: number, dealIn: DealIn): Promise<number> {
  const missing = await tx.query<{ pipeline_id: number; ats: Date[]; prev: Date | null }>(sql`
    select p.pipeline_id, array_agg(m.at order by m.at) as ats,
           (select max(k.at) from funnel_checkpoints k where k.workspace_id = ${ws} and k.pipeline_id = p.pipeline_id
                                                        and k.at < min(m.at)) as prev
      from (select distinct pipeline_id from deals where workspace_id = ${ws} and ${dealIn('id')}) p
      cross join lateral (select min(entered_at) as first, max(entered_at) as last from stage_visits v
                           where v.workspace_id = ${ws} and v.pipeline_id = p.pipeline_id) r
      cross join (select timezone as tz from workspaces where workspace_id = ${ws}) w
      cross join lateral (select s at time zone w.tz as at
                            from generate_series(date_trunc('month', r.first at time zone w.tz), r.last at time zone w.tz, interval '1 month') s) m
     where not exists (select 1 from funnel_checkpoints k where k.workspace_id = ${ws} and k.pipeline_id = p.pipeline_id and k.at = m.at)
     group by 1 order by 1`);
  let added = 0;
  for (const { pipeline_id: p, ats, prev } of missing) {
    await tx.query(sql`insert into funnel_checkpoints (workspace_id, pipeline_id, at) select ${ws}, ${p}, unnest(${ats}::timestamptz[])`);
    added += ats.length;
    if (prev === null) {
      // Every visit of the pipeline (`only` keeps the pipeline's new checkpoints): its deals' visits.
      const all: DealIn = () => sql`true`;
      const only = { pipelineId: p, ats };
      const rows = await withoutJit(tx, async () => {
        await upsertCounters(tx, ws, checkpointCountersSql(ws, all, only), 1);
        return tx.run(
          sql`insert into funnel_checkpoint_open (workspace_id, pipeline_id, at, ${raw(OPEN_COLUMNS)}) ${checkpointOpenSql(ws, all, only)} order by 3, 4`,
        );
      });
      await analyzeChanged(tx, ['funnel_checkpoint_counters', 'funnel_checkpoint_open'], rows);
      continue;
    }
    for (const at of ats) {
      const from = (await latestCheckpoint(tx, ws, p, new Date(at.getTime() - 1))) as Date;
      await tx.query(sql`
        insert into funnel_checkpoint_counters (workspace_id, pipeline_id, at, stage_id, segment_key, finished, won, closed, current_closed)
        select ${ws}, ${p}, ${at}, stage_id, segment_key, sum(finished), sum(won), sum(closed), sum(current_closed)
          from ${countersAtSql(ws, p, from, at)} x
         group by stage_id, segment_key
        having (sum(finished), sum(won), sum(closed), sum(current_closed)) <> (0, 0, 0, 0)`);
      await tx.query(sql`
        insert into funnel_checkpoint_open (workspace_id, pipeline_id, at, ${raw(OPEN_COLUMNS)})
        select ${ws}, ${p}, ${at}, ${raw(OPEN_COLUMNS)} from ${openAtSql(ws, p, from, at)} v
         where v.exited_at is null or v.exited_at >= ${at}
         order by deal_id`);
    }
  }
  return added;
}

/**
 * Runs `fn` with PostgreSQL's JIT compilation off: a count over every visit is estimated at
 * millions of rows per checkpoint (the planner cannot know how few checkpoints a visit spans), and
 * compiling it cost 0.8 s of a 3 s statement at 100,000 deals. The setting is put back after.
 */
async function withoutJit<T>(tx: Queryable, fn: () => Promise<T>): Promise<T> {
  if (tx.engine !== 'postgres') return fn();
  const [{ jit }] = await tx.query<{ jit: string }>(sql`select current_setting('jit') as jit, set_config('jit', 'off', true)`);
  try {
    return await fn();
  } finally {
    await tx.query(sql`select set_config('jit', ${jit}, true)`);
  }
}

/** Drops a pipeline's checkpoints and counts them again (after its stages were reordered). */
export async function recountCheckpoints(tx: Queryable, ws: number, pipelineId: number): Promise<void> {
  await tx.query(sql`delete from funnel_checkpoint_open where workspace_id = ${ws} and pipeline_id = ${pipelineId}`);
  await tx.query(sql`delete from funnel_checkpoints where workspace_id = ${ws} and pipeline_id = ${pipelineId}`);
  await extendCheckpoints(
    tx,
    ws,
    (col) => sql`${raw(col)} in (select id from deals where workspace_id = ${ws} and pipeline_id = ${pipelineId})`,
  );
}
