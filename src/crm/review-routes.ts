import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import type { AppContext } from '../platform/context.ts';
import { AppError, versionConflict } from '../platform/errors.ts';
import { WHAT } from '../platform/resource/fields.ts';
import { getRecord, schemasOf, toApi } from '../platform/resource/resource.ts';
import { errorResponses, idParams, principalOf, scoped } from '../platform/resource/resource-routes.ts';
import { IN_REVIEW } from '../process/review.ts';
import { deals } from './deals.ts';

const reviewer = (role: string) => {
  if (role !== 'admin' && role !== 'head_of_sales') {
    throw new AppError('FORBIDDEN', {
      en: 'only the head of sales or an admin reviews atypical deals',
      ru: 'нетиповые сделки рассматривает РОП или администратор',
    });
  }
};

export function registerReviewRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const out = schemasOf(deals).output;
  zapp.get(
    '/api/v1/review-queue',
    {
      schema: {
        tags: ['review'],
        summary: 'Atypical deals (flagged, or in an atypical segment) not yet reviewed',
        querystring: z.strictObject({ lang: z.enum(['ru', 'en']).optional() }),
        response: { 200: z.object({ items: z.array(out) }), ...errorResponses },
      },
    },
    async (req) => {
      reviewer(principalOf(req).role);
      return scoped(ctx, req, async (tx, p) => {
        const rows = await tx.query(
          sql`select d.* from deals d where d.workspace_id = ${p.workspaceId} and ${IN_REVIEW} and d.review_decision is null order by d.updated_at`,
        );
        return { items: rows.map((r) => toApi(deals, r)) };
      });
    },
  );
  zapp.post(
    '/api/v1/deals/:id/review',
    {
      schema: {
        tags: ['review'],
        summary: 'Decide on an atypical deal: typical (it counts in discipline) or atypical (it stays out)',
        params: idParams,
        body: z.strictObject({ decision: z.enum(['typical', 'atypical']), version: z.number().int().positive() }),
        response: { 200: out, ...errorResponses },
      },
    },
    async (req) => {
      reviewer(principalOf(req).role);
      return scoped(ctx, req, async (tx, p) => {
        const deal = await getRecord(tx, p.workspaceId, deals, req.params.id, true);
        if (deal.version !== req.body.version) throw versionConflict(WHAT.deal, req.params.id, deal.version as number, req.body.version);
        await tx.query(sql`
          update deals set review_decision = ${req.body.decision}, reviewed_at = ${ctx.clock.now()}, reviewed_by = ${p.userId},
                           version = version + 1, updated_at = ${ctx.clock.now()}
           where workspace_id = ${p.workspaceId} and id = ${req.params.id}`);
        return toApi(deals, await getRecord(tx, p.workspaceId, deals, req.params.id));
      });
    },
  );
}
