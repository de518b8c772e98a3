import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ACCESS } from '../platform/auth/access.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { AppContext } from '../platform/context.ts';
import { DbError, type Queryable } from '../platform/db/types.ts';
import { AppError } from '../platform/errors.ts';
import { errorResponses, scoped } from '../platform/resource/resource-routes.ts';
import { callerTimeZone } from '../platform/time-zone.ts';
import {
  DISCIPLINE_BREAKDOWNS,
  DISCIPLINE_METRICS,
  disciplineEntries,
  disciplineEntryItem,
  disciplineKpisSchema,
  disciplineReport,
  disciplineTaskItem,
  disciplineTasks,
  suggestionSchema,
} from './discipline-report.ts';
import { DRILL_METRICS, drillItem, drillSummary, funnelDeals } from './funnel-deals.ts';
import { funnelParamsSchema } from './funnel-query.ts';
import { funnelReport } from './funnel-report.ts';
import { funnelReportSchema, reportMetaSchema } from './funnel-schema.ts';
import { funnelQueryForCaller as queryFor } from './report-scope.ts';

const disciplineMeta = reportMetaSchema.extend({
  report: z.literal('discipline'),
  by: z.enum(DISCIPLINE_BREAKDOWNS).nullable(),
  suggested_due_days: z.array(suggestionSchema),
});
const disciplineParams = funnelParamsSchema.omit({ by: true }).extend({
  by: z.enum(DISCIPLINE_BREAKDOWNS).optional().describe('Break down by owner, team, segment, channel, region or month'),
});

/**
 * A report's transaction: its statements may run `reportTimeoutMs` at most on a PostgreSQL
 * server (PGlite has no timer: there the request bounds are the guard), and a report cut
 * short answers 503 with what to do instead of a bare 500.
 */
function reportScoped<T>(ctx: AppContext, req: FastifyRequest, fn: (tx: Queryable, p: Principal) => Promise<T>): Promise<T> {
  const ms = ctx.config.reportTimeoutMs;
  return scoped(ctx, req, async (tx, p) => {
    if (ms > 0 && tx.engine !== 'pglite') await tx.exec(`set local statement_timeout = ${Math.trunc(ms)}`);
    try {
      return await fn(tx, p);
    } catch (e) {
      if (e instanceof DbError && e.code === '57014')
        throw new AppError('REPORT_TIMEOUT', {
          en: `the report took longer than ${ms / 1000} s and was stopped: shorten the period, add a filter or drop the breakdown`,
          ru: `отчёт считался дольше ${ms / 1000} с и был остановлен: сократите период, добавьте фильтр или уберите разбивку`,
        });
      throw e;
    }
  });
}

export function registerReportRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  // Per workspace, route, caller's scope, caller's time zone and query (ctx.caches: dropped by any write in the workspace).
  const cached = <T extends object>(p: Principal, route: string, query: unknown, zone: string, compute: () => Promise<T>) =>
    ctx.caches
      ? ctx.caches.reports.get(
          p.workspaceId,
          `${route}|${ACCESS.reports[p.role][0] === 'all' ? 'all' : p.userId}|${zone}|${JSON.stringify(query)}`,
          compute,
        )
      : compute();
  zapp.get(
    '/api/v1/reports/discipline',
    {
      schema: {
        tags: ['reports'],
        summary: 'Process discipline: playbook tasks on time, overdue, card completeness, discipline score, suggested SLAs',
        querystring: disciplineParams,
        response: {
          200: z.union([
            disciplineMeta.extend(disciplineKpisSchema.shape),
            disciplineMeta.extend({
              groups: z.array(disciplineKpisSchema.extend({ key: z.string().nullable(), key_id: z.number().int().nullable().optional() })),
              total: disciplineKpisSchema,
            }),
          ]),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      reportScoped(ctx, req, async (tx, p) => {
        const { by, ...params } = req.query;
        const q = await queryFor(tx, ctx, p, params, by ?? null);
        return cached(p, 'discipline', req.query, q.timeZone, async () => disciplineReport(tx, q, by ?? null));
      }),
  );
  zapp.get(
    '/api/v1/reports/discipline/tasks',
    {
      schema: {
        tags: ['reports'],
        summary: 'The tasks behind a discipline figure',
        querystring: funnelParamsSchema.omit({ by: true }).extend({
          metric: z.enum(DISCIPLINE_METRICS),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
        }),
        response: {
          200: z.object({
            metric: z.enum(DISCIPLINE_METRICS),
            total: z.number().int(),
            on_time: z.number().int().describe('Of the listed tasks, those done at or before their due time (before as-of)'),
            items: z.array(disciplineTaskItem),
            next_offset: z.number().int().nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      reportScoped(ctx, req, async (tx, p) => {
        const { metric, limit, offset, ...params } = req.query;
        const q = await queryFor(tx, ctx, p, params);
        return disciplineTasks(tx, q, metric, { limit, offset });
      }),
  );
  zapp.get(
    '/api/v1/reports/discipline/entries',
    {
      schema: {
        tags: ['reports'],
        summary: 'The stage entries behind card completeness: required fields filled at entry, per entry',
        querystring: funnelParamsSchema.omit({ by: true }).extend({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
        }),
        response: {
          200: z.object({
            total: z.number().int(),
            required_filled: z.number().int(),
            required_total: z.number().int().describe('card_completeness = required_filled / required_total'),
            items: z.array(disciplineEntryItem),
            next_offset: z.number().int().nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      reportScoped(ctx, req, async (tx, p) => {
        const { limit, offset, ...params } = req.query;
        const q = await queryFor(tx, ctx, p, params);
        return disciplineEntries(tx, q, { limit, offset });
      }),
  );
  zapp.get(
    '/api/v1/reports/funnel',
    {
      schema: {
        tags: ['reports'],
        summary: 'The funnel report: every core KPI of kpi.md for a period, as of any instant, filtered or broken down',
        querystring: funnelParamsSchema,
        response: { 200: funnelReportSchema, ...errorResponses },
      },
    },
    async (req) =>
      reportScoped(ctx, req, async (tx, p) => {
        const zone = await callerTimeZone(tx, p.workspaceId, p.userId);
        return cached(p, 'funnel', req.query, zone, async () => funnelReport(tx, await queryFor(tx, ctx, p, req.query, undefined, zone)));
      }),
  );
  const { by: _by, ...withoutBy } = funnelParamsSchema.shape;
  zapp.get(
    '/api/v1/reports/funnel/deals',
    {
      schema: {
        tags: ['reports'],
        summary: 'The deals behind a figure of the funnel report (same parameters, no breakdown: pass the group as a filter)',
        querystring: z.strictObject({
          ...withoutBy,
          metric: z
            .enum(DRILL_METRICS)
            .describe('Which figure: deals_created, deals_won, deals_closed (won + lost), … stage_* need `stage` (not stages_entered)'),
          stage: z
            .string()
            .max(200)
            .optional()
            .describe('Stage name or id for stage_entered / stage_advanced / stage_lost / stage_won / stage_closed'),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
        }),
        response: {
          200: z.object({
            metric: z.enum(DRILL_METRICS),
            stage: z.string().nullable(),
            total: z.number().int(),
            summary: drillSummary,
            items: z.array(drillItem),
            next_offset: z.number().int().nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      reportScoped(ctx, req, async (tx, p) => {
        const { metric, stage, limit, offset, ...params } = req.query;
        const q = await queryFor(tx, ctx, p, params);
        return funnelDeals(tx, q, metric, stage, { limit, offset });
      }),
  );
}
