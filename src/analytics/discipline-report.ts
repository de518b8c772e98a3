import sql, { empty, join, raw, type Sql } from 'sql-template-tag';
import { z } from 'zod';
import type { Queryable } from '../platform/db/types.ts';
import { IN_REVIEW } from '../process/review.ts';
import { monthsOf } from './funnel-query.ts';
import { reportMeta } from './funnel-report.ts';
import type { FunnelQuery, FunnelReportMeta } from './funnel-types.ts';
import { ratio } from './stats.ts';

/**
 * Process discipline (kpi.md): are the key tasks of the playbook done on time,
 * and are the cards filled when a deal enters a stage?
 *
 * The tasks are playbook tasks (made from a template when a deal entered a
 * stage) of the pipeline's deals. As of an instant, a task exists if created
 * before it, is done if done before it, and was dropped if skipped or cancelled
 * before it. A task dropped before its deadline was never due. Deals awaiting the
 * head of sales' review as atypical (or confirmed atypical) are left out.
 * Per owner means the task's owner; segment, channel and region are the deal's.
 */

import { DISCIPLINE_BREAKDOWNS } from './report-keys.ts';

export { DISCIPLINE_BREAKDOWNS };
export type DisciplineBreakdown = (typeof DISCIPLINE_BREAKDOWNS)[number];

export interface DisciplineKpis {
  tasks_due: number;
  tasks_on_time: number;
  on_time_rate: number | null;
  overdue_open: number;
  mean_delay_days: number | null;
  card_completeness: number | null;
  discipline_score: number | null;
}

export const disciplineKpisSchema = z.object({
  tasks_due: z.number().int(),
  tasks_on_time: z.number().int(),
  on_time_rate: z.number().nullable(),
  overdue_open: z.number().int(),
  mean_delay_days: z.number().nullable(),
  card_completeness: z.number().nullable(),
  discipline_score: z.number().nullable(),
});
export const suggestionSchema = z.object({
  stage: z.string(),
  stage_id: z.number().int(),
  segment: z.string().nullable(),
  segment_id: z.number().int().nullable(),
  type: z.string(),
  n: z.number().int(),
  median_days: z.number(),
});
export type Suggestion = z.infer<typeof suggestionSchema>;

/** Filters on the owner (`ownerCol`: the task's, or the deal's for stage entries) and the deal (d). */
function filters(q: FunnelQuery, ownerCol = 't.owner_id'): Sql[] {
  const out: Sql[] = [];
  const f = q.filters;
  const owner = raw(ownerCol);
  if (q.ownerScope) out.push(sql`${owner} = any(${q.ownerScope}::int8[])`);
  if (f.owner) out.push(f.owner.value === null ? sql`${owner} is null` : sql`${owner} = ${f.owner.value}`);
  if (f.team) {
    out.push(
      f.team.value === null
        ? sql`(${owner} is null or ${owner} in (select id from users where workspace_id = ${q.workspaceId} and team is null))`
        : sql`${owner} in (select id from users where workspace_id = ${q.workspaceId} and team = ${f.team.value})`,
    );
  }
  if (f.segment) out.push(f.segment.value === null ? sql`d.segment_id is null` : sql`d.segment_id = ${f.segment.value}`);
  if (f.channel) out.push(f.channel.value === null ? sql`d.channel_id is null` : sql`d.channel_id = ${f.channel.value}`);
  if (f.region) out.push(f.region.value === null ? sql`d.region is null` : sql`d.region = ${f.region.value}`);
  return out;
}

const notInReview = sql`not (${IN_REVIEW} and d.review_decision is distinct from 'typical')`;

function groupOf(by: DisciplineBreakdown | null, q: FunnelQuery, tsCol: string, ownerCol: string): Sql {
  switch (by) {
    case null:
      return raw(`'total'`);
    case 'owner':
      return raw(`${ownerCol}::text`);
    case 'team':
      return raw(`(select u.team from users u where u.workspace_id = d.workspace_id and u.id = ${ownerCol})`);
    case 'segment':
      return raw('d.segment_id::text');
    case 'channel':
      return raw('d.channel_id::text');
    case 'region':
      return raw('d.region');
    case 'month':
      return sql`to_char(${raw(tsCol)} at time zone ${q.timeZone}, 'YYYY-MM')`;
  }
}

