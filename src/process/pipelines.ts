import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { recountCounters, refreshDealsIn } from '../history/stage-history.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable, Row } from '../platform/db/types.ts';
import { AppError, fieldIssue, validationError } from '../platform/errors.ts';
import { readTime, requiredText, WHAT } from '../platform/resource/fields.ts';
import { archiveFields, getRecord, idSchema, isoTime, type Resource, toApi, updateRecord } from '../platform/resource/resource.ts';
import { errorResponses, idParams, principalOf, registerResourceRoutes, scoped } from '../platform/resource/resource-routes.ts';

export const STAGE_KINDS = ['open', 'won', 'lost'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

export interface StageRow {
  id: number;
  pipeline_id: number;
  name: string;
  kind: StageKind;
  position: number;
}

/** Only people who own the sales standard change pipelines and stages. */
export function configGuard(p: Principal, action: 'read' | 'write') {
  if (action === 'write' && p.role !== 'admin' && p.role !== 'head_of_sales') {
    throw new AppError('FORBIDDEN', {
      en: 'only an admin or the head of sales can change pipelines and fields',
      ru: 'менять воронки и поля может только администратор или РОП',
    });
  }
}

/**
 * Renumbers a pipeline's stages 1..n: open stages first, then won, then lost,
 * each group in its chosen order. Reports rely on this order to sort entries of
 * one deal made at the same instant.
 */
export async function normalisePositions(tx: Queryable, ws: number, pipelineId: number, moved?: { id: number; after: boolean }) {
  // A stage placed at position N takes that place: before the stage already there
  // when it moved up (or is new), after it when it moved down.
  const movedId = moved?.id ?? 0;
  const rank = moved?.after ? 1 : -1;
  const changed = await tx.run(sql`
    update stages s set position = o.rn
      from (select id, row_number() over (order by case kind when 'open' then 0 when 'won' then 1 else 2 end, position,
                                                   case when id = ${movedId} then ${rank} else 0 end, id) as rn
              from stages where workspace_id = ${ws} and pipeline_id = ${pipelineId}) o
     where s.workspace_id = ${ws} and s.id = o.id and s.position <> o.rn`);
  if (changed > 0) {
    // Visits carry stage positions (and same-instant order follows them): rebuild the pipeline's.
    await tx.exec('drop table if exists reorder_deals');
    await tx.query(sql`create temp table reorder_deals on commit drop as
                         select id as deal_id from deals where workspace_id = ${ws} and pipeline_id = ${pipelineId}`);
    await refreshDealsIn(tx, ws, 'reorder_deals');
    // Counters key visited stages by position: recount them for the new order.
    await recountCounters(tx, ws, pipelineId);
  }
}

export const MAX_STAGES = 50;

/**
 * Whether any deal ever entered the stage: a stage with history is archived, never deleted or
 * re-kinded. Asked of the visits (one per entry, indexed by stage), not of the unindexed log.
 */
export async function stageHasHistory(tx: Queryable, ws: number, stageId: number): Promise<boolean> {
  const [r] = await tx.query<{ h: boolean }>(
    sql`select exists (select 1 from stage_visits where workspace_id = ${ws} and stage_id = ${stageId}) as h`,
  );
  return r.h;
}

/**
 * The stages in use (not archived) of a pipeline with one stage changed or left out: they must
 * still let a deal be worked and closed both ways.
 */
export async function checkStagesInUse(
  tx: Queryable,
  ws: number,
  pipelineId: number,
  change: { id: number; kind?: StageKind },
  field: string,
) {
  const rows = await tx.query<{ id: number; name: string; kind: StageKind }>(
    sql`select id, name, kind from stages where workspace_id = ${ws} and pipeline_id = ${pipelineId} and archived_at is null`,
  );
  const left = rows.flatMap((r) => (Number(r.id) !== change.id ? [r] : change.kind ? [{ ...r, kind: change.kind }] : []));
  const missing = STAGE_KINDS.filter((k) => !left.some((r) => r.kind === k));
  if (missing.length === 0) return;
  const what = {
    open: { en: 'the last open stage', ru: 'последний открытый этап' },
    won: { en: 'the only won stage', ru: 'единственный этап «успешно»' },
    lost: { en: 'the only lost stage', ru: 'единственный этап «не реализовано»' },
  }[missing[0]];
  throw validationError([
    fieldIssue(
      field,
      `this is ${what.en} of the pipeline: add another first`,
      `это ${what.ru} воронки: сначала добавьте другой`,
      'last_of_kind',
    ),
  ]);
}

async function checkKindChange(tx: Queryable, ws: number, existing: Row, kind: StageKind) {
  if (await stageHasHistory(tx, ws, existing.id as number))
    throw validationError([
      fieldIssue(
        'kind',
        'deals have entered this stage: its kind stays; archive it and add a new stage instead',
        'на этом этапе уже были сделки: тип не меняется; отправьте этап в архив и добавьте новый',
        'immutable',
      ),
    ]);
  await checkStagesInUse(tx, ws, existing.pipeline_id as number, { id: existing.id as number, kind }, 'kind');
}

export const stages: Resource = {
  path: 'stages',
  table: 'stages',
  what: WHAT.stage,
  defaultSort: 'position',
  fields: {
    pipeline_id: {
      out: idSchema,
      in: idSchema,
      required: true,
      updatable: false,
      filter: 'eq',
      ref: { table: 'pipelines', what: WHAT.pipeline },
    },
    name: requiredText(200, { sort: true }),
    kind: {
      out: z.enum(STAGE_KINDS),
      in: z.enum(STAGE_KINDS),
      required: true,
      filter: 'eq',
      description: 'Changeable only while no deal has entered the stage',
    },
    position: {
      out: z.number().int(),
      in: z.number().int().min(0).max(10_000),
      sort: true,
      description: 'Order within the pipeline; open stages always come before won and lost ones',
    },
    guidance_ru: {
      out: z.string().nullable(),
      in: z.string().trim().max(4000).nullable(),
      description: 'What to do at this stage (Russian)',
    },
    guidance_en: {
      out: z.string().nullable(),
      in: z.string().trim().max(4000).nullable(),
      description: 'What to do at this stage (English)',
    },
    created_at: readTime(),
    ...archiveFields,
  },
  immutable: {
    pipeline_id: {
      en: 'a stage stays in its pipeline',
      ru: 'этап нельзя перенести в другую воронку',
    },
  },
  beforeWrite: async ({ tx, principal, values, existing }) => {
    if (existing && values.kind !== undefined && values.kind !== existing.kind)
      await checkKindChange(tx, principal.workspaceId, existing, values.kind as StageKind);
    if (!existing) {
      const [c] = await tx.query<{ n: number }>(
        sql`select count(*)::int8 as n from stages where workspace_id = ${principal.workspaceId} and pipeline_id = ${values.pipeline_id as number}`,
      );
      if (c.n >= MAX_STAGES) {
        throw validationError([
          fieldIssue('pipeline_id', `a pipeline has at most ${MAX_STAGES} stages`, `в воронке не больше ${MAX_STAGES} этапов`),
        ]);
      }
    }
    if (values.position === undefined && values.kind !== undefined) {
      // A new stage goes to the end of its kind's group.
      const [r] = await tx.query<{ p: number }>(
        sql`select coalesce(max(position), 0) + 1 as p from stages where workspace_id = ${principal.workspaceId} and pipeline_id = ${values.pipeline_id as number}`,
      );
      values.position = r.p;
    }
  },
  afterCreate: async ({ tx, principal, row }) => {
    await normalisePositions(tx, principal.workspaceId, row.pipeline_id as number, { id: row.id as number, after: false });
  },
  afterUpdate: async ({ tx, principal, row, existing }) => {
    const after = (row.position as number) > ((existing?.position as number) ?? 0);
    await normalisePositions(tx, principal.workspaceId, row.pipeline_id as number, { id: row.id as number, after });
  },
};

const pipelineOut = z.object({
  id: idSchema,
  name: z.string(),
  position: z.number().int(),
  archived: z.boolean(),
  created_at: isoTime,
  version: z.number().int(),
  stages: z.array(
    z.object({
      id: idSchema,
      name: z.string(),
      kind: z.enum(STAGE_KINDS),
      position: z.number().int(),
      guidance_ru: z.string().nullable(),
      guidance_en: z.string().nullable(),
      archived: z.boolean().describe('Archived: kept in history and reports, no longer a move target'),
      open_deals: z.number().int().describe('Open deals in the stage now'),
      has_history: z.boolean().describe('Some deal has entered it: it can be archived, not deleted'),
      version: z.number().int(),
    }),
  ),
});

export const pipelines: Resource = {
  path: 'pipelines',
  table: 'pipelines',
  what: WHAT.pipeline,
  defaultSort: 'position',
  fields: {
    name: requiredText(200, { sort: true }),
    position: {
      out: z.number().int(),
      in: z.number().int().min(0).max(10_000),
      sort: true,
    },
    archived: { out: z.boolean(), in: z.boolean(), filter: 'bool' },
    created_at: readTime(),
  },
};

const stageInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(STAGE_KINDS),
});
const pipelineCreate = z.strictObject({
  name: z.string().trim().min(1).max(200),
  position: z.number().int().min(0).max(10_000).optional(),
  stages: z.array(stageInput).min(3).max(MAX_STAGES).describe('Open stages in funnel order, then at least one won and one lost stage'),
});

