import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import type { AppContext } from '../platform/context.ts';
import { AppError, versionConflict } from '../platform/errors.ts';
import { getRecord, schemasOf, toApi } from '../platform/resource/resource.ts';
import { errorResponses, idParams, principalOf, scoped } from '../platform/resource/resource-routes.ts';
import { configGuard } from '../process/pipelines.ts';
import { taskTemplates } from '../process/playbooks.ts';
import { suggestedDueDays, suggestionSchema } from './discipline-report.ts';

/** A playbook task's deadline set from what won deals took (the discipline report's suggestion). */
export function registerSlaRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  zapp.post(
    '/api/v1/task-templates/:id/apply-suggestion',
    {
      schema: {
        tags: ['task-templates'],
        summary: "Set the template's deadline to the suggested SLA: the median time won deals took for this task (calendar days, n ≥ 10)",
        params: idParams,
        body: z.strictObject({ version: z.number().int().positive() }),
        response: { 200: z.object({ template: schemasOf(taskTemplates).output, suggestion: suggestionSchema }), ...errorResponses },
      },
    },
    async (req) => {
      configGuard(principalOf(req), 'write');
      return scoped(ctx, req, async (tx, p) => {
        const t = await getRecord(tx, p.workspaceId, taskTemplates, req.params.id, true);
        if (t.version !== req.body.version) throw versionConflict(taskTemplates.what, req.params.id, t.version as number, req.body.version);
        const [s] = await suggestedDueDays(
          tx,
          { workspaceId: p.workspaceId, pipeline: { id: t.pipeline_id as number, name: '' }, asOf: ctx.clock.now() },
          { stageId: t.stage_id as number, segmentId: (t.segment_id as number | null) ?? null, type: t.type as string },
        );
        if (!s) {
          throw new AppError('NOT_ENOUGH_DATA', {
            en: 'fewer than 10 such tasks were done on deals that were won: no suggestion yet',
            ru: 'таких задач по выигранным сделкам выполнено меньше 10: предложения пока нет',
          });
        }
        await tx.query(sql`
          update task_templates set due_days = ${Math.max(1, Math.ceil(s.median_days))}, day_kind = 'calendar', version = version + 1, updated_at = ${ctx.clock.now()}
           where workspace_id = ${p.workspaceId} and id = ${req.params.id}`);
        return { template: toApi(taskTemplates, await getRecord(tx, p.workspaceId, taskTemplates, req.params.id)), suggestion: s };
      });
    },
  );
}