/** The task sets of each figure, defined once (report and drill-down). */
export function taskSets(q: FunnelQuery) {
  const end = new Date(Math.min(q.to.getTime(), q.asOf.getTime()));
  const base = [
    sql`t.workspace_id = ${q.workspaceId}`,
    sql`t.template_id is not null`,
    sql`d.pipeline_id = ${q.pipeline.id}`,
    sql`t.created_at < ${q.asOf}`,
    notInReview,
    ...filters(q),
  ];
  const doneBy = sql`(t.done_at is not null and t.done_at < ${q.asOf})`;
  const droppedBy = (at: Sql) => sql`(t.closed_at is not null and t.closed_at < ${at})`;
  const due = [
    ...base,
    sql`t.due_at >= ${q.from} and t.due_at < ${end}`,
    sql`not ${droppedBy(sql`least(t.due_at, ${q.asOf}::timestamptz)`)}`,
  ];
  return {
    base,
    due,
    onTime: [...due, doneBy, sql`t.done_at <= t.due_at`],
    late: [...due, sql`not (${doneBy} and t.done_at <= t.due_at)`],
    overdueOpen: [...base, sql`t.due_at < ${q.asOf}`, sql`not ${doneBy}`, sql`not ${droppedBy(sql`${q.asOf}::timestamptz`)}`],
    doneDue: [...due, doneBy],
    doneBy,
  };
}

const from = sql`from tasks t join deals d on d.workspace_id = t.workspace_id and d.id = t.deal_id`;

interface Partial_ {
  due: number;
  onTime: number;
  overdue: number;
  delay: number | null;
  filled: number;
  required: number;
}

async function figures(tx: Queryable, q: FunnelQuery, by: DisciplineBreakdown | null): Promise<Map<string | null, Partial_>> {
  const s = taskSets(q);
  const out = new Map<string | null, Partial_>();
  const at = (k: string | null) => {
    let p = out.get(k);
    if (!p) {
      p = { due: 0, onTime: 0, overdue: 0, delay: null, filled: 0, required: 0 };
      out.set(k, p);
    }
    return p;
  };
  const dueRows = await tx.query<{ g: string | null; due: number; on_time: number; delay: number | null }>(sql`
    select ${groupOf(by, q, 't.due_at', 't.owner_id')} as g, count(*)::int8 as due,
           count(*) filter (where ${s.doneBy} and t.done_at <= t.due_at)::int8 as on_time,
           avg(greatest(0, extract(epoch from t.done_at - t.due_at)::float8) / 86400) filter (where ${s.doneBy}) as delay
      ${from} where ${join(s.due, ' and ')} group by 1`);
  for (const r of dueRows) Object.assign(at(r.g), { due: r.due, onTime: r.on_time, delay: r.delay });
  // Overdue at as-of does not depend on the period: by month, every month shows the same.
  const overdueBy = by === 'month' ? null : by;
  const overdue = await tx.query<{ g: string | null; n: number }>(sql`
    select ${groupOf(overdueBy, q, 't.due_at', 't.owner_id')} as g, count(*)::int8 as n ${from} where ${join(s.overdueOpen, ' and ')} group by 1`);
  if (by === 'month') {
    for (const m of monthsOf(q)) at(m.key).overdue = overdue[0]?.n ?? 0;
  } else for (const r of overdue) at(r.g).overdue = r.n;
  // Card completeness: stage entries in the period that required fields, by the deal's owner.
  const end = new Date(Math.min(q.to.getTime(), q.asOf.getTime()));
  const onDeal = filters(q, 'd.owner_id');
  const cards = await tx.query<{ g: string | null; filled: number; required: number }>(sql`
    select ${groupOf(by, q, 'e.entered_at', 'd.owner_id')} as g, sum(e.required_filled)::int8 as filled, sum(e.required_total)::int8 as required
      from stage_events e join deals d on d.workspace_id = e.workspace_id and d.id = e.deal_id
     where e.workspace_id = ${q.workspaceId} and d.pipeline_id = ${q.pipeline.id} and e.required_total > 0
       and e.entered_at >= ${q.from} and e.entered_at < ${end} and ${notInReview}
       ${onDeal.length ? sql`and ${join(onDeal, ' and ')}` : empty}
     group by 1`);
  for (const r of cards) Object.assign(at(r.g), { filled: r.filled, required: r.required });
  return out;
}

function assemble(p: Partial_): DisciplineKpis {
  const onTime = ratio(p.onTime, p.due);
  const completeness = ratio(p.filled, p.required);
  const parts = [
    [0.6, onTime],
    [0.4, completeness],
  ].filter(([, v]) => v !== null) as [number, number][];
  const weight = parts.reduce((s, [w]) => s + w, 0);
  return {
    tasks_due: p.due,
    tasks_on_time: p.onTime,
    on_time_rate: onTime,
    overdue_open: p.overdue,
    mean_delay_days: p.delay,
    card_completeness: completeness,
    discipline_score: parts.length === 0 ? null : parts.reduce((s, [w, v]) => s + w * v, 0) / weight,
  };
}