/** A pipeline's stages must allow a deal to be worked and closed both ways. */
export function checkStageSet(all: { name: string; kind: StageKind; archived?: boolean }[], path = 'stages') {
  const issues = [];
  // The stages in use must let a deal be worked and closed both ways; names are unique among all.
  const list = all.filter((s) => !s.archived);
  if (!list.some((s) => s.kind === 'open'))
    issues.push(fieldIssue(path, 'needs at least one open stage', 'нужен хотя бы один открытый этап'));
  if (!list.some((s) => s.kind === 'won')) issues.push(fieldIssue(path, 'needs a won stage', 'нужен этап «успешно»'));
  if (!list.some((s) => s.kind === 'lost')) issues.push(fieldIssue(path, 'needs a lost stage', 'нужен этап «не реализовано»'));
  const seen = new Map<string, number>();
  all.forEach((s, i) => {
    const k = s.name.trim().toLowerCase();
    if (seen.has(k))
      issues.push(fieldIssue(`${path}.${i}.name`, `duplicate stage name "${s.name}"`, `этап «${s.name}» повторяется`, 'duplicate'));
    seen.set(k, i);
  });
  if (issues.length) throw validationError(issues);
}

export async function createPipeline(
  tx: Queryable,
  ws: number,
  now: Date,
  input: {
    name: string;
    position?: number;
    stages: { name: string; kind: StageKind }[];
  },
): Promise<number> {
  checkStageSet(input.stages);
  const [p] = await tx.query<{ id: number }>(
    sql`insert into pipelines (workspace_id, name, position, created_at, updated_at)
        values (${ws}, ${input.name}, ${input.position ?? 0}, ${now}, ${now}) returning id`,
  );
  const ordered = [
    ...input.stages.filter((s) => s.kind === 'open'),
    ...input.stages.filter((s) => s.kind === 'won'),
    ...input.stages.filter((s) => s.kind === 'lost'),
  ];
  for (const [i, s] of ordered.entries()) {
    await tx.query(
      sql`insert into stages (workspace_id, pipeline_id, name, kind, position, created_at, updated_at)
          values (${ws}, ${p.id}, ${s.name}, ${s.kind}, ${i + 1}, ${now}, ${now})`,
    );
  }
  return p.id;
}

