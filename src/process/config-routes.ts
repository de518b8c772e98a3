import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { audit } from '../platform/audit.ts';
import type { AppContext } from '../platform/context.ts';
import { errorResponses, principalOf, scoped } from '../platform/resource/resource-routes.ts';
import { configDocSchema, exportConfig, importConfig, parseConfigDoc } from './config-doc.ts';
import { configGuard } from './pipelines.ts';

export function registerConfigRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  zapp.get(
    '/api/v1/config',
    {
      schema: {
        tags: ['config'],
        summary: 'The sales standard as one document: segments, deal fields, pipelines with stages, requirements, playbooks, calendar',
        querystring: z.strictObject({ lang: z.enum(['ru', 'en']).optional() }),
        response: { 200: configDocSchema, ...errorResponses },
      },
    },
    async (req) => scoped(ctx, req, (tx, p) => exportConfig(tx, p.workspaceId)),
  );
  zapp.put(
    '/api/v1/config',
    {
      schema: {
        tags: ['config'],
        summary: 'Apply a standard document (merged by name and key; templates left out are deactivated, never deleted)',
        body: configDocSchema,
        response: {
          200: z.object({
            segments_created: z.number().int(),
            fields_created: z.number().int(),
            pipelines_created: z.number().int(),
            stages_created: z.number().int(),
            requirements: z.number().int(),
            templates_created: z.number().int(),
            templates_updated: z.number().int(),
            templates_deactivated: z.number().int(),
            calendar_days: z.number().int(),
            rules: z.number().int(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      configGuard(principalOf(req), 'write');
      const doc = parseConfigDoc(req.body);
      return scoped(ctx, req, async (tx, p) => {
        const r = await importConfig(tx, p.workspaceId, doc, ctx.clock.now());
        await audit(tx, {
          workspaceId: p.workspaceId,
          userId: p.userId,
          entity: 'config',
          entityId: 0,
          action: 'update',
          at: ctx.clock.now(),
          changes: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { from: null, to: v }])),
        });
        return r;
      });
    },
  );
}
