import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { audit } from '../platform/audit.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable, Row } from '../platform/db/types.ts';
import { fieldIssue, validationError, versionConflict } from '../platform/errors.ts';
import { WHAT } from '../platform/resource/fields.ts';
import { namedList } from '../platform/resource/named-list.ts';
import { conflict, getRecord, idSchema, type Resource, schemasOf, toApi } from '../platform/resource/resource.ts';
import { errorResponses, idParams, principalOf, registerResourceRoutes, scoped } from '../platform/resource/resource-routes.ts';
import { FORCE_POLICIES, type MovePolicy, readMovePolicy } from './config-rules.ts';
import { checkStagesInUse, configGuard, normalisePositions, STAGE_KINDS, stageHasHistory, stages } from './pipelines.ts';
import { STANDARD_TEMPLATES, templateDoc } from './templates.ts';

export const LOSS_REASON = { en: 'loss reason', ru: 'причина проигрыша' };

/** Why deals are lost: the head of sales' list, offered when a deal is lost. */
export const lossReasons: Resource = namedList({
  path: 'loss-reasons',
  table: 'loss_reasons',
  what: LOSS_REASON,
  names: 'ru+en',
  activeMeans: 'Offered when a deal is lost; an inactive reason stays on the entries that name it',
});

const reasonOut = schemasOf(lossReasons).output;
const stageOut = schemasOf(stages).output;
export const versionIn = z.number().int().positive().describe('The version you read; a stale one answers 409');

/** The stage locked and version-checked for an archive, restore or delete. */
export async function lockedStage(tx: Queryable, ws: number, id: number, version: number): Promise<Row> {
  const stage = await getRecord(tx, ws, stages, id, true);
  if (stage.version !== version) throw versionConflict(WHAT.stage, id, stage.version as number, version);
  return stage;
}

export async function restoreStage(tx: Queryable, ctx: AppContext, p: Principal, id: number, version: number): Promise<Row> {
  const ws = p.workspaceId;
  const stage = await lockedStage(tx, ws, id, version);
  if (stage.archived_at === null) throw conflict(`stage ${id} is not archived`, `этап ${id} не в архиве`);
  const now = ctx.clock.now();
  const [row] = await tx.query<Row>(sql`
    update stages set archived_at = null, archived_by = null, updated_at = ${now}, version = version + 1
     where workspace_id = ${ws} and id = ${id} returning *`);
  await audit(tx, {
    workspaceId: ws,
    userId: p.userId,
    entity: 'stages',
    entityId: id,
    action: 'restore',
    at: now,
    changes: { archived_at: { from: (stage.archived_at as Date).toISOString(), to: null } },
    version: row.version as number,
  });
  return row;
}

/** Deletes a stage no deal ever entered (with its requirements and playbook); one with history is archived instead. */
export async function deleteStage(tx: Queryable, ctx: AppContext, p: Principal, id: number, version: number): Promise<void> {
  const ws = p.workspaceId;
  const stage = await lockedStage(tx, ws, id, version);
  if (await stageHasHistory(tx, ws, id))
    throw conflict(
      `deals have entered stage "${stage.name}": archive it instead, its history stays`,
      `на этапе «${stage.name}» уже были сделки: отправьте его в архив, история сохранится`,
    );
  if (stage.archived_at === null) await checkStagesInUse(tx, ws, stage.pipeline_id as number, { id }, 'id');
  // Counters hold a zero row per stage once any deal of the pipeline closed; without visits they count nothing.
  await tx.query(sql`delete from funnel_checkpoint_counters where workspace_id = ${ws} and stage_id = ${id}`);
  await tx.query(sql`delete from funnel_counters where workspace_id = ${ws} and stage_id = ${id}`);
  await tx.query(sql`delete from stages where workspace_id = ${ws} and id = ${id}`);
  await normalisePositions(tx, ws, stage.pipeline_id as number);
  await audit(tx, {
    workspaceId: ws,
    userId: p.userId,
    entity: 'stages',
    entityId: id,
    action: 'delete',
    at: ctx.clock.now(),
    changes: { name: { from: stage.name, to: null }, kind: { from: stage.kind, to: null } },
  });
}

/** Puts the whole list in the given order (every reason once), positions 1..n. */
export async function reorderLossReasons(tx: Queryable, ctx: AppContext, p: Principal, ids: number[]): Promise<void> {
  const ws = p.workspaceId;
  const rows = await tx.query<{ id: number; position: number }>(
    sql`select id, position from loss_reasons where workspace_id = ${ws} order by id for update`,
  );
  const known = new Set(rows.map((r) => Number(r.id)));
  if (new Set(ids).size !== ids.length || ids.length !== known.size || ids.some((i) => !known.has(i)))
    throw validationError([
      fieldIssue('ids', 'list every loss reason exactly once', 'перечислите каждую причину ровно один раз', 'invalid'),
    ]);
  const now = ctx.clock.now();
  for (const [i, rid] of ids.entries()) {
    const before = rows.find((r) => Number(r.id) === rid)?.position;
    if (before === i + 1) continue;
    const [row] = await tx.query<{ version: number }>(
      sql`update loss_reasons set position = ${i + 1}, updated_at = ${now}, version = version + 1
           where workspace_id = ${ws} and id = ${rid} returning version`,
    );
    await audit(tx, {
      workspaceId: ws,
      userId: p.userId,
      entity: 'loss_reasons',
      entityId: rid,
      action: 'update',
      at: now,
      changes: { position: { from: before, to: i + 1 } },
      version: row.version,
    });
  }
}

