import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql, { empty } from 'sql-template-tag';
import { z } from 'zod';
import { liveStageFigures } from '../analytics/funnel-report.ts';
import type { FunnelStage } from '../analytics/funnel-types.ts';
import { scopeFor, visibleSql } from '../platform/auth/access.ts';
import type { AppContext } from '../platform/context.ts';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { idSchema } from '../platform/resource/resource.ts';
import { errorResponses, scoped } from '../platform/resource/resource-routes.ts';
import { registerStageArchiveRoute } from './stage-archive.ts';

const card = z.object({
  id: idSchema,
  title: z.string(),
  amount_minor: z.number().int(),
  company: z.string().nullable(),
  owner: z.string().nullable(),
  owner_id: idSchema.nullable(),
  stage_entered_at: z.string(),
  days_in_stage: z.number(),
  stuck: z.boolean().describe('In this stage longer than the p90 of finished visits (kpi.md stuck deals)'),
  atypical: z.boolean(),
  version: z.number().int(),
});
const column = z.object({
  stage_id: idSchema,
  name: z.string(),
  kind: z.enum(['open', 'won', 'lost']),
  count: z.number().int(),
  amount_minor: z.number().int(),
  weighted_minor: z.number().nullable().describe('Σ amount × the stage win probability (null without closed deals)'),
  probability: z.number().nullable(),
  deals: z.array(card),
});

/**
 * The pipeline board: open deals by stage with count, sum and weighted sum, each
 * card with its age in the stage and a stuck marker — the same probability and
 * threshold definitions as the funnel report, as of now. Won and lost columns are
 * drop targets and carry no cards.
 */
export function registerBoardRoutes(app: FastifyInstance, ctx: AppContext) {
  // The stage archive moves a stage's open deals off the board's column: registered with the board.
  registerStageArchiveRoute(app, ctx);
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  zapp.get(
    '/api/v1/board',
    {
      schema: {
        tags: ['board'],
        summary: 'The pipeline board: open deals per stage with counts, sums, weighted sums and stuck markers',
        querystring: z.strictObject({
          pipeline_id: z.coerce.number().int().positive().optional(),
          owner_id: z.coerce.number().int().positive().optional(),
          segment_id: z.coerce.number().int().positive().optional(),
          q: z.string().max(200).optional(),
          lang: z.enum(['ru', 'en']).optional(),
        }),
        response: {
          200: z.object({
            pipeline: z.object({ id: idSchema, name: z.string() }),
            currency: z.string(),
            as_of: z.string(),
            columns: z.array(column),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const ws = p.workspaceId;
        const scope = await scopeFor(tx, p, 'deals', 'read');
        const [pipeline] = await tx.query<{ id: number; name: string }>(
          req.query.pipeline_id
            ? sql`select id, name from pipelines where workspace_id = ${ws} and id = ${req.query.pipeline_id}`
            : sql`select id, name from pipelines where workspace_id = ${ws} and not archived order by position, id limit 1`,
        );
        if (!pipeline) throw validationError([fieldIssue('pipeline_id', 'no such pipeline', 'нет такой воронки', 'not_found')]);
        // Every stage for the figures (probabilities are over the whole history); archived ones get no column.
        const stages = await tx.query<FunnelStage & { archived: boolean }>(
          sql`select id, name, kind, position, archived_at is not null as archived from stages
               where workspace_id = ${ws} and pipeline_id = ${pipeline.id} order by position`,
        );
        const [w] = await tx.query<{ currency: string; timezone: string; name: string }>(
          sql`select currency, timezone, name from workspaces where workspace_id = ${ws}`,
        );
        const now = ctx.clock.now();
        const live = await liveStageFigures(tx, {
          workspaceId: ws,
          workspace: w.name,
          currency: w.currency,
          timeZone: w.timezone,
          pipeline,
          stages,
          from: now,
          to: now,
          asOf: now,
          asOfRequested: now,
          live: true,
          filters: {},
          by: null,
        });
        const pattern = req.query.q?.trim() ? `%${req.query.q.trim().replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null;
        const rows = await tx.query<{
          id: number;
          title: string;
          amount_minor: number;
          company: string | null;
          owner: string | null;
          owner_id: number | null;
          stage_id: number;
          stage_entered_at: Date;
          atypical: boolean;
          version: number;
        }>(sql`
          select d.id, d.title, d.amount_minor, c.name as company, u.name as owner, d.owner_id, d.stage_id, d.stage_entered_at, d.atypical, d.version
            from deals d
            left join companies c on c.workspace_id = d.workspace_id and c.id = d.company_id
            left join users u on u.workspace_id = d.workspace_id and u.id = d.owner_id
           where d.workspace_id = ${ws} and d.pipeline_id = ${pipeline.id} and d.status = 'open'
             ${req.query.owner_id ? sql`and d.owner_id = ${req.query.owner_id}` : empty}
             ${scope ? sql`and ${visibleSql('deals', scope, 'd')}` : empty}
             ${req.query.segment_id ? sql`and d.segment_id = ${req.query.segment_id}` : empty}
             ${pattern ? sql`and (d.title ilike ${pattern} or c.name ilike ${pattern})` : empty}
           order by d.stage_entered_at`);
        const columns = stages
          .filter((s) => !s.archived)
          .map((s) => {
            const deals = rows.filter((r) => r.stage_id === s.id);
            const amount = deals.reduce((x, d) => x + d.amount_minor, 0);
            const prob = live.p.get(s.id) ?? null;
            const thr = live.thresholds.get(s.id);
            return {
              stage_id: s.id,
              name: s.name,
              kind: s.kind,
              count: deals.length,
              amount_minor: amount,
              weighted_minor: s.kind === 'open' ? (prob === null ? null : amount * prob) : null,
              probability: s.kind === 'open' ? prob : null,
              deals: deals.map((d) => {
                const seconds = (now.getTime() - d.stage_entered_at.getTime()) / 1000;
                return {
                  id: d.id,
                  title: d.title,
                  amount_minor: d.amount_minor,
                  company: d.company,
                  owner: d.owner,
                  owner_id: d.owner_id,
                  stage_entered_at: d.stage_entered_at.toISOString(),
                  days_in_stage: seconds / 86_400,
                  stuck: thr !== undefined && seconds > thr,
                  atypical: d.atypical,
                  version: d.version,
                };
              }),
            };
          });
        return { pipeline, currency: w.currency, as_of: now.toISOString(), columns };
      }),
  );
}
