import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertVisible, scopeFor } from '../platform/auth/access.ts';
import type { AppContext } from '../platform/context.ts';
import { WHAT } from '../platform/resource/fields.ts';
import { idSchema, isoTime, schemasOf, toApi } from '../platform/resource/resource.ts';
import { errorResponses, idParams, registerResourceRoutes, scoped } from '../platform/resource/resource-routes.ts';
import { STAGE_KINDS } from '../process/pipelines.ts';
import { deals } from './deals.ts';
import { registerLeadConvertRoute } from './lead-convert.ts';
import { dealHistory, moveDeal } from './move-deal.ts';

const moveBody = z.strictObject({
  stage_id: idSchema,
  version: z.number().int().positive().optional().describe('The version you read: a stale one answers 409'),
  at: isoTime.optional().describe('When the move happened (default now); not before the last entry'),
  reason: z.string().trim().max(1000).optional(),
  force: z.boolean().optional().describe('Enter although required fields are empty (who may: the workspace move policy, /move-policy)'),
  loss_reason_id: idSchema
    .optional()
    .describe('Why the deal was lost, when the stage is a lost one: required while any loss reason is active (/loss-reasons)'),
  set: schemasOf(deals)
    .update.omit({ version: true })
    .optional()
    .describe('Deal fields to fill before the move, in the same transaction (e.g. the missing requirements)'),
});

const historyItem = z.object({
  id: idSchema,
  stage_id: idSchema,
  stage_name: z.string(),
  stage_kind: z.enum(STAGE_KINDS),
  entered_at: isoTime,
  left_at: isoTime.nullable(),
  duration_days: z.number().nullable(),
  user_id: idSchema.nullable(),
  reason: z.string().nullable(),
  source: z.string(),
  recorded_at: isoTime,
});

export function registerDealRoutes(app: FastifyInstance, ctx: AppContext) {
  registerResourceRoutes(app, ctx, deals);
  registerLeadConvertRoute(app, ctx);
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const out = schemasOf(deals).output;
  zapp.post(
    '/api/v1/deals/:id/move',
    {
      schema: {
        tags: ['deals'],
        summary: 'Move a deal to a stage of its pipeline (appends to its history)',
        params: idParams,
        body: moveBody,
        response: {
          200: z.object({ deal: out, event_id: idSchema }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const r = await scoped(ctx, req, async (tx, p) => {
        await assertVisible(tx, p.workspaceId, 'deals', req.params.id, await scopeFor(tx, p, 'deals', 'write'), WHAT.deal);
        return moveDeal(tx, ctx, p, req.params.id, req.body);
      });
      return { deal: toApi(deals, r.deal), event_id: r.event_id };
    },
  );
  zapp.get(
    '/api/v1/deals/:id/history',
    {
      schema: {
        tags: ['deals'],
        summary: 'The stage history of a deal, oldest first',
        params: idParams,
        querystring: z.strictObject({ lang: z.enum(['ru', 'en']).optional() }),
        response: {
          200: z.object({ items: z.array(historyItem) }),
          ...errorResponses,
        },
      },
    },
    async (req) => ({
      items: await scoped(ctx, req, async (tx, p) => {
        await assertVisible(tx, p.workspaceId, 'deals', req.params.id, await scopeFor(tx, p, 'deals', 'read'), WHAT.deal);
        return dealHistory(tx, p.workspaceId, req.params.id);
      }),
    }),
  );
}
