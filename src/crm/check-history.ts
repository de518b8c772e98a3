import sql from 'sql-template-tag';
import type { Queryable } from '../platform/db/types.ts';

export interface CheckResult {
  check: string;
  problems: number;
  example: string | null;
}

/**
 * Integrity of the stage history and everything derived from it, for one
 * workspace: the history tables carry no per-row foreign keys (they are written
 * in bulk), so this is where their references are verified — and where the
 * derived visits, deal cache and funnel counters are compared with a recount.
 */
export async function checkHistory(tx: Queryable, ws: number): Promise<CheckResult[]> {
  const checks: [string, ReturnType<typeof sql>][] = [
    [
      'stage entries of unknown deals',
      sql`select e.id::text as example from stage_events e where e.workspace_id = ${ws}
           and not exists (select 1 from deals d where d.workspace_id = e.workspace_id and d.id = e.deal_id)`,
    ],
    [
      'stage entries of unknown stages (or of another pipeline)',
      sql`select e.id::text as example from stage_events e where e.workspace_id = ${ws}
           and not exists (select 1 from stages s where s.workspace_id = e.workspace_id and s.id = e.stage_id and s.pipeline_id = e.pipeline_id)`,
    ],
    [
      'deals without any stage entry',
      sql`select d.id::text as example from deals d where d.workspace_id = ${ws}
           and not exists (select 1 from stage_events e where e.workspace_id = d.workspace_id and e.deal_id = d.id)`,
    ],
    [
      'deals whose visits do not match their stage entries',
      sql`select coalesce(e.deal_id, v.deal_id)::text as example
            from (select deal_id, count(*) as n from stage_events where workspace_id = ${ws} group by 1) e
            full join (select deal_id, count(*) as n from stage_visits where workspace_id = ${ws} group by 1) v on v.deal_id = e.deal_id
           where e.n is distinct from v.n`,
    ],
    [
      'deals whose current stage differs from their last visit',
      sql`select d.id::text as example from deals d
            join stage_visits v on v.workspace_id = d.workspace_id and v.deal_id = d.id and v.exited_at is null
           where d.workspace_id = ${ws} and row(d.stage_id, d.stage_entered_at, d.status) is distinct from row(v.stage_id, v.entered_at, v.stage_kind)`,
    ],
    [
      'funnel counters that differ from a recount',
      sql`with recount as (
            select pipeline_id, stage_id, seg, sum(finished) as finished, sum(won) as won, sum(closed) as closed, sum(current_closed) as current_closed
              from (
                select v.pipeline_id, v.stage_id, coalesce(v.segment_id, 0) as seg, count(*) as finished, 0 as won, 0 as closed, 0 as current_closed
                  from stage_visits v where v.workspace_id = ${ws} and v.stage_kind = 'open' and v.exited_at is not null group by 1, 2, 3
                union all
                select c.pipeline_id, st.id, coalesce(c.segment_id, 0), 0, count(*) filter (where c.stage_kind = 'won'), count(*), 0
                  from stage_visits c join stages st on st.workspace_id = c.workspace_id and st.pipeline_id = c.pipeline_id and st.kind = 'open'
                                                   and (c.cum_mask & (1::int8 << st.position)) <> 0
                 where c.workspace_id = ${ws} and c.exited_at is null and c.stage_kind <> 'open' group by 1, 2, 3
                union all
                select c.pipeline_id, c.stage_id, coalesce(c.segment_id, 0), 0, 0, 0, count(*)
                  from stage_visits c where c.workspace_id = ${ws} and c.exited_at is null and c.stage_kind <> 'open' group by 1, 2, 3
              ) x group by 1, 2, 3),
          kept as (select pipeline_id, stage_id, segment_key as seg, finished, won, closed, current_closed from funnel_counters
                    where workspace_id = ${ws} and (finished, won, closed, current_closed) <> (0, 0, 0, 0))
          select coalesce(r.stage_id, k.stage_id)::text as example from recount r full join kept k using (pipeline_id, stage_id, seg)
           where row(r.finished, r.won, r.closed, r.current_closed) is distinct from row(k.finished, k.won, k.closed, k.current_closed)`,
    ],
  ];
  const out: CheckResult[] = [];
  for (const [check, q] of checks) {
    const rows = await tx.query<{ example: string }>(q);
    out.push({ check, problems: rows.length, example: rows[0]?.example ?? null });
  }
  return out;
}
