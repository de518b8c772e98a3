import sql from 'sql-template-tag';
import type { Queryable } from '../platform/db/types.ts';
import { checkpointCountersSql, checkpointOpenSql } from './checkpoints.ts';
import { visitRowsSql } from './stage-history.ts';

export interface CheckResult {
  check: string;
  check_ru: string;
  problems: number;
  /** The first problem: a deal as `#id (external id)`, an entry or stage id, or a checkpoint and stage. */
  example: string | null;
  /** Up to ten of them, in id order. */
  examples: string[];
}

/**
 * Integrity of the stage history and everything derived from it, for one
 * workspace: the history tables carry no per-row foreign keys (they are written
 * in bulk), so this is where their references are verified — and where the
 * derived visits, deal cache, funnel counters and their monthly checkpoints are compared with a recount.
 */
export async function checkHistory(tx: Queryable, ws: number): Promise<CheckResult[]> {
  const checks: [{ en: string; ru: string }, ReturnType<typeof sql>][] = [
    [
      { en: 'stage entries of unknown deals', ru: 'записи этапов несуществующих сделок' },
      sql`select e.id::text as example from stage_events e where e.workspace_id = ${ws}
           and not exists (select 1 from deals d where d.workspace_id = e.workspace_id and d.id = e.deal_id)`,
    ],
    [
      { en: 'stage entries of unknown stages (or of another pipeline)', ru: 'записи несуществующих этапов (или этапов другой воронки)' },
      sql`select e.id::text as example from stage_events e where e.workspace_id = ${ws}
           and not exists (select 1 from stages s where s.workspace_id = e.workspace_id and s.id = e.stage_id and s.pipeline_id = e.pipeline_id)`,
    ],
    [
      { en: 'deals without any stage entry', ru: 'сделки без единой записи этапа' },
      sql`select d.id::text as example from deals d where d.workspace_id = ${ws}
           and not exists (select 1 from stage_events e where e.workspace_id = d.workspace_id and e.deal_id = d.id)`,
    ],
    [
      {
        en: 'deals whose visits differ from a rebuild from their stage entries',
        ru: 'сделки, чьи визиты не совпадают с пересчётом по истории этапов',
      },
      sql`with e0 as (${visitRowsSql(ws, () => sql`true`)}),
          e as (select e0.*, case when e0.advanced_at = 'infinity' then (
                  select min(x.entered_at) from e0 x where x.deal_id = e0.deal_id and x.visit_no > e0.visit_no
                     and x.stage_kind <> 'lost' and x.stage_pos > e0.stage_pos) else e0.advanced_at end as adv from e0),
          v as (select * from stage_visits where workspace_id = ${ws})
          select distinct coalesce(e.deal_id, v.deal_id) as deal_id
            from e full join v on v.deal_id = e.deal_id and v.visit_no = e.visit_no
           where row(e.pipeline_id, e.stage_id, e.stage_kind, e.stage_pos, e.entered_at, e.exited_at, e.next_stage_id, e.next_kind,
                     e.duration_s, e.prev_same_stage_at, e.adv, e.cum_mask, e.created_at)
                 is distinct from row(v.pipeline_id, v.stage_id, v.stage_kind, v.stage_pos, v.entered_at, v.exited_at, v.next_stage_id,
                     v.next_kind, v.duration_s, v.prev_same_stage_at, v.advanced_at, v.cum_mask, v.created_at)`,
    ],
    [
      {
        en: 'deals whose visits carry other attributes than the deal (segment, owner, channel, region, amount)',
        ru: 'сделки, чьи визиты хранят другие сегмент, ответственного, канал, регион или сумму, чем сама сделка',
      },
      sql`select distinct v.deal_id from stage_visits v join deals d on d.workspace_id = v.workspace_id and d.id = v.deal_id
           where v.workspace_id = ${ws}
             and row(v.segment_id, v.owner_id, v.channel_id, v.region, v.amount_minor)
                 is distinct from row(d.segment_id, d.owner_id, d.channel_id, d.region, d.amount_minor)`,
    ],
    [
      {
        en: 'deals whose current stage, status or dates differ from their history',
        ru: 'сделки, чьи текущий этап, статус или даты расходятся с историей',
      },
      sql`select d.id as deal_id from deals d
            left join stage_visits v on v.workspace_id = d.workspace_id and v.deal_id = d.id and v.exited_at is null
           where d.workspace_id = ${ws}
             and exists (select 1 from stage_events e where e.workspace_id = d.workspace_id and e.deal_id = d.id)
             and row(d.stage_id, d.stage_entered_at, d.status, d.closed_at, d.created_at)
                 is distinct from row(v.stage_id, v.entered_at, v.stage_kind,
                                      case when v.stage_kind = 'open' then null else v.entered_at end, v.created_at)`,
    ],
    [
      { en: 'funnel counters that differ from a recount', ru: 'счётчики воронки, расходящиеся с пересчётом' },
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
    [
      {
        en: 'funnel checkpoints whose counters differ from a recount',
        ru: 'контрольные точки воронки, чьи счётчики расходятся с пересчётом',
      },
      sql`with recount as (${checkpointCountersSql(ws, () => sql`true`)}),
          kept as (select pipeline_id, at, stage_id, segment_key as seg, finished, won, closed, current_closed from funnel_checkpoint_counters
                    where workspace_id = ${ws} and (finished, won, closed, current_closed) <> (0, 0, 0, 0))
          select distinct 'pipeline ' || pipeline_id || ' at ' || to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' stage ' || stage_id as label
            from recount r full join kept k using (pipeline_id, at, stage_id, seg)
           where row(r.finished, r.won, r.closed, r.current_closed) is distinct from row(k.finished, k.won, k.closed, k.current_closed)`,
    ],
    [
      {
        en: 'deals whose visits open at a funnel checkpoint differ from a recount',
        ru: 'сделки, чьи открытые на контрольную точку воронки визиты расходятся с пересчётом',
      },
      sql`with recount as (${checkpointOpenSql(ws, () => sql`true`)}),
          kept as (select * from funnel_checkpoint_open where workspace_id = ${ws})
          select distinct coalesce(r.deal_id, k.deal_id) as deal_id
            from recount r full join kept k using (pipeline_id, at, deal_id)
           where row(r.visit_no, r.stage_id, r.entered_at, r.amount_minor, r.segment_id, r.owner_id, r.channel_id, r.region)
                 is distinct from row(k.visit_no, k.stage_id, k.entered_at, k.amount_minor, k.segment_id, k.owner_id, k.channel_id, k.region)`,
    ],
  ];
  const out: CheckResult[] = [];
  for (const [check, q] of checks) {
    const rows = await tx.query<{ example?: string; deal_id?: number; label?: string }>(q);
    if (rows[0]?.label !== undefined) {
      const examples = rows
        .map((r) => r.label as string)
        .sort()
        .slice(0, 10);
      out.push({ check: check.en, check_ru: check.ru, problems: rows.length, example: examples[0] ?? null, examples });
      continue;
    }
    const first = rows
      .map((r) => r.deal_id ?? Number(r.example))
      .sort((a, b) => a - b)
      .slice(0, 10);
    let examples = first.map(String);
    if (rows[0]?.deal_id !== undefined) {
      const names = new Map(
        (
          await tx.query<{ id: number; external_id: string | null }>(
            sql`select id, external_id from deals where workspace_id = ${ws} and id = any(${first}::int8[])`,
          )
        ).map((d) => [Number(d.id), d.external_id]),
      );
      examples = first.map((id) => (names.get(id) ? `#${id} (${names.get(id)})` : `#${id}`));
    }
    out.push({ check: check.en, check_ru: check.ru, problems: rows.length, example: examples[0] ?? null, examples });
  }
  return out;
}
