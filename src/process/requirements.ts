import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql, { type Sql } from 'sql-template-tag';
import { z } from 'zod';
import { audit } from '../platform/audit.ts';
import type { AppContext } from '../platform/context.ts';
import { prepared, type Queryable, type Row } from '../platform/db/types.ts';
import { fieldIssue, type Msg, notFound, validationError, versionConflict } from '../platform/errors.ts';
import { readTime } from '../platform/resource/fields.ts';
import { idSchema, type Resource } from '../platform/resource/resource.ts';
import { errorResponses, idParams, principalOf, scoped } from '../platform/resource/resource-routes.ts';
import { configGuard } from './pipelines.ts';

/** Standard deal fields a stage may require, with their labels. */
export const STANDARD_FIELDS: Record<string, Msg> = {
  title: { ru: 'Название', en: 'Title' },
  amount_minor: { ru: 'Сумма', en: 'Amount' },
  company_id: { ru: 'Компания', en: 'Company' },
  contact_id: { ru: 'Контакт', en: 'Contact' },
  lead_id: { ru: 'Лид', en: 'Lead' },
  segment_id: { ru: 'Сегмент', en: 'Segment' },
  channel_id: { ru: 'Канал', en: 'Channel' },
  region: { ru: 'Регион', en: 'Region' },
};

export interface Requirement {
  field: string;
  label_ru: string;
  label_en: string;
}

/** A custom field as far as a requirement needs it: its type and, for a choice, the choices. */
export interface FieldDefinition {
  type?: string;
  choices?: { value: string; label_ru?: string; label_en?: string }[] | null;
}

/**
 * Answers that say "no": a requirement such as «Бюджет подтверждён» is a question, and «Нет» is an
 * answer that does not confirm it. Compared lower-cased and trimmed, with the choice's value and its
 * labels in both languages.
 */
const NEGATIVE = new Set(['no', 'false', 'нет', 'n', 'не подтверждён', 'не подтвержден', 'not confirmed']);
const isNegative = (s: string | undefined) => s !== undefined && NEGATIVE.has(s.trim().toLowerCase());

/**
 * Whether a deal has a field filled: non-empty text, a non-zero amount, a set reference or custom
 * value. A yes/no answer is filled only by "yes": `false`, or a choice whose value or label is
 * «Нет» / "No" (`def`, the custom field's definition, names the labels; without it the stored value
 * is judged alone — `no`, `false`, `нет`), does not satisfy a requirement.
 */
export function isFilled(deal: Row, field: string, def?: FieldDefinition): boolean {
  if (field.startsWith('custom.')) {
    const v = (deal.custom as Record<string, unknown> | null)?.[field.slice(7)];
    if (v === undefined || v === null || v === false) return false;
    // A multiple choice with nothing ticked is empty.
    if (Array.isArray(v)) return v.length > 0;
    if (typeof v !== 'string') return true;
    if (v.trim() === '') return false;
    if (def?.type !== undefined && def.type !== 'choice') return true;
    const choice = def?.choices?.find((c) => c.value === v);
    return !(isNegative(v) || isNegative(choice?.label_ru) || isNegative(choice?.label_en));
  }
  const v = deal[field];
  if (field === 'amount_minor') return typeof v === 'number' && v > 0;
  if (typeof v === 'string') return v.trim() !== '';
  return v !== null && v !== undefined;
}

/** The requirement rows (of deals of every segment) of the stages `stages` selects. */
const requirementRows = (ws: number, stages: Sql) => sql`
    select r.stage_id, r.field, cf.label_ru, cf.label_en, cf.type as field_type, cf.choices as field_choices, r.position, r.id, r.segment_ids
      from stage_requirements r
      left join custom_fields cf on cf.workspace_id = r.workspace_id and cf.object_type = 'deal' and 'custom.' || cf.key = r.field
     where r.workspace_id = ${ws} and ${stages}`;

/** A requirement applies to a deal of a segment when it names no segments or names that one. */
export const appliesTo = (r: Pick<RequirementRow, 'segment_ids'>, segmentId: number | null) =>
  r.segment_ids === null || (segmentId !== null && r.segment_ids.includes(segmentId));

/** The fields a stage requires of a deal of this segment, with labels in both languages. */
export async function requirementsFor(tx: Queryable, ws: number, stageId: number, segmentId: number | null): Promise<Requirement[]> {
  const rows = await tx.query<RequirementRow>(
    prepared(sql`${requirementRows(ws, sql`r.stage_id = ${stageId}`)} order by r.position, r.id`),
  );
  return rows.filter((r) => appliesTo(r, segmentId)).map(toRequirement);
}

export interface RequirementRow {
  stage_id: number;
  field: string;
  label_ru: string | null;
  label_en: string | null;
  segment_ids: number[] | null;
  /** A custom field's type and choices (null for a standard field): `isFilled`'s third argument. */
  field_type?: string | null;
  field_choices?: FieldDefinition['choices'];
}

/** The definition `isFilled` judges a yes/no answer by, from a requirement row. */
export const definitionOf = (r: Pick<RequirementRow, 'field_type' | 'field_choices'>): FieldDefinition | undefined =>
  r.field_type ? { type: r.field_type, choices: r.field_choices ?? [] } : undefined;

/**
 * What every stage of a pipeline requires, of deals of any segment (`appliesTo` picks a deal's):
 * the deal card keeps them with the pipeline's other configuration.
 */
export const requirementsSql = (ws: number, pipelineId: number) => requirementRows(ws, sql`r.pipeline_id = ${pipelineId}`);

