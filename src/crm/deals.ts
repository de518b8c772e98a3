import sql from 'sql-template-tag';
import { z } from 'zod';
import { appendStageEntry, syncVisitAttributes } from '../history/stage-history.ts';
import type { Queryable } from '../platform/db/types.ts';
import { AppError, fieldIssue, validationError } from '../platform/errors.ts';
import {
  currencyCode,
  moneyMinor,
  readTime,
  readTimeOrNull,
  ref,
  requiredText,
  sharedWith,
  text,
  WHAT,
} from '../platform/resource/fields.ts';
import { idSchema, type Resource } from '../platform/resource/resource.ts';
import { STAGE_KINDS, type StageRow } from '../process/pipelines.ts';
import { onStageEntered } from '../process/playbooks.ts';
import { isFilled, requirementsFor } from '../process/requirements.ts';

export async function workspaceCurrency(tx: Queryable, ws: number): Promise<string> {
  const [w] = await tx.query<{ currency: string }>(sql`select currency from workspaces where workspace_id = ${ws}`);
  return w.currency;
}

/** Resolves the stage a deal is created in or moved to, refusing one of another pipeline. */
export async function resolveStage(
  tx: Queryable,
  ws: number,
  pipelineId: number,
  stageId: number | undefined,
): Promise<StageRow & { archived: boolean }> {
  if (stageId === undefined) {
    const [first] = await tx.query<StageRow & { archived: boolean }>(
      sql`select id, pipeline_id, name, kind, position, false as archived from stages
           where workspace_id = ${ws} and pipeline_id = ${pipelineId} and kind = 'open' and archived_at is null
           order by position limit 1`,
    );
    if (!first) throw validationError([fieldIssue('pipeline_id', 'the pipeline has no open stage', 'в воронке нет открытого этапа')]);
    return first;
  }
  const [stage] = await tx.query<StageRow & { archived: boolean }>(
    sql`select id, pipeline_id, name, kind, position, archived_at is not null as archived
          from stages where workspace_id = ${ws} and id = ${stageId}`,
  );
  if (!stage) {
    throw validationError([
      fieldIssue('stage_id', `no stage ${stageId} in this workspace`, `в этом пространстве нет этапа ${stageId}`, 'not_found'),
    ]);
  }
  if (stage.pipeline_id !== pipelineId) {
    throw new AppError(
      'STAGE_NOT_IN_PIPELINE',
      {
        en: `stage ${stageId} "${stage.name}" belongs to another pipeline (${stage.pipeline_id}), not to the deal's pipeline ${pipelineId}`,
        ru: `этап ${stageId} «${stage.name}» относится к другой воронке (${stage.pipeline_id}), а не к воронке сделки ${pipelineId}`,
      },
      {
        fields: [fieldIssue('stage_id', 'stage of another pipeline', 'этап другой воронки', 'stage_not_in_pipeline')],
      },
    );
  }
  return stage;
}