/** Median days from the stage entry to done, per stage, segment and task type, over deals eventually won (n ≥ 10). */
export async function suggestedDueDays(
  tx: Queryable,
  q: Pick<FunnelQuery, 'workspaceId' | 'pipeline' | 'asOf'>,
  only?: { stageId: number; segmentId: number | null; type: string },
): Promise<Suggestion[]> {
  const rows = await tx.query<Suggestion>(sql`
    select st.name as stage, st.id as stage_id, sg.name as segment, d.segment_id, t.type, count(*)::int8 as n,
           percentile_cont(0.5) within group (order by extract(epoch from t.done_at - e.entered_at)::float8 / 86400) as median_days
      from tasks t
      join deals d on d.workspace_id = t.workspace_id and d.id = t.deal_id
      join stage_events e on e.workspace_id = t.workspace_id and e.id = t.stage_event_id
      join stages st on st.workspace_id = t.workspace_id and st.id = e.stage_id
      left join segments sg on sg.workspace_id = d.workspace_id and sg.id = d.segment_id
     where t.workspace_id = ${q.workspaceId} and d.pipeline_id = ${q.pipeline.id} and t.template_id is not null
       and t.done_at is not null and t.done_at < ${q.asOf}
       and exists (select 1 from stage_visits v where v.workspace_id = d.workspace_id and v.deal_id = d.id
                    and v.stage_kind = 'won' and v.entered_at < ${q.asOf} and (v.exited_at is null or v.exited_at >= ${q.asOf}))
       ${only ? sql`and st.id = ${only.stageId} and d.segment_id is not distinct from ${only.segmentId}::int8 and t.type = ${only.type}` : empty}
     group by st.name, st.id, st.position, sg.name, d.segment_id, t.type
    having count(*) >= 10
     order by st.position, sg.name nulls last, t.type`);
  return rows;
}

export type DisciplineReport = Omit<FunnelReportMeta, 'report' | 'by'> & {
  report: 'discipline';
  by: DisciplineBreakdown | null;
  suggested_due_days: Suggestion[];
} & (DisciplineKpis | { groups: (DisciplineKpis & { key: string | null; key_id?: number | null })[]; total: DisciplineKpis });

export async function disciplineReport(tx: Queryable, q: FunnelQuery, by: DisciplineBreakdown | null): Promise<DisciplineReport> {
  const meta = { ...reportMeta(q), report: 'discipline' as const, by };
  const total = assemble(
    (await figures(tx, q, null)).get('total') ?? { due: 0, onTime: 0, overdue: 0, delay: null, filled: 0, required: 0 },
  );
  const suggested_due_days = await suggestedDueDays(tx, q);
  if (!by) return { ...meta, ...total, suggested_due_days } as DisciplineReport;
  const partials = await figures(tx, q, by);
  let keys: (string | null)[];
  const labels = new Map<string, string>();
  if (by === 'month') keys = monthsOf(q).map((m) => m.key);
  else {
    const table = by === 'owner' ? 'users' : by === 'segment' ? 'segments' : by === 'channel' ? 'channels' : null;
    if (table)
      for (const r of await tx.query<{ id: number; name: string }>(
        sql`select id, name from ${raw(table)} where workspace_id = ${q.workspaceId}`,
      ))
        labels.set(String(r.id), r.name);
    keys = [...partials.keys()].sort((a, b) =>
      a === null ? 1 : b === null ? -1 : (labels.get(a) ?? a).localeCompare(labels.get(b) ?? b, 'ru'),
    );
  }
  const idLike = by === 'owner' || by === 'segment' || by === 'channel';
  const groups = keys.map((k) => ({
    key: k === null ? null : (labels.get(k) ?? k),
    ...(idLike ? { key_id: k === null ? null : Number(k) } : {}),
    ...assemble(partials.get(k) ?? { due: 0, onTime: 0, overdue: 0, delay: null, filled: 0, required: 0 }),
  }));
  return { ...meta, groups, total, suggested_due_days } as DisciplineReport;
}

export const DISCIPLINE_METRICS = ['tasks_due', 'tasks_on_time', 'tasks_late', 'overdue_open'] as const;
export type DisciplineMetric = (typeof DISCIPLINE_METRICS)[number];

export const disciplineTaskItem = z.object({
  task_id: z.number().int(),
  title: z.string(),
  type: z.string(),
  deal_id: z.number().int(),
  deal: z.string(),
  owner: z.string().nullable(),
  stage: z.string().nullable(),
  due_at: z.string(),
  done_at: z.string().nullable(),
  delay_days: z.number().nullable().describe('Days late when done or dropped (0 when on time), or days overdue so far'),
});