export const toRequirement = (r: RequirementRow): Requirement => ({
  field: r.field,
  label_ru: STANDARD_FIELDS[r.field]?.ru ?? r.label_ru ?? r.field,
  label_en: STANDARD_FIELDS[r.field]?.en ?? r.label_en ?? r.field,
});

export const stageRequirements: Resource = {
  path: 'stage-requirements',
  table: 'stage_requirements',
  what: { en: 'stage requirement', ru: 'требование этапа' },
  defaultSort: 'position',
  fields: {
    stage_id: { out: idSchema, in: idSchema, required: true, updatable: false, filter: 'eq' },
    pipeline_id: { out: idSchema, filter: 'eq' },
    field: {
      out: z.string(),
      in: z
        .string()
        .regex(
          /^(title|amount_minor|company_id|contact_id|lead_id|segment_id|channel_id|region|custom\.[a-z][a-z0-9_]{0,62})$/,
          'a deal field (title, amount_minor, company_id, contact_id, lead_id, segment_id, channel_id, region) or custom.<key>',
        ),
      required: true,
      updatable: false,
      description: 'The deal field that must be filled to enter the stage moving forward',
    },
    segment_ids: {
      out: z.array(idSchema).nullable(),
      in: z.array(idSchema).min(1).max(100).nullable(),
      pgArray: true,
      description: 'Only for deals of these segments (null: every deal)',
    },
    position: { out: z.number().int(), in: z.number().int().min(0).max(10_000), sort: true },
    created_at: readTime(),
  },
  immutable: {
    stage_id: { en: 'create a requirement on the other stage instead', ru: 'создайте требование на другом этапе' },
    field: { en: 'create a requirement for the other field instead', ru: 'создайте требование для другого поля' },
  },
  beforeWrite: async ({ tx, principal, values, existing }) => {
    const ws = principal.workspaceId;
    if (!existing) {
      const [stage] = await tx.query<{ pipeline_id: number; kind: string }>(
        sql`select pipeline_id, kind from stages where workspace_id = ${ws} and id = ${values.stage_id as number}`,
      );
      if (!stage)
        throw validationError([
          fieldIssue(
            'stage_id',
            `no stage ${String(values.stage_id)} in this workspace`,
            `нет этапа ${String(values.stage_id)}`,
            'not_found',
          ),
        ]);
      if (stage.kind === 'lost')
        throw validationError([
          fieldIssue(
            'stage_id',
            'a lost stage cannot require fields: losing a deal is never blocked',
            'у этапа проигрыша не бывает требований: проиграть сделку можно всегда',
          ),
        ]);
      values.pipeline_id = stage.pipeline_id;
      const field = values.field as string;
      if (field.startsWith('custom.')) {
        const [cf] = await tx.query(
          sql`select 1 from custom_fields where workspace_id = ${ws} and object_type = 'deal' and key = ${field.slice(7)}`,
        );
        if (!cf)
          throw validationError([
            fieldIssue(
              'field',
              `no custom deal field "${field.slice(7)}"`,
              `нет дополнительного поля сделки «${field.slice(7)}»`,
              'not_found',
            ),
          ]);
      }
    }
    const segs = values.segment_ids as number[] | null | undefined;
    if (segs && segs.length > 0) {
      const found = await tx.query<{ id: number }>(sql`select id from segments where workspace_id = ${ws} and id = any(${segs}::int8[])`);
      const missing = segs.filter((s) => !found.some((f) => f.id === s));
      if (missing.length)
        throw validationError([
          fieldIssue(
            'segment_ids',
            `no segments ${missing.join(', ')} in this workspace`,
            `нет сегментов ${missing.join(', ')}`,
            'not_found',
          ),
        ]);
    }
  },
};

/**
 * Removing a requirement: the resource routes never delete, yet a requirement is configuration, not
 * a record — it leaves no trace in the history (entries keep their own counts), so it is deleted,
 * version-checked and audited with what it was.
 */
export function registerRequirementRemoval(app: FastifyInstance, ctx: AppContext) {
  app.withTypeProvider<ZodTypeProvider>().delete(
    '/api/v1/stage-requirements/:id',
    {
      schema: {
        tags: ['stage-requirements'],
        summary: 'Remove a stage requirement',
        params: idParams,
        querystring: z.strictObject({ version: z.coerce.number().int().min(1).describe('The version you read; a stale one answers 409') }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      configGuard(principalOf(req), 'write');
      await scoped(ctx, req, async (tx, p) => {
        const [row] = await tx.query<Row>(
          sql`select * from stage_requirements where workspace_id = ${p.workspaceId} and id = ${req.params.id} for update`,
        );
        if (!row) throw notFound(stageRequirements.what, req.params.id);
        if (row.version !== req.query.version)
          throw versionConflict(stageRequirements.what, req.params.id, row.version as number, req.query.version);
        await tx.query(sql`delete from stage_requirements where workspace_id = ${p.workspaceId} and id = ${req.params.id}`);
        await audit(tx, {
          workspaceId: p.workspaceId,
          userId: p.userId,
          entity: 'stage_requirements',
          entityId: req.params.id,
          action: 'delete',
          at: ctx.clock.now(),
          changes: {
            stage_id: { from: row.stage_id, to: null },
            field: { from: row.field, to: null },
            segment_ids: { from: row.segment_ids ?? null, to: null },
          },
        });
      });
      return reply.status(204).send(null);
    },
  );
}
