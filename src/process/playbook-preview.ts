import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { DateTime } from 'luxon';
import sql from 'sql-template-tag';
import { z } from 'zod';
import type { AppContext } from '../platform/context.ts';
import type { Queryable } from '../platform/db/types.ts';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { idSchema, isoTime } from '../platform/resource/resource.ts';
import { errorResponses, scoped } from '../platform/resource/resource-routes.ts';
import { configGuard } from './pipelines.ts';
import { planStageEntry, planTasks } from './playbooks.ts';
import { registerRequirementRemoval, requirementsFor, STANDARD_FIELDS } from './requirements.ts';
import { TASK_TYPES } from './task-kinds.ts';

const owner = {
  owner_rule: z.enum(['deal_owner', 'user']),
  owner_id: idSchema.nullable().describe('The fixed owner (owner_rule "user"); null: the deal owner'),
  owner_name: z.string().nullable(),
};
const titles = { template_id: idSchema, title_ru: z.string(), title_en: z.string(), type: z.enum(TASK_TYPES) };
const onExit = { on_stage_exit: z.enum(['skip', 'keep_open']) };

const previewOut = z.object({
  stage: z.object({ id: idSchema, name: z.string(), kind: z.string(), pipeline_id: idSchema }),
  segment: z.object({ id: idSchema, name: z.string() }).nullable(),
  entered_at: isoTime,
  timezone: z.string(),
  requirements: z.array(z.object({ field: z.string(), label_ru: z.string(), label_en: z.string() })),
  tasks: z
    .array(
      z.object({
        ...titles,
        ...owner,
        ...onExit,
        due_days: z.number().int(),
        day_kind: z.enum(['calendar', 'business']),
        due_at: isoTime,
        due_day: z.string().describe('The deadline as a day (YYYY-MM-DD) in the workspace time zone'),
      }),
    )
    .describe('Created at the stage entry, deadlines computed as the entry computes them'),
  anchored: z
    .array(
      z.object({
        ...titles,
        ...owner,
        ...onExit,
        due_days: z.number().int(),
        day_kind: z.enum(['calendar', 'business']),
        anchor_template_id: idSchema,
        anchor_title_ru: z.string(),
        anchor_title_en: z.string(),
      }),
    )
    .describe('Created when the anchor task is done, due_days after that (the date is not known yet)'),
  draft: z
    .object({ due_at: isoTime, due_day: z.string() })
    .nullable()
    .describe('The deadline a template not yet saved (due_days, day_kind) would give a task counted from this entry'),
});
type PreviewOut = z.infer<typeof previewOut>;

interface AnchoredRow {
  id: number;
  title_ru: string;
  title_en: string;
  type: (typeof TASK_TYPES)[number];
  due_days: number;
  day_kind: 'calendar' | 'business';
  owner_rule: 'deal_owner' | 'user';
  owner_id: number | null;
  on_stage_exit: 'skip' | 'keep_open';
  anchor_template_id: number;
}

/**
 * The instant a preview counts from: an instant as given, or a day alone — that day at the
 * present local time of day in the workspace zone, as if the deal entered it now.
 */
function entryInstant(raw: string | undefined, now: Date, zone: string): Date {
  if (!raw) return now;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) return new Date(raw);
  const local = DateTime.fromJSDate(now, { zone });
  const [year, month, day] = raw.split('-').map(Number);
  return local.set({ year, month, day }).toJSDate();
}

/**
 * What a deal entering a stage (in a segment, or none) would get: the fields the stage requires of
 * it and the playbook tasks created at the entry with their deadlines — computed by the entry's own
 * `planStageEntry` — plus the tasks that follow another's being done, whose dates are not known.
 */