export const deals: Resource = {
  path: 'deals',
  table: 'deals',
  access: 'deals',
  what: WHAT.deal,
  custom: 'deal',
  defaultSort: '-created_at',
  fields: {
    shared_with: sharedWith,
    external_id: text(200, {
      filter: 'eq',
      updatable: false,
      description: 'Id in the system the deal was imported from',
    }),
    title: requiredText(300, { filter: 'text', sort: true }),
    pipeline_id: {
      out: idSchema,
      in: idSchema,
      updatable: false,
      filter: 'eq',
      ref: { table: 'pipelines', what: WHAT.pipeline },
      description: 'Defaults to the first pipeline',
    },
    stage_id: {
      out: idSchema,
      in: idSchema,
      updatable: false,
      filter: 'eq',
      description: 'Defaults to the first open stage; later changed only by POST /deals/{id}/move',
    },
    status: {
      out: z.enum(STAGE_KINDS),
      filter: 'eq',
      description: 'The kind of the current stage',
    },
    stage_entered_at: readTime({
      description: 'When the deal entered its current stage',
    }),
    amount_minor: {
      out: z.number().int(),
      in: moneyMinor,
      filter: 'range',
      sort: true,
    },
    currency: {
      out: z.string(),
      in: currencyCode,
      updatable: false,
      description: 'Defaults to (and must equal) the workspace currency',
    },
    company_id: ref('companies', WHAT.company),
    contact_id: ref('contacts', WHAT.contact),
    lead_id: ref('leads', WHAT.lead),
    owner_id: ref('users', WHAT.user, {
      description: 'Defaults to the caller',
    }),
    segment_id: ref('segments', WHAT.segment),
    channel_id: ref('channels', WHAT.channel),
    region: text(200, { filter: 'eq', sort: true }),
    atypical: {
      out: z.boolean(),
      in: z.boolean(),
      filter: 'bool',
      description: 'Flagged as not typical (with a reason): reviewed by the head of sales, outside discipline figures until then',
    },
    atypical_reason: text(1000),
    review_decision: {
      out: z.enum(['typical', 'atypical']).nullable(),
      filter: 'eq',
      description: 'The head of sales’ review of an atypical deal',
    },
    reviewed_at: readTimeOrNull(),
    created_at: readTime({ description: 'The first stage entry' }),
    closed_at: readTimeOrNull({
      description: 'The last entry into a won or lost stage, while the deal stays closed',
    }),
    updated_at: readTime(),
  },
  immutable: {
    stage_id: {
      en: 'the stage changes only by POST /api/v1/deals/{id}/move',
      ru: 'этап меняется только через POST /api/v1/deals/{id}/move',
    },
    pipeline_id: { en: 'a deal stays in its pipeline', ru: 'сделку нельзя перенести в другую воронку' },
    status: {
      en: 'the status follows the stage: use POST /api/v1/deals/{id}/move',
      ru: 'статус следует за этапом: используйте POST /api/v1/deals/{id}/move',
    },
  },
  beforeWrite: async ({ tx, ctx, principal, values, existing }) => {
    const ws = principal.workspaceId;
    const atypical = values.atypical ?? existing?.atypical;
    const reason = values.atypical_reason !== undefined ? values.atypical_reason : existing?.atypical_reason;
    if (atypical === true && !(typeof reason === 'string' && reason.trim())) {
      throw validationError([
        fieldIssue('atypical_reason', 'say why the deal is not typical', 'укажите, почему сделка нетиповая', 'required'),
      ]);
    }
    if (values.atypical !== undefined && values.atypical !== existing?.atypical) {
      // A new flag (or its removal) asks for a fresh review.
      values.review_decision = null;
      values.reviewed_at = null;
      values.reviewed_by = null;
    }
    if (existing) return;
    if (values.pipeline_id === undefined) {
      const [p] = await tx.query<{ id: number }>(
        sql`select id from pipelines where workspace_id = ${ws} and not archived order by position, id limit 1`,
      );
      if (!p)
        throw validationError([
          fieldIssue('pipeline_id', 'the workspace has no pipeline yet', 'в пространстве ещё нет воронки', 'required'),
        ]);
      values.pipeline_id = p.id;
    }
    const stage = await resolveStage(tx, ws, values.pipeline_id as number, values.stage_id as number | undefined);
    if (stage.archived)
      throw validationError([fieldIssue('stage_id', `stage "${stage.name}" is archived`, `этап «${stage.name}» в архиве`, 'archived')]);
    const currency = await workspaceCurrency(tx, ws);
    if (values.currency !== undefined && values.currency !== currency) {
      throw validationError([
        fieldIssue(
          'currency',
          `the workspace counts money in ${currency}; deals in other currencies need exchange rates, which are not configured`,
          `пространство ведёт учёт в ${currency}; для сделок в другой валюте нужны курсы, они не настроены`,
        ),
      ]);
    }
    const now = ctx.clock.now();
    Object.assign(values, {
      currency,
      stage_id: stage.id,
      status: stage.kind,
      stage_entered_at: now,
      created_at: now,
      closed_at: stage.kind === 'open' ? null : now,
      owner_id: values.owner_id === undefined ? principal.userId : values.owner_id,
    });
  },
  // A move makes a version without an audit row (its entry is in stage_events): a stale edit names
  // the latest moves as changes of the stage, from → to by name.
  unaudited: async (tx, ws, id, n) => {
    const rows = await tx.query<{
      at: Date;
      user_id: number | null;
      user: string | null;
      from: number | null;
      to: number;
      from_name: string | null;
      to_name: string;
    }>(sql`
      select x.recorded_at as at, x.user_id, u.name as "user", x.from_stage as "from", x.stage_id as "to",
             fs.name as from_name, ts.name as to_name
        from (select e.id, e.recorded_at, e.user_id, e.stage_id,
                     lag(e.stage_id) over (order by e.entered_at, e.id) as from_stage
                from stage_events e where e.workspace_id = ${ws} and e.deal_id = ${id}) x
        join stages ts on ts.workspace_id = ${ws} and ts.id = x.stage_id
        left join stages fs on fs.workspace_id = ${ws} and fs.id = x.from_stage
        left join users u on u.workspace_id = ${ws} and u.id = x.user_id
       order by x.id desc limit ${n}`);
    return rows.reverse().map((r) => ({
      at: r.at.toISOString(),
      user_id: r.user_id === null ? null : Number(r.user_id),
      user: r.user,
      action: 'update' as const,
      version: null,
      field: 'stage_id',
      from: r.from === null ? null : Number(r.from),
      to: Number(r.to),
      from_name: r.from_name,
      to_name: r.to_name,
    }));
  },
  afterUpdate: async ({ tx, principal, row }) => {
    await syncVisitAttributes(tx, principal.workspaceId, row.id as number);
  },
  afterCreate: async ({ tx, ctx, principal, row }) => {
    const ws = principal.workspaceId;
    const required = await requirementsFor(tx, ws, row.stage_id as number, (row.segment_id as number | null) ?? null);
    const eventId = await appendStageEntry(tx, ws, {
      dealId: row.id as number,
      pipelineId: row.pipeline_id as number,
      stageId: row.stage_id as number,
      enteredAt: row.created_at as Date,
      recordedAt: ctx.clock.now(),
      userId: principal.userId,
      source: 'api',
      required: { total: required.length, filled: required.filter((r) => isFilled(row, r.field)).length },
    });
    if (row.status === 'open') {
      await onStageEntered(tx, ctx, ws, row, { id: eventId, stage_id: row.stage_id as number, entered_at: row.created_at as Date });
    }
  },
};
