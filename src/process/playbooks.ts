import sql from 'sql-template-tag';
import { z } from 'zod';
import type { AppContext } from '../platform/context.ts';
import type { Queryable, Row } from '../platform/db/types.ts';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { readTime, requiredText } from '../platform/resource/fields.ts';
import { idSchema, type Resource } from '../platform/resource/resource.ts';
import { addDays, loadCalendar } from './calendar.ts';
import { TASK_TYPES } from './task-kinds.ts';

/**
 * Playbooks: the key tasks of each stage, per segment, as templates. Entering a
 * stage creates its tasks; a template may instead count from another template's
 * task being done ("follow-up 5 days after the proposal was sent"). Tasks copy
 * what they need from the template, so editing a playbook never rewrites past
 * tasks or last month's report.
 */
export const taskTemplates: Resource = {
  path: 'task-templates',
  table: 'task_templates',
  what: { en: 'task template', ru: 'шаблон задачи' },
  defaultSort: 'position',
  fields: {
    key: {
      out: z.string().nullable(),
      in: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,80}$/, 'latin letters, digits, _ . - (up to 80)')
        .nullable(),
      filter: 'eq',
      description: 'A stable name for the template in exported configuration (and for anchors)',
    },
    stage_id: { out: idSchema, in: idSchema, required: true, updatable: false, filter: 'eq' },
    pipeline_id: { out: idSchema, filter: 'eq' },
    segment_id: {
      out: idSchema.nullable(),
      in: idSchema.nullable(),
      filter: 'eq',
      ref: { table: 'segments', what: { en: 'segment', ru: 'сегмент' } },
      description: 'Only for deals of this segment (null: every deal)',
    },
    title_ru: requiredText(300),
    title_en: requiredText(300),
    type: { out: z.enum(TASK_TYPES), in: z.enum(TASK_TYPES), filter: 'eq' },
    due_days: {
      out: z.number().int(),
      in: z.number().int().min(0, 'cannot be negative').max(365, 'more than a year is not a deadline'),
      required: true,
      description: 'Days from the stage entry (or from the anchor task being done) to the deadline',
    },
    day_kind: {
      out: z.enum(['calendar', 'business']),
      in: z.enum(['calendar', 'business']),
      description: 'Count calendar days or working days of the workspace calendar',
    },
    anchor_template_id: {
      out: idSchema.nullable(),
      in: idSchema.nullable(),
      description: 'Count from when the task of this template (same stage) was done, instead of from the stage entry',
    },
    owner_rule: { out: z.enum(['deal_owner', 'user']), in: z.enum(['deal_owner', 'user']) },
    owner_id: { out: idSchema.nullable(), in: idSchema.nullable(), ref: { table: 'users', what: { en: 'user', ru: 'пользователь' } } },
    on_stage_exit: {
      out: z.enum(['skip', 'keep_open']),
      in: z.enum(['skip', 'keep_open']),
      description: 'If the deal leaves the stage before the task is done: mark it skipped, or keep it open',
    },
    position: { out: z.number().int(), in: z.number().int().min(0).max(10_000), sort: true },
    active: { out: z.boolean(), in: z.boolean(), filter: 'bool' },
    created_at: readTime(),
  },
  immutable: { stage_id: { en: 'create the template on the other stage instead', ru: 'создайте шаблон на другом этапе' } },
  beforeWrite: async ({ tx, principal, values, existing }) => {
    const ws = principal.workspaceId;
    const stageId = (values.stage_id ?? existing?.stage_id) as number;
    if (!existing) {
      const [stage] = await tx.query<{ pipeline_id: number; kind: string }>(
        sql`select pipeline_id, kind from stages where workspace_id = ${ws} and id = ${stageId}`,
      );
      if (!stage)
        throw validationError([fieldIssue('stage_id', `no stage ${stageId} in this workspace`, `нет этапа ${stageId}`, 'not_found')]);
      if (stage.kind !== 'open')
        throw validationError([
          fieldIssue('stage_id', 'playbook tasks belong to open stages', 'задачи регламента бывают только у открытых этапов'),
        ]);
      values.pipeline_id = stage.pipeline_id;
    }
    const rule = (values.owner_rule ?? existing?.owner_rule ?? 'deal_owner') as string;
    const owner = values.owner_id !== undefined ? values.owner_id : existing?.owner_id;
    if (rule === 'user' && !owner)
      throw validationError([
        fieldIssue('owner_id', 'owner_rule "user" needs owner_id', 'для owner_rule «user» нужен owner_id', 'required'),
      ]);
    if (rule === 'deal_owner' && owner) values.owner_id = null;
    const anchor = values.anchor_template_id;
    if (anchor !== undefined && anchor !== null) {
      // The anchor is on the same stage, and following anchors never comes back here.
      const selfId = (existing?.id as number | undefined) ?? -1;
      let cursor: number | null = anchor as number;
      const seen = new Set<number>();
      while (cursor !== null) {
        if (cursor === selfId || seen.has(cursor)) {
          throw validationError([
            fieldIssue(
              'anchor_template_id',
              'this would make a cycle of "counted from" references',
              'так получится цикл ссылок «считать от»',
              'cycle',
            ),
          ]);
        }
        seen.add(cursor);
        const [t]: { stage_id: number; anchor_template_id: number | null }[] = await tx.query(
          sql`select stage_id, anchor_template_id from task_templates where workspace_id = ${ws} and id = ${cursor}`,
        );
        if (!t)
          throw validationError([
            fieldIssue('anchor_template_id', `no task template ${cursor}`, `нет шаблона задачи ${cursor}`, 'not_found'),
          ]);
        if (cursor === anchor && t.stage_id !== stageId) {
          throw validationError([
            fieldIssue('anchor_template_id', 'the anchor task must belong to the same stage', 'опорная задача должна быть того же этапа'),
          ]);
        }
        cursor = t.anchor_template_id;
      }
    }
  },
};

