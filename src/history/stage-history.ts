import sql, { raw, type Sql } from 'sql-template-tag';
import { analyzeChanged } from '../platform/db/maintenance.ts';
import type { Queryable } from '../platform/db/types.ts';
import { applyCheckpoints, extendCheckpoints, recountCheckpoints } from './checkpoints.ts';

/**
 * Rebuilds the visits of the given deals from their stage entries and refreshes
 * the deals' current-state cache (stage, status, entry time, closing time).
 *
 * Entries of one deal at the same instant are ordered by stage position, and
 * positions are kept so that open stages come first, then won, then lost — the
 * order kpi.md prescribes. The event id breaks any remaining tie.
 *
 * Each visit also gets what the funnel engine needs (see migration 0002): the
 * next entry, the previous visit to the same stage, the first later entry into a
 * later stage (`advanced_at`), and the bit set of stage positions visited so far.
 * `advanced_at` is the next entry whenever that entry is a later stage; only
 * after a move back or a reopening does it need a look further ahead, done in a
 * second, rare pass.
 */
export async function refreshDeals(tx: Queryable, ws: number, dealIds: number[], newEntryAt?: Date): Promise<void> {
  if (dealIds.length === 0) return;
  await refresh(tx, ws, (col) => sql`${raw(col)} = any(${dealIds}::int8[])`, false, newEntryAt);
}

/** The same for a large set of deals named in a (temporary) table with a `deal_id` column. */
export async function refreshDealsIn(tx: Queryable, ws: number, table: string): Promise<void> {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`bad table name ${table}`);
  await refresh(tx, ws, (col) => sql`${raw(col)} in (select deal_id from ${raw(table)})`, true);
}

/**
 * Serialises the upkeep of the funnel_counters of the deals' pipelines until the
 * transaction ends. A refresh subtracts the deals' old contribution and adds the new
 * one in two statements, each locking its rows in key order; but the second may touch
 * rows the first did not (a deal moved to another segment, or into other stages), so
 * two transactions on different deals could each hold a row the other needs next — a
 * deadlock, which PostgreSQL breaks by failing one of them (a false 409 to the client).
 */
async function lockCounters(tx: Queryable, ws: number, dealIn: (col: string) => Sql): Promise<void> {
  await tx.query(sql`
    select pg_advisory_xact_lock(hashtextextended('voronka.funnel_counters.' || ${ws}::text || '.' || p.pipeline_id::text, 0))
      from (select distinct pipeline_id from deals where workspace_id = ${ws} and ${dealIn('id')} order by 1) p`);
}

/**
 * Adds (sign 1) or removes (sign −1) the given deals' contribution to
 * funnel_counters: their finished visits per stage, and — for a deal closed now —
 * each open stage it visited, won or not. Rows are upserted in key order so that
 * concurrent transactions lock them in the same order.
 */
async function applyCounters(tx: Queryable, ws: number, dealIn: (col: string) => Sql, sign: 1 | -1): Promise<void> {
  await tx.query(sql`
    insert into funnel_counters (workspace_id, pipeline_id, stage_id, segment_key, finished, won, closed, current_closed)
    select ${ws}, pipeline_id, stage_id, seg, ${sign} * sum(finished), ${sign} * sum(won), ${sign} * sum(closed), ${sign} * sum(current_closed)
      from (
        select v.pipeline_id, v.stage_id, coalesce(v.segment_id, 0) as seg, count(*) as finished, 0 as won, 0 as closed, 0 as current_closed
          from stage_visits v
         where v.workspace_id = ${ws} and ${dealIn('v.deal_id')} and v.stage_kind = 'open' and v.exited_at is not null
         group by 1, 2, 3
        union all
        select c.pipeline_id, st.id, coalesce(c.segment_id, 0), 0, count(*) filter (where c.stage_kind = 'won'), count(*), 0
          from stage_visits c
          join stages st on st.workspace_id = c.workspace_id and st.pipeline_id = c.pipeline_id and st.kind = 'open'
                        and (c.cum_mask & (1::int8 << st.position)) <> 0
         where c.workspace_id = ${ws} and ${dealIn('c.deal_id')} and c.exited_at is null and c.stage_kind <> 'open'
         group by 1, 2, 3
        union all
        select c.pipeline_id, c.stage_id, coalesce(c.segment_id, 0), 0, 0, 0, count(*)
          from stage_visits c
         where c.workspace_id = ${ws} and ${dealIn('c.deal_id')} and c.exited_at is null and c.stage_kind <> 'open'
         group by 1, 2, 3
      ) x
     group by pipeline_id, stage_id, seg
     order by pipeline_id, stage_id, seg
    on conflict (workspace_id, pipeline_id, stage_id, segment_key) do update
       set finished = funnel_counters.finished + excluded.finished,
           won = funnel_counters.won + excluded.won,
           closed = funnel_counters.closed + excluded.closed,
           current_closed = funnel_counters.current_closed + excluded.current_closed`);
}