/** The tasks behind a discipline figure. */
export async function disciplineTasks(tx: Queryable, q: FunnelQuery, metric: DisciplineMetric, page: { limit: number; offset: number }) {
  const s = taskSets(q);
  const cond = metric === 'tasks_due' ? s.due : metric === 'tasks_on_time' ? s.onTime : metric === 'tasks_late' ? s.late : s.overdueOpen;
  const w = join(cond, ' and ');
  const [{ n, on_time }] = await tx.query<{ n: number; on_time: number }>(
    sql`select count(*)::int8 as n, count(*) filter (where ${s.doneBy} and t.done_at <= t.due_at)::int8 as on_time ${from} where ${w}`,
  );
  const rows = await tx.query<Record<string, unknown>>(sql`
    select t.id, t.title, t.type, t.deal_id, d.title as deal, u.name as owner, st.name as stage, t.due_at, t.done_at, t.closed_at
      ${from}
      left join users u on u.workspace_id = t.workspace_id and u.id = t.owner_id
      left join stages st on st.workspace_id = t.workspace_id and st.id = t.stage_id
     where ${w}
     order by t.due_at, t.id limit ${page.limit} offset ${page.offset}`);
  const items = rows.map((r) => {
    const due = r.due_at as Date;
    const done = r.done_at && (r.done_at as Date).getTime() < q.asOf.getTime() ? (r.done_at as Date) : null;
    const dropped = r.closed_at && (r.closed_at as Date).getTime() < q.asOf.getTime() ? (r.closed_at as Date) : null;
    const until = done ?? dropped ?? (due.getTime() < q.asOf.getTime() ? q.asOf : null);
    return {
      task_id: r.id as number,
      title: r.title as string,
      type: r.type as string,
      deal_id: r.deal_id as number,
      deal: r.deal as string,
      owner: (r.owner as string | null) ?? null,
      stage: (r.stage as string | null) ?? null,
      due_at: due.toISOString(),
      done_at: done?.toISOString() ?? null,
      delay_days: until ? Math.max(0, (until.getTime() - due.getTime()) / 86_400_000) : null,
    };
  });
  return { metric, total: n, on_time, items, next_offset: page.offset + items.length < n ? page.offset + items.length : null };
}

export const disciplineEntryItem = z.object({
  deal_id: z.number().int(),
  deal: z.string(),
  owner: z.string().nullable(),
  stage: z.string(),
  entered_at: z.string(),
  required_filled: z.number().int().describe('Fields the stage requires that were filled when the deal entered it'),
  required_total: z.number().int(),
});

/**
 * The stage entries behind card completeness: entries in the period into stages that require
 * fields, by the deal's owner — the same rows the report sums (filled / required).
 */
export async function disciplineEntries(tx: Queryable, q: FunnelQuery, page: { limit: number; offset: number }) {
  const end = new Date(Math.min(q.to.getTime(), q.asOf.getTime()));
  const onDeal = filters(q, 'd.owner_id');
  const w = sql`e.workspace_id = ${q.workspaceId} and d.pipeline_id = ${q.pipeline.id} and e.required_total > 0
       and e.entered_at >= ${q.from} and e.entered_at < ${end} and ${notInReview}
       ${onDeal.length ? sql`and ${join(onDeal, ' and ')}` : empty}`;
  const base = sql`from stage_events e join deals d on d.workspace_id = e.workspace_id and d.id = e.deal_id`;
  const [agg] = await tx.query<{ n: number; filled: number; required: number }>(
    sql`select count(*)::int8 as n, coalesce(sum(e.required_filled), 0)::int8 as filled, coalesce(sum(e.required_total), 0)::int8 as required
      ${base} where ${w}`,
  );
  const rows = await tx.query<Record<string, unknown>>(sql`
    select e.deal_id, d.title as deal, u.name as owner, st.name as stage, e.entered_at, e.required_filled, e.required_total
      ${base}
      join stages st on st.workspace_id = e.workspace_id and st.id = e.stage_id
      left join users u on u.workspace_id = d.workspace_id and u.id = d.owner_id
     where ${w}
     order by (e.required_filled::float8 / e.required_total), e.entered_at, e.id
     limit ${page.limit} offset ${page.offset}`);
  const items = rows.map((r) => ({
    deal_id: r.deal_id as number,
    deal: r.deal as string,
    owner: (r.owner as string | null) ?? null,
    stage: r.stage as string,
    entered_at: (r.entered_at as Date).toISOString(),
    required_filled: r.required_filled as number,
    required_total: r.required_total as number,
  }));
  return {
    total: agg.n,
    required_filled: agg.filled,
    required_total: agg.required,
    items,
    next_offset: page.offset + items.length < agg.n ? page.offset + items.length : null,
  };
}