export interface TemplateRow {
  id: number;
  title_ru: string;
  title_en: string;
  type: string;
  due_days: number;
  day_kind: 'calendar' | 'business';
  owner_rule: 'deal_owner' | 'user';
  owner_id: number | null;
  on_stage_exit: 'skip' | 'keep_open';
}

/** A task a template gives a deal: its title in the workspace's language, owner and deadline. */
export interface PlannedTask {
  template: TemplateRow;
  title: string;
  owner_id: number | null;
  due_at: Date;
}

/**
 * The tasks `templates` give a deal whose count starts at `from`: the one place the deadline is
 * computed (workspace zone and calendar), for the tasks created and for the playbook preview alike.
 */
export async function planTasks(
  tx: Queryable,
  ws: number,
  dealOwnerId: number | null,
  from: Date,
  templates: TemplateRow[],
): Promise<PlannedTask[]> {
  if (templates.length === 0) return [];
  const [w] = await tx.query<{ timezone: string; locale: string }>(sql`select timezone, locale from workspaces where workspace_id = ${ws}`);
  const cal = await loadCalendar(tx, ws);
  return templates.map((t) => ({
    template: t,
    title: w.locale === 'en' ? t.title_en : t.title_ru,
    owner_id: t.owner_rule === 'user' ? t.owner_id : dealOwnerId,
    due_at: addDays(from, t.due_days, t.day_kind, w.timezone, cal),
  }));
}

/** The active templates of a stage counted from its entry that apply to a deal of this segment, in order. */
export const entryTemplates = (tx: Queryable, ws: number, stageId: number, segmentId: number | null) =>
  tx.query<TemplateRow>(sql`
    select id, title_ru, title_en, type, due_days, day_kind, owner_rule, owner_id, on_stage_exit from task_templates
     where workspace_id = ${ws} and stage_id = ${stageId} and active and anchor_template_id is null
       and (segment_id is null or segment_id = ${segmentId}::int8)
     order by position, id`);