/** Recounts a pipeline's funnel_counters and checkpoints from its visits (after its stages were reordered). */
export async function recountCounters(tx: Queryable, ws: number, pipelineId: number): Promise<void> {
  await lockCounters(
    tx,
    ws,
    (col) => sql`${raw(col)} in (select id from deals where workspace_id = ${ws} and pipeline_id = ${pipelineId})`,
  );
  await tx.query(sql`delete from funnel_counters where workspace_id = ${ws} and pipeline_id = ${pipelineId}`);
  await applyCounters(
    tx,
    ws,
    (col) => sql`${raw(col)} in (select id from deals where workspace_id = ${ws} and pipeline_id = ${pipelineId})`,
    1,
  );
  await recountCheckpoints(tx, ws, pipelineId);
}

/** The columns of stage_visits, in the order `visitRowsSql` writes them. */
export const VISIT_COLUMNS = [
  'workspace_id',
  'deal_id',
  'visit_no',
  'pipeline_id',
  'stage_id',
  'stage_kind',
  'stage_pos',
  'entered_at',
  'exited_at',
  'next_stage_id',
  'next_kind',
  'duration_s',
  'prev_same_stage_at',
  'advanced_at',
  'cum_mask',
  'created_at',
  'segment_id',
  'owner_id',
  'channel_id',
  'region',
  'amount_minor',
] as const;

/**
 * The visits of the given deals as derived from their stage entries and the deals'
 * attributes: the one definition that the refresh writes and `checkHistory` compares
 * with. `advanced_at` is 'infinity' where only a look past the next entry can tell
 * (after a move back or a reopening): the refresh resolves those in a second pass.
 */
export function visitRowsSql(ws: number, dealIn: (col: string) => Sql): Sql {
  return sql`
    select e.workspace_id, e.deal_id, row_number() over w as visit_no, e.pipeline_id, e.stage_id, s.kind as stage_kind,
           s.position as stage_pos, e.entered_at, lead(e.entered_at) over w as exited_at, lead(e.stage_id) over w as next_stage_id,
           lead(s.kind) over w as next_kind, extract(epoch from lead(e.entered_at) over w - e.entered_at)::float8 as duration_s,
           lag(e.entered_at) over (partition by e.deal_id, e.stage_id order by e.entered_at, s.position, e.id) as prev_same_stage_at,
           case when lead(s.kind) over w <> 'lost' and lead(s.position) over w > s.position then lead(e.entered_at) over w
                when lead(e.entered_at, 2) over w is not null then 'infinity'::timestamptz end as advanced_at,
           bit_or(1::int8 << s.position) over w as cum_mask,
           first_value(e.entered_at) over w as created_at,
           d.segment_id, d.owner_id, d.channel_id, d.region, d.amount_minor
      from stage_events e
      join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
      join deals d on d.workspace_id = e.workspace_id and d.id = e.deal_id
     where e.workspace_id = ${ws} and ${dealIn('e.deal_id')}
    window w as (partition by e.deal_id order by e.entered_at, s.position, e.id)`;
}