const policyOut = z.object({
  who: z
    .enum(FORCE_POLICIES)
    .describe(
      'Who may move a deal past unmet stage requirements: nobody; admin and head of sales; also team leads, for deals of their team',
    ),
  needs_reason: z.boolean().describe('A forced move must say why'),
  version: z.number().int().describe('The workspace version (a stale one answers 409)'),
});

async function policyView(tx: Queryable, ws: number) {
  const [w] = await tx.query<{ version: number }>(sql`select version from workspaces where workspace_id = ${ws}`);
  return { ...(await readMovePolicy(tx, ws)), version: w.version };
}

/** Stage restore and delete; loss reasons; the forced-move policy (issue 17). The archive moves deals: src/crm/stage-archive.ts. */
export function registerRuleRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  zapp.post(
    '/api/v1/stages/:id/restore',
    {
      schema: {
        tags: ['stages'],
        summary: 'Take a stage out of the archive: a move target and a board column again',
        params: idParams,
        body: z.strictObject({ version: versionIn }),
        response: { 200: stageOut, ...errorResponses },
      },
    },
    async (req) => {
      configGuard(principalOf(req), 'write');
      return toApi(stages, await scoped(ctx, req, (tx, p) => restoreStage(tx, ctx, p, req.params.id, req.body.version)));
    },
  );
  zapp.delete(
    '/api/v1/stages/:id',
    {
      schema: {
        tags: ['stages'],
        summary: 'Delete a stage no deal has entered (a stage with history is archived instead)',
        params: idParams,
        querystring: z.strictObject({ version: z.coerce.number().int().positive().describe('The version you read') }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      configGuard(principalOf(req), 'write');
      await scoped(ctx, req, (tx, p) => deleteStage(tx, ctx, p, req.params.id, req.query.version));
      return reply.status(204).send(null);
    },
  );

  zapp.get(
    '/api/v1/pipeline-templates',
    {
      schema: {
        tags: ['pipelines'],
        summary: "The standard templates' pipelines (stage names and kinds), to start a new pipeline from",
        response: {
          200: z.object({
            items: z.array(
              z.object({
                template: z.enum(STANDARD_TEMPLATES),
                name: z.string(),
                stages: z.array(z.object({ name: z.string(), kind: z.enum(STAGE_KINDS) })),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async () => ({
      items: STANDARD_TEMPLATES.flatMap((t) =>
        (templateDoc(t)?.pipelines ?? []).map((p) => ({
          template: t,
          name: p.name,
          stages: p.stages.map((s) => ({ name: s.name, kind: s.kind })),
        })),
      ),
    }),
  );

  registerResourceRoutes(app, ctx, lossReasons, configGuard);
  zapp.put(
    '/api/v1/loss-reasons/order',
    {
      schema: {
        tags: ['loss-reasons'],
        summary: 'Put the loss reasons in this order (every reason once)',
        body: z.strictObject({ ids: z.array(idSchema).max(500) }),
        response: { 200: z.object({ items: z.array(reasonOut) }), ...errorResponses },
      },
    },
    async (req) => {
      configGuard(principalOf(req), 'write');
      return scoped(ctx, req, async (tx, p) => {
        await reorderLossReasons(tx, ctx, p, req.body.ids);
        const rows = await tx.query<Row>(sql`select * from loss_reasons where workspace_id = ${p.workspaceId} order by position, id`);
        return { items: rows.map((r) => toApi(lossReasons, r)) };
      });
    },
  );

  zapp.get(
    '/api/v1/move-policy',
    {
      schema: {
        tags: ['move-policy'],
        summary: 'Who may force a move past unmet stage requirements',
        response: { 200: policyOut, ...errorResponses },
      },
    },
    async (req) => scoped(ctx, req, (tx, p) => policyView(tx, p.workspaceId)),
  );
  zapp.put(
    '/api/v1/move-policy',
    {
      schema: {
        tags: ['move-policy'],
        summary: 'Set who may force a move past unmet stage requirements, and whether it needs a reason',
        body: z.strictObject({ who: z.enum(FORCE_POLICIES), needs_reason: z.boolean(), version: versionIn }),
        response: { 200: policyOut, ...errorResponses },
      },
    },
    async (req) => {
      configGuard(principalOf(req), 'write');
      return scoped(ctx, req, async (tx, p) => {
        const ws = p.workspaceId;
        const before = await policyView(tx, ws);
        if (before.version !== req.body.version)
          throw versionConflict({ en: 'workspace', ru: 'пространство' }, ws, before.version, req.body.version);
        await writeMovePolicy(tx, ctx, p, { who: req.body.who, needs_reason: req.body.needs_reason });
        return policyView(tx, ws);
      });
    },
  );
}

/** Sets the policy (audited as a change of the workspace); no-op when nothing changes. */
export async function writeMovePolicy(
  tx: Queryable,
  ctx: AppContext,
  p: Pick<Principal, 'workspaceId' | 'userId'>,
  next: MovePolicy,
): Promise<boolean> {
  const ws = p.workspaceId;
  const before = await readMovePolicy(tx, ws);
  if (before.who === next.who && before.needs_reason === next.needs_reason) return false;
  const now = ctx.clock.now();
  const [w] = await tx.query<{ version: number }>(sql`
    update workspaces set force_policy = ${next.who}, force_needs_reason = ${next.needs_reason}, version = version + 1
     where workspace_id = ${ws} returning version`);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  if (before.who !== next.who) changes.force_policy = { from: before.who, to: next.who };
  if (before.needs_reason !== next.needs_reason) changes.force_needs_reason = { from: before.needs_reason, to: next.needs_reason };
  await audit(tx, {
    workspaceId: ws,
    userId: p.userId,
    entity: 'workspaces',
    entityId: ws,
    action: 'update',
    at: now,
    changes,
    version: w.version,
  });
  return true;
}