export async function playbookPreview(
  tx: Queryable,
  ws: number,
  q: { stage_id: number; segment_id?: number; entered_at?: string; due_days?: number; day_kind?: 'calendar' | 'business' },
  now: Date,
): Promise<PreviewOut> {
  const [stage] = await tx.query<PreviewOut['stage']>(
    sql`select id, name, kind, pipeline_id from stages where workspace_id = ${ws} and id = ${q.stage_id}`,
  );
  if (!stage) throw validationError([fieldIssue('stage_id', `no stage ${q.stage_id}`, `нет этапа ${q.stage_id}`, 'not_found')]);
  let segment: PreviewOut['segment'] = null;
  if (q.segment_id !== undefined) {
    [segment] = await tx.query<{ id: number; name: string }>(
      sql`select id, name from segments where workspace_id = ${ws} and id = ${q.segment_id}`,
    );
    if (!segment)
      throw validationError([fieldIssue('segment_id', `no segment ${q.segment_id}`, `нет сегмента ${q.segment_id}`, 'not_found')]);
  }
  const [w] = await tx.query<{ timezone: string }>(sql`select timezone from workspaces where workspace_id = ${ws}`);
  const at = entryInstant(q.entered_at, now, w.timezone);
  const segmentId = segment?.id ?? null;
  const planned = stage.kind === 'open' ? await planStageEntry(tx, ws, { segment_id: segmentId, owner_id: null }, stage.id, at) : [];
  const candidates =
    stage.kind === 'open'
      ? await tx.query<AnchoredRow>(sql`
          select id, title_ru, title_en, type, due_days, day_kind, owner_rule, owner_id, on_stage_exit, anchor_template_id
            from task_templates
           where workspace_id = ${ws} and stage_id = ${stage.id} and active and anchor_template_id is not null
             and (segment_id is null or segment_id = ${segmentId}::int8)
           order by position, id`)
      : [];
  // An anchored task appears only once its anchor's task exists: follow the chain from the entry tasks.
  const titleOf = new Map<number, { ru: string; en: string }>(
    planned.map((p) => [p.template.id, { ru: p.template.title_ru, en: p.template.title_en }]),
  );
  const anchored: AnchoredRow[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of candidates) {
      if (titleOf.has(c.id) || !titleOf.has(c.anchor_template_id)) continue;
      titleOf.set(c.id, { ru: c.title_ru, en: c.title_en });
      anchored.push(c);
      grew = true;
    }
  }
  const ownerIds = [...planned.map((p) => p.template.owner_id), ...anchored.map((a) => a.owner_id)].filter((x): x is number => x !== null);
  const names = new Map(
    ownerIds.length
      ? (
          await tx.query<{ id: number; name: string }>(
            sql`select id, name from users where workspace_id = ${ws} and id = any(${ownerIds}::int8[])`,
          )
        ).map((u) => [u.id, u.name])
      : [],
  );
  const ownerOf = (t: { owner_rule: 'deal_owner' | 'user'; owner_id: number | null }) => ({
    owner_rule: t.owner_rule,
    owner_id: t.owner_rule === 'user' ? t.owner_id : null,
    owner_name: t.owner_rule === 'user' && t.owner_id !== null ? (names.get(t.owner_id) ?? null) : null,
  });
  const dayOf = (d: Date) => DateTime.fromJSDate(d, { zone: w.timezone }).toISODate() ?? '';
  // An unsaved template goes through the same planning as saved ones: only its deadline is asked for.
  const [draft] =
    q.due_days === undefined
      ? []
      : await planTasks(tx, ws, null, at, [
          {
            id: 0,
            title_ru: '',
            title_en: '',
            type: 'other',
            due_days: q.due_days,
            day_kind: q.day_kind ?? 'business',
            owner_rule: 'deal_owner',
            owner_id: null,
            on_stage_exit: 'skip',
          },
        ]);
  return {
    stage,
    segment,
    entered_at: at.toISOString(),
    timezone: w.timezone,
    requirements: await requirementsFor(tx, ws, stage.id, segmentId),
    tasks: planned.map((p) => ({
      template_id: p.template.id,
      title_ru: p.template.title_ru,
      title_en: p.template.title_en,
      type: p.template.type as (typeof TASK_TYPES)[number],
      ...ownerOf(p.template),
      on_stage_exit: p.template.on_stage_exit,
      due_days: p.template.due_days,
      day_kind: p.template.day_kind,
      due_at: p.due_at.toISOString(),
      due_day: dayOf(p.due_at),
    })),
    anchored: anchored.map((a) => {
      const anchor = titleOf.get(a.anchor_template_id) ?? { ru: '', en: '' };
      return {
        template_id: a.id,
        title_ru: a.title_ru,
        title_en: a.title_en,
        type: a.type,
        ...ownerOf(a),
        on_stage_exit: a.on_stage_exit,
        due_days: a.due_days,
        day_kind: a.day_kind,
        anchor_template_id: a.anchor_template_id,
        anchor_title_ru: anchor.ru,
        anchor_title_en: anchor.en,
      };
    }),
    draft: draft ? { due_at: draft.due_at.toISOString(), due_day: dayOf(draft.due_at) } : null,
  };
}

/**
 * Routes of what a deal entering a stage in a segment gets: requirements, tasks and their due dates
 * (issue 17), and the removal of a requirement the screen beside the preview needs.
 */
export function registerPlaybookPreviewRoutes(app: FastifyInstance, ctx: AppContext) {
  registerRequirementRemoval(app, ctx);
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  zapp.get(
    '/api/v1/playbook-preview',
    {
      schema: {
        tags: ['playbooks'],
        summary: 'What a deal entering a stage (in a segment) would get: required fields and playbook tasks with their deadlines',
        querystring: z.strictObject({
          stage_id: z.coerce.number().int().positive(),
          segment_id: z.coerce.number().int().positive().optional().describe('The deal’s segment; omitted: a deal without one'),
          entered_at: z
            .union([z.iso.date(), z.iso.datetime({ offset: true })])
            .optional()
            .describe('The entry: an instant, or a day (at the present local time of day); default now'),
          due_days: z.coerce
            .number()
            .int()
            .min(0, 'cannot be negative')
            .max(365, 'more than a year is not a deadline')
            .optional()
            .describe('A template not yet saved: its due_days, to preview its deadline (answered in draft)'),
          day_kind: z.enum(['calendar', 'business']).optional().describe('The unsaved template’s day kind (default business)'),
          lang: z.enum(['ru', 'en']).optional(),
        }),
        response: { 200: previewOut, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        configGuard(p, 'read');
        return playbookPreview(tx, p.workspaceId, req.query, ctx.clock.now());
      }),
  );
  zapp.get(
    '/api/v1/requirement-fields',
    {
      schema: {
        tags: ['stage-requirements'],
        summary: 'The deal fields a stage may require: the standard ones and the workspace’s custom deal fields, with labels',
        querystring: z.strictObject({ lang: z.enum(['ru', 'en']).optional() }),
        response: {
          200: z.object({
            items: z.array(z.object({ field: z.string(), label_ru: z.string(), label_en: z.string(), custom: z.boolean() })),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const custom = await tx.query<{ key: string; label_ru: string; label_en: string }>(
          sql`select key, label_ru, label_en from custom_fields where workspace_id = ${p.workspaceId} and object_type = 'deal' order by position, id`,
        );
        return {
          items: [
            ...Object.entries(STANDARD_FIELDS).map(([field, l]) => ({ field, label_ru: l.ru, label_en: l.en, custom: false })),
            ...custom.map((c) => ({ field: `custom.${c.key}`, label_ru: c.label_ru, label_en: c.label_en, custom: true })),
          ],
        };
      }),
  );
}