/** The tasks a deal (its segment and owner) gets on entering a stage at `enteredAt`. */
export async function planStageEntry(
  tx: Queryable,
  ws: number,
  deal: { segment_id: number | null; owner_id: number | null },
  stageId: number,
  enteredAt: Date,
): Promise<PlannedTask[]> {
  return planTasks(tx, ws, deal.owner_id, enteredAt, await entryTemplates(tx, ws, stageId, deal.segment_id));
}

async function insertTasks(
  tx: Queryable,
  ctx: AppContext,
  ws: number,
  dealId: number,
  event: { id: number; stage_id: number },
  planned: PlannedTask[],
): Promise<number> {
  const now = ctx.clock.now();
  for (const p of planned) {
    await tx.query(sql`
      insert into tasks (workspace_id, title, type, status, deal_id, owner_id, due_at, created_at, updated_at, template_id, stage_event_id, stage_id)
      values (${ws}, ${p.title}, ${p.template.type}, 'open', ${dealId}, ${p.owner_id}, ${p.due_at}, ${now}, ${now},
              ${p.template.id}, ${event.id}, ${event.stage_id})`);
  }
  return planned.length;
}

const dealOf = (deal: Row) => ({
  segment_id: (deal.segment_id as number | null) ?? null,
  owner_id: (deal.owner_id as number | null) ?? null,
});

/** Creates the stage's playbook tasks (those counted from the entry) when a deal enters it. */
export async function onStageEntered(
  tx: Queryable,
  ctx: AppContext,
  ws: number,
  deal: Row,
  event: { id: number; stage_id: number; entered_at: Date },
): Promise<number> {
  const planned = await planStageEntry(tx, ws, dealOf(deal), event.stage_id, event.entered_at);
  return insertTasks(tx, ctx, ws, deal.id as number, event, planned);
}

/** When a deal leaves a stage, its unfinished playbook tasks are skipped or kept open, per template. */
export async function onStageLeft(tx: Queryable, ctx: AppContext, ws: number, previousEventId: number): Promise<void> {
  const now = ctx.clock.now();
  await tx.query(sql`
    update tasks t set status = 'skipped', closed_at = ${now}, updated_at = ${now}, version = t.version + 1
      from task_templates tt
     where t.workspace_id = ${ws} and t.stage_event_id = ${previousEventId} and t.status = 'open'
       and tt.workspace_id = t.workspace_id and tt.id = t.template_id and tt.on_stage_exit = 'skip'`);
}

/** A playbook task done: templates counted from it create their tasks, if the deal is still in that stage. */
export async function onTaskDone(tx: Queryable, ctx: AppContext, ws: number, task: Row): Promise<number> {
  if (!task.template_id || !task.stage_event_id || !task.deal_id) return 0;
  const [deal] = await tx.query<Row>(sql`select * from deals where workspace_id = ${ws} and id = ${task.deal_id as number}`);
  const [current] = await tx.query<{ id: number }>(sql`
    select e.id from stage_events e where e.workspace_id = ${ws} and e.deal_id = ${task.deal_id as number}
     order by e.entered_at desc, e.id desc limit 1`);
  if (!deal || current?.id !== task.stage_event_id) return 0;
  const templates = await tx.query<TemplateRow>(sql`
    select id, title_ru, title_en, type, due_days, day_kind, owner_rule, owner_id, on_stage_exit from task_templates
     where workspace_id = ${ws} and anchor_template_id = ${task.template_id as number} and active
       and (segment_id is null or segment_id = ${(deal.segment_id as number | null) ?? null}::int8)
       and not exists (select 1 from tasks x where x.workspace_id = ${ws} and x.stage_event_id = ${task.stage_event_id as number} and x.template_id = task_templates.id)
     order by position, id`);
  const planned = await planTasks(tx, ws, dealOf(deal).owner_id, task.done_at as Date, templates);
  return insertTasks(tx, ctx, ws, deal.id as number, { id: task.stage_event_id as number, stage_id: task.stage_id as number }, planned);
}