export async function loadStages(tx: Queryable, ws: number, pipelineId: number): Promise<StageRow[]> {
  return tx.query<StageRow>(
    sql`select id, pipeline_id, name, kind, position from stages where workspace_id = ${ws} and pipeline_id = ${pipelineId} order by position`,
  );
}

async function pipelineView(tx: Queryable, ws: number, row: Row) {
  const st = await tx.query<Row>(
    sql`select s.id, s.name, s.kind, s.position, s.guidance_ru, s.guidance_en, s.archived_at is not null as archived,
               (select count(*) from deals d where d.workspace_id = s.workspace_id and d.pipeline_id = s.pipeline_id and d.stage_id = s.id
                                                   and d.status = 'open')::int8 as open_deals,
               exists (select 1 from stage_visits v where v.workspace_id = s.workspace_id and v.stage_id = s.id) as has_history, s.version
          from stages s where s.workspace_id = ${ws} and s.pipeline_id = ${row.id as number} order by s.position`,
  );
  return { ...toApi(pipelines, row), stages: st } as z.infer<typeof pipelineOut>;
}

/** Pipelines come with their stages; stages are also a resource of their own. */
export function registerPipelineRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['pipelines'];
  zapp.get(
    '/api/v1/pipelines',
    {
      schema: {
        tags,
        summary: 'List pipelines with their stages',
        querystring: z.strictObject({
          archived: z.enum(['true', 'false']).optional(),
          lang: z.enum(['ru', 'en']).optional(),
        }),
        response: {
          200: z.object({ items: z.array(pipelineOut), next_cursor: z.null() }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const archived = req.query.archived === undefined ? null : req.query.archived === 'true';
        const rows = await tx.query<Row>(
          sql`select * from pipelines where workspace_id = ${p.workspaceId} and (${archived}::boolean is null or archived = ${archived}) order by position, id`,
        );
        return {
          items: await Promise.all(rows.map((r) => pipelineView(tx, p.workspaceId, r))),
          next_cursor: null,
        };
      }),
  );
  zapp.post(
    '/api/v1/pipelines',
    {
      schema: {
        tags,
        summary: 'Create a pipeline with its stages',
        body: pipelineCreate,
        response: { 201: pipelineOut, ...errorResponses },
      },
    },
    async (req, reply) => {
      configGuard(principalOf(req), 'write');
      const view = await scoped(ctx, req, async (tx, p) => {
        const id = await createPipeline(tx, p.workspaceId, ctx.clock.now(), req.body);
        return pipelineView(tx, p.workspaceId, await getRecord(tx, p.workspaceId, pipelines, id));
      });
      return reply.status(201).send(view);
    },
  );
  zapp.get(
    '/api/v1/pipelines/:id',
    {
      schema: {
        tags,
        summary: 'Read a pipeline with its stages',
        params: idParams,
        response: { 200: pipelineOut, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => pipelineView(tx, p.workspaceId, await getRecord(tx, p.workspaceId, pipelines, req.params.id))),
  );
  const update = z.strictObject({
    version: z.number().int().positive(),
    name: z.string().trim().min(1).max(200).optional(),
    position: z.number().int().min(0).max(10_000).optional(),
    archived: z.boolean().optional(),
  });
  zapp.patch(
    '/api/v1/pipelines/:id',
    {
      schema: {
        tags,
        summary: 'Rename, reorder or archive a pipeline',
        params: idParams,
        body: update,
        response: { 200: pipelineOut, ...errorResponses },
      },
    },
    async (req) => {
      configGuard(principalOf(req), 'write');
      return scoped(ctx, req, async (tx, p) => {
        const row = await updateRecord(tx, ctx, p, pipelines, req.params.id, req.body);
        return pipelineView(tx, p.workspaceId, row);
      });
    },
  );
  registerResourceRoutes(app, ctx, stages, configGuard);
}
