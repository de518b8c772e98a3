import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { audit } from '../platform/audit.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable, Row } from '../platform/db/types.ts';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { conflict, idSchema, schemasOf, toApi } from '../platform/resource/resource.ts';
import { errorResponses, idParams, principalOf, scoped } from '../platform/resource/resource-routes.ts';
import { checkStagesInUse, configGuard, stages } from '../process/pipelines.ts';
import { lockedStage, versionIn } from '../process/rules.ts';
import { moveDeal } from './move-deal.ts';

const stageOut = schemasOf(stages).output;

/** The stage open deals of an archived stage go to: another open stage of its pipeline, in use. */
async function checkTarget(tx: Queryable, ws: number, stage: Row, targetId: number) {
  const [t] = await tx.query<{ pipeline_id: number; kind: string; archived: boolean; name: string }>(
    sql`select pipeline_id, kind, archived_at is not null as archived, name from stages where workspace_id = ${ws} and id = ${targetId}`,
  );
  const refuse = (en: string, ru: string, code: string) => validationError([fieldIssue('move_open_to', en, ru, code)]);
  if (!t) throw refuse(`no stage ${targetId} in this workspace`, `в этом пространстве нет этапа ${targetId}`, 'not_found');
  if (targetId === stage.id)
    throw refuse('choose another stage than the one archived', 'выберите другой этап, не тот, что уходит в архив', 'same');
  if (Number(t.pipeline_id) !== stage.pipeline_id)
    throw refuse(`stage "${t.name}" is in another pipeline`, `этап «${t.name}» из другой воронки`, 'stage_not_in_pipeline');
  if (t.archived) throw refuse(`stage "${t.name}" is archived`, `этап «${t.name}» в архиве`, 'archived');
  if (t.kind !== 'open')
    throw refuse(
      'open deals move to an open stage (close them one by one if they are won or lost)',
      'открытые сделки переходят на открытый этап (выигранные и проигранные закройте по одной)',
      'not_open',
    );
}

/**
 * Archives a stage in one transaction: its open deals go to `targetId` through the ordinary move
 * (a history entry each, playbook tasks as for any move, requirements recorded, not enforced), then
 * the stage leaves the board and the pickers. Its history stays, so past reports keep counting it.
 */
export async function archiveStage(
  tx: Queryable,
  ctx: AppContext,
  p: Principal,
  id: number,
  input: { version: number; move_open_to?: number },
): Promise<{ stage: Row; moved: number }> {
  const ws = p.workspaceId;
  const stage = await lockedStage(tx, ws, id, input.version);
  if (stage.archived_at !== null) throw conflict(`stage ${id} is already archived`, `этап ${id} уже в архиве`);
  await checkStagesInUse(tx, ws, stage.pipeline_id as number, { id }, 'id');
  const open = await tx.query<{ id: number }>(
    sql`select id from deals where workspace_id = ${ws} and pipeline_id = ${stage.pipeline_id as number} and stage_id = ${id}
          and status = 'open' order by id for update`,
  );
  if (input.move_open_to !== undefined) await checkTarget(tx, ws, stage, input.move_open_to);
  else if (open.length > 0)
    throw validationError([
      fieldIssue(
        'move_open_to',
        `the stage has ${open.length} open deals: choose the stage they move to`,
        `на этапе открытых сделок: ${open.length}; выберите этап, куда они перейдут`,
        'required',
      ),
    ]);
  const [w] = await tx.query<{ locale: 'ru' | 'en' }>(sql`select locale from workspaces where workspace_id = ${ws}`);
  const reason = w.locale === 'ru' ? 'этап в архиве' : 'stage archived';
  for (const d of open) {
    await moveDeal(tx, ctx, p, Number(d.id), { stage_id: input.move_open_to as number, reason }, { administrative: true });
  }
  const now = ctx.clock.now();
  const [row] = await tx.query<Row>(sql`
    update stages set archived_at = ${now}, archived_by = ${p.userId}, updated_at = ${now}, version = version + 1
     where workspace_id = ${ws} and id = ${id} returning *`);
  await audit(tx, {
    workspaceId: ws,
    userId: p.userId,
    entity: 'stages',
    entityId: id,
    action: 'archive',
    at: now,
    changes: {
      archived_at: { from: null, to: now.toISOString() },
      ...(open.length > 0 ? { open_deals: { from: open.length, to: 0 }, move_open_to: { from: null, to: input.move_open_to } } : {}),
    },
    version: row.version as number,
  });
  return { stage: row, moved: open.length };
}

/**
 * `POST /api/v1/stages/:id/archive` — here, beside the move, because it moves deals (the rest of
 * the stage rules, restore and delete, are in src/process/rules.ts, below the deals in the layers).
 */
export function registerStageArchiveRoute(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  zapp.post(
    '/api/v1/stages/:id/archive',
    {
      schema: {
        tags: ['stages'],
        summary: 'Archive a stage: its open deals move to another open stage first (history is kept, never deleted)',
        params: idParams,
        body: z.strictObject({
          version: versionIn,
          move_open_to: idSchema.optional().describe('The open stage of the same pipeline its open deals move to (needed when it has any)'),
        }),
        response: { 200: z.object({ stage: stageOut, moved: z.number().int().describe('Open deals moved') }), ...errorResponses },
      },
    },
    async (req) => {
      configGuard(principalOf(req), 'write');
      const r = await scoped(ctx, req, (tx, p) => archiveStage(tx, ctx, p, req.params.id, req.body));
      return { stage: toApi(stages, r.stage), moved: r.moved };
    },
  );
}