/** `newEntryAt`: the deals only gained an entry at that instant (a move), so their past before it is as it was. */
async function refresh(tx: Queryable, ws: number, dealIn: (col: string) => Sql, bulk = false, newEntryAt?: Date): Promise<void> {
  await lockCounters(tx, ws, dealIn);
  await applyCounters(tx, ws, dealIn, -1);
  await applyCheckpoints(tx, ws, dealIn, -1, newEntryAt);
  await tx.query(sql`delete from stage_visits where workspace_id = ${ws} and ${dealIn('deal_id')}`);
  const written = await tx.run(sql`insert into stage_visits (${raw(VISIT_COLUMNS.join(', '))}) ${visitRowsSql(ws, dealIn)}`);
  // After a bulk insert the planner's statistics still describe the old table; without
  // fresh ones it picks a nested loop that is quadratic in the number of deals. A few visits
  // among millions (a small re-import) leave them true: re-analyzing then cost 0.6–1.6 s.
  if (bulk) await analyzeChanged(tx, ['stage_visits'], written);
  await tx.query(sql`
    update stage_visits v set advanced_at = (
      select min(x.entered_at) from stage_visits x
       where x.workspace_id = v.workspace_id and x.deal_id = v.deal_id and x.visit_no > v.visit_no
         and x.stage_kind <> 'lost' and x.stage_pos > v.stage_pos)
     where v.workspace_id = ${ws} and ${dealIn('v.deal_id')} and v.advanced_at = 'infinity'`);
  await applyCounters(tx, ws, dealIn, 1);
  await applyCheckpoints(tx, ws, dealIn, 1, newEntryAt);
  // The history may have reached a new month (or begun earlier): its checkpoints follow.
  await extendCheckpoints(tx, ws, dealIn);
  await tx.query(sql`
    update deals d
       set stage_id = v.stage_id,
           status = v.stage_kind,
           stage_entered_at = v.entered_at,
           closed_at = case when v.stage_kind = 'open' then null else v.entered_at end,
           created_at = v.created_at
      from stage_visits v
     where d.workspace_id = ${ws} and ${dealIn('d.id')}
       and v.workspace_id = d.workspace_id and v.deal_id = d.id and v.exited_at is null`);
}

/**
 * Copies deals' filterable attributes (segment, owner, channel, region, amount) onto
 * their visits after the deals changed, and moves their funnel_counters contribution
 * when the segment moved. Every path that changes those columns of `deals` ends here
 * (or in a full refresh, which copies them too); `checkHistory` verifies it.
 */
export async function syncVisitAttributes(tx: Queryable, ws: number, dealIds: number | number[]): Promise<void> {
  const ids = Array.isArray(dealIds) ? dealIds : [dealIds];
  if (ids.length === 0) return;
  await sync(tx, ws, (col) => sql`${raw(col)} = any(${ids}::int8[])`);
}

/** The same for a large set of deals named in a (temporary) table with a `deal_id` column. */
export async function syncVisitAttributesIn(tx: Queryable, ws: number, table: string): Promise<void> {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`bad table name ${table}`);
  await sync(tx, ws, (col) => sql`${raw(col)} in (select deal_id from ${raw(table)})`);
}

async function sync(tx: Queryable, ws: number, dealIn: (col: string) => Sql): Promise<void> {
  await lockCounters(tx, ws, dealIn);
  await applyCounters(tx, ws, dealIn, -1);
  await applyCheckpoints(tx, ws, dealIn, -1);
  await tx.query(sql`
    update stage_visits v set segment_id = d.segment_id, owner_id = d.owner_id, channel_id = d.channel_id,
                              region = d.region, amount_minor = d.amount_minor
      from deals d
     where v.workspace_id = ${ws} and ${dealIn('v.deal_id')} and d.workspace_id = v.workspace_id and d.id = v.deal_id
       and row(v.segment_id, v.owner_id, v.channel_id, v.region, v.amount_minor)
           is distinct from row(d.segment_id, d.owner_id, d.channel_id, d.region, d.amount_minor)`);
  await applyCounters(tx, ws, dealIn, 1);
  await applyCheckpoints(tx, ws, dealIn, 1);
}

/** Appends one stage entry (the history is append-only) and refreshes the deal. */
export async function appendStageEntry(
  tx: Queryable,
  ws: number,
  e: {
    dealId: number;
    pipelineId: number;
    stageId: number;
    enteredAt: Date;
    recordedAt: Date;
    userId: number | null;
    reason?: string | null;
    source: 'api' | 'import' | 'demo' | 'ui';
    forced?: boolean;
    /** Fields the stage required at entry, and how many were filled (card completeness). */
    required?: { total: number; filled: number };
  },
): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    sql`insert into stage_events (workspace_id, deal_id, pipeline_id, stage_id, entered_at, recorded_at, user_id, reason, source, forced, required_total, required_filled)
        values (${ws}, ${e.dealId}, ${e.pipelineId}, ${e.stageId}, ${e.enteredAt}, ${e.recordedAt}, ${e.userId}, ${e.reason ?? null}, ${e.source},
                ${e.forced ?? false}, ${e.required?.total ?? null}, ${e.required?.filled ?? null})
        returning id`,
  );
  await refreshDeals(tx, ws, [e.dealId], e.enteredAt);
  return row.id;
}
