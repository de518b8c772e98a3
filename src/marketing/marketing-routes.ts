import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { funnelQueryForCaller } from '../analytics/report-scope.ts';
import { assertVisible, requireAccess, scopeFor } from '../platform/auth/access.ts';
import type { AppContext } from '../platform/context.ts';
import { AppError, validationError } from '../platform/errors.ts';
import { requestLocale } from '../platform/http/locale.ts';
import { WHAT } from '../platform/resource/fields.ts';
import { namedList } from '../platform/resource/named-list.ts';
import type { Resource } from '../platform/resource/resource.ts';
import { errorResponses, idParams, registerResourceRoutes, scoped } from '../platform/resource/resource-routes.ts';
import {
  CHANNEL_LEAD_METRICS,
  channelKindsBySegment,
  channelLeadItem,
  channelLeads,
  channelMonthSchema,
  channelsByMonth,
  channelsParamsSchema,
  channelsReport,
  channelsReportSchema,
  segmentKindSchema,
} from './channels-report.ts';
import { currentIcp, explainFit, icpRulesSchema, parseIcpRules, previewIcp, saveIcpRules } from './icp.ts';
import { deleteSpend, findChannel, listSpend, marketingGuard, spendInputSchema, spendRowSchema, upsertSpend } from './spend.ts';
import { addTouch, journeyOf, journeySchema, touchInputSchema, touchSchema } from './touches.ts';

/** Why leads are disqualified: a list kept like the loss reasons. */
export const disqualifyReasons: Resource = namedList({
  path: 'lead-disqualify-reasons',
  table: 'lead_disqualify_reasons',
  what: WHAT.disqualifyReason,
  names: 'ru+en',
  activeMeans: 'Offered when a lead is disqualified; an inactive reason stays on the leads that name it',
});

const icpView = z.object({
  version: z.number().int().nullable().describe('null: the workspace has no ICP rules yet'),
  rules: icpRulesSchema.nullable(),
  created_at: z.string().nullable(),
  created_by: z.string().nullable(),
});

const previewSchema = z.object({
  leads: z.number().int().describe('Leads now (not archived)'),
  fit: z.number().int().describe('Of them, those whose score under these rules reaches the threshold'),
  per_rule: z.array(z.number().int()).describe('Per rule, in order: the leads it matches'),
  score_min: z.number().nullable(),
  score_max: z.number().nullable(),
});

export function registerMarketingRoutes(app: FastifyInstance, ctx: AppContext) {
  registerResourceRoutes(app, ctx, disqualifyReasons, (p, action) => marketingGuard(p, action));
  const zapp = app.withTypeProvider<ZodTypeProvider>();

  zapp.get(
    '/api/v1/reports/channels',
    {
      schema: {
        tags: ['reports'],
        summary:
          'Marketing ↔ sales: leads, opportunities, won, spend, cost per lead/opportunity/won and ICP share per channel; attribution by four models',
        querystring: channelsParamsSchema,
        response: { 200: channelsReportSchema, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const q = await funnelQueryForCaller(tx, ctx, p, req.query, null);
        return channelsReport(tx, q);
      }),
  );

  zapp.get(
    '/api/v1/reports/channels/leads',
    {
      schema: {
        tags: ['reports'],
        summary: 'The leads behind a figure of the channels report',
        querystring: channelsParamsSchema.extend({
          metric: z.enum(CHANNEL_LEAD_METRICS).default('leads'),
          channel: z.string().max(200).optional().describe('Channel name or id; `none` for leads without one; absent: every channel'),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
        }),
        response: {
          200: z.object({
            metric: z.enum(CHANNEL_LEAD_METRICS),
            total: z.number().int(),
            deals: z.number().int().describe('Distinct won deals of the listed leads'),
            amount: z.number().describe('Their amount, each deal once, major units'),
            items: z.array(channelLeadItem),
            next_offset: z.number().int().nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const { metric, channel, limit, offset, ...params } = req.query;
        const q = await funnelQueryForCaller(tx, ctx, p, params, null);
        let channelId: number | null | undefined;
        if (channel !== undefined) {
          if (channel.trim().toLowerCase() === 'none') channelId = null;
          else {
            const c = await findChannel(tx, p.workspaceId, channel, 'channel');
            if (!c.ok) throw validationError([c.issue]);
            channelId = c.id;
          }
        }
        return channelLeads(tx, q, { channelId, metric, limit, offset });
      }),
  );

  zapp.get(
    '/api/v1/reports/channels/months',
    {
      schema: {
        tags: ['reports'],
        summary: 'The channels report’s total for each calendar month of the period (spend vs opportunities)',
        querystring: channelsParamsSchema,
        response: { 200: z.object({ currency: z.string(), items: z.array(channelMonthSchema) }), ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const q = await funnelQueryForCaller(tx, ctx, p, req.query, null);
        return { currency: q.currency, items: await channelsByMonth(tx, q) };
      }),
  );

  zapp.get(
    '/api/v1/reports/channels/segments',
    {
      schema: {
        tags: ['reports'],
        summary: 'Inbound vs outbound: the period’s leads by their channel’s kind and their deal’s segment',
        querystring: channelsParamsSchema,
        response: { 200: z.object({ currency: z.string(), items: z.array(segmentKindSchema) }), ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const q = await funnelQueryForCaller(tx, ctx, p, req.query, null);
        return { currency: q.currency, items: await channelKindsBySegment(tx, q) };
      }),
  );

  zapp.get(
    '/api/v1/icp-rules',
    {
      schema: {
        tags: ['marketing'],
        summary: 'The ICP rules in force (kpi.md "Fit score")',
        response: { 200: icpView, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        marketingGuard(p, 'read');
        const v = await currentIcp(tx, p.workspaceId);
        if (!v) return { version: null, rules: null, created_at: null, created_by: null };
        const [u] = v.created_by
          ? await tx.query<{ name: string }>(sql`select name from users where workspace_id = ${p.workspaceId} and id = ${v.created_by}`)
          : [];
        return { version: v.version, rules: v.rules, created_at: v.created_at.toISOString(), created_by: u?.name ?? null };
      }),
  );

  zapp.put(
    '/api/v1/icp-rules',
    {
      schema: {
        tags: ['marketing'],
        summary: 'Save the ICP rules as a new version; every lead is re-scored in the same transaction',
        body: z.strictObject({
          rules: z.unknown().describe('{"threshold": T, "rules": [{"field", "in" | "min"/"max", "points"}]}'),
          version: z.number().int().min(0).nullable().describe('The version you read (null or 0: none yet); a stale one answers 409'),
        }),
        response: {
          200: icpView.extend({ changed: z.boolean(), rescored: z.number().int().describe('Leads re-scored') }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        marketingGuard(p, 'write');
        const rules = parseIcpRules(req.body.rules, 'rules');
        // One writer at a time: the version check and the new version are one step.
        await tx.query(sql`select pg_advisory_xact_lock(hashtext('icp_rules'), ${p.workspaceId}::int)`);
        const cur = await currentIcp(tx, p.workspaceId);
        if ((cur?.version ?? 0) !== (req.body.version ?? 0))
          throw new AppError('VERSION_CONFLICT', {
            en: `the ICP rules were changed by someone else (version ${cur?.version ?? 0}, you read ${req.body.version ?? 0}): reload them`,
            ru: `правила ICP уже изменил кто-то другой (версия ${cur?.version ?? 0}, у вас ${req.body.version ?? 0}): обновите`,
          });
        const r = await saveIcpRules(tx, p.workspaceId, rules, { userId: p.userId, at: ctx.clock.now() });
        const v = await currentIcp(tx, p.workspaceId);
        const [u] = await tx.query<{ name: string }>(
          sql`select name from users where workspace_id = ${p.workspaceId} and id = ${v?.created_by ?? 0}`,
        );
        return {
          version: r.version,
          rules: v?.rules ?? rules,
          created_at: v?.created_at.toISOString() ?? null,
          created_by: u?.name ?? null,
          changed: r.changed,
          rescored: r.rescored,
        };
      }),
  );

  zapp.post(
    '/api/v1/icp-rules/preview',
    {
      schema: {
        tags: ['marketing'],
        summary: 'How many of the leads each rule would match, and how many would fit — nothing is saved',
        body: z.strictObject({ rules: z.unknown() }),
        response: { 200: previewSchema, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        marketingGuard(p, 'read');
        return previewIcp(tx, p.workspaceId, parseIcpRules(req.body.rules, 'rules'));
      }),
  );

  zapp.get(
    '/api/v1/icp-rules/versions',
    {
      schema: {
        tags: ['marketing'],
        summary: 'Every version of the ICP rules, newest first',
        response: {
          200: z.object({
            items: z.array(
              z.object({ version: z.number().int(), rules: icpRulesSchema, created_at: z.string(), created_by: z.string().nullable() }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        marketingGuard(p, 'read');
        const rows = await tx.query<{
          version: number;
          rules: z.infer<typeof icpRulesSchema>;
          created_at: Date;
          created_by: string | null;
        }>(sql`
          select v.version, v.rules, v.created_at, u.name as created_by from icp_rule_versions v
            left join users u on u.workspace_id = v.workspace_id and u.id = v.created_by
           where v.workspace_id = ${p.workspaceId} order by v.version desc`);
        return { items: rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() })) };
      }),
  );

  zapp.get(
    '/api/v1/leads/:id/fit',
    {
      schema: {
        tags: ['leads'],
        summary: 'Why a lead has its fit score: the ICP version that scored it and the rules it matched',
        params: idParams,
        response: {
          200: z.object({
            fit_score: z.number().int().nullable(),
            version: z.number().int().nullable(),
            threshold: z.number().nullable(),
            fits: z.boolean().nullable(),
            matched: z.array(
              z.object({
                position: z.number().int(),
                field: z.string(),
                in: z.array(z.string()).optional(),
                min: z.number().optional(),
                max: z.number().optional(),
                points: z.number().int(),
              }),
            ),
            current_version: z.number().int().nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const id = Number(req.params.id);
        await assertVisible(tx, p.workspaceId, 'leads', id, await scopeFor(tx, p, 'leads', 'read'), WHAT.lead);
        const r = await explainFit(tx, p.workspaceId, id);
        return r;
      }),
  );

  zapp.get(
    '/api/v1/leads/:id/journey',
    {
      schema: {
        tags: ['leads'],
        summary: 'The lead’s journey: its touches by channel, then its deal’s stages once converted',
        params: idParams,
        response: { 200: journeySchema, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const id = Number(req.params.id);
        await assertVisible(tx, p.workspaceId, 'leads', id, await scopeFor(tx, p, 'leads', 'read'), WHAT.lead);
        return journeyOf(tx, p.workspaceId, { leadId: id });
      }),
  );

  zapp.get(
    '/api/v1/deals/:id/journey',
    {
      schema: {
        tags: ['deals'],
        summary: 'The deal’s journey: the touches of every lead converted into it, then its stages',
        params: idParams,
        response: { 200: journeySchema, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const id = Number(req.params.id);
        await assertVisible(tx, p.workspaceId, 'deals', id, await scopeFor(tx, p, 'deals', 'read'), WHAT.deal);
        return journeyOf(tx, p.workspaceId, { dealId: id });
      }),
  );

  zapp.post(
    '/api/v1/touches',
    {
      schema: {
        tags: ['leads'],
        summary: 'Record a touch of a lead with a channel (once per lead, channel and instant)',
        body: touchInputSchema,
        response: { 200: touchSchema.extend({ created: z.boolean() }), ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        requireAccess(p, 'leads', 'write');
        await assertVisible(tx, p.workspaceId, 'leads', req.body.lead_id, await scopeFor(tx, p, 'leads', 'write'), WHAT.lead);
        const r = await addTouch(tx, p.workspaceId, req.body, { userId: p.userId, at: ctx.clock.now() });
        return { ...r.touch, created: r.created };
      }),
  );

  zapp.get(
    '/api/v1/marketing-spend',
    {
      schema: {
        tags: ['marketing'],
        summary: 'Spend per channel and month',
        querystring: z.strictObject({
          from: z.string().max(20).optional().describe('First month, YYYY-MM (inclusive)'),
          to: z.string().max(20).optional().describe('Last month, YYYY-MM (inclusive)'),
          lang: z.enum(['ru', 'en']).optional(),
        }),
        response: { 200: z.object({ currency: z.string(), items: z.array(spendRowSchema) }), ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        marketingGuard(p, 'read');
        const [w] = await tx.query<{ currency: string }>(sql`select currency from workspaces where workspace_id = ${p.workspaceId}`);
        return { currency: w.currency, items: await listSpend(tx, p.workspaceId, req.query) };
      }),
  );

  zapp.put(
    '/api/v1/marketing-spend',
    {
      schema: {
        tags: ['marketing'],
        summary: 'Enter spend: upserted by (channel, month), all or nothing, each change in the audit log',
        body: z.strictObject({ entries: z.array(spendInputSchema).min(1).max(5000) }),
        response: {
          200: z.object({ created: z.number().int(), updated: z.number().int(), unchanged: z.number().int() }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        marketingGuard(p, 'write');
        return upsertSpend(tx, p.workspaceId, req.body.entries, { userId: p.userId, at: ctx.clock.now(), locale: requestLocale(req) });
      }),
  );

  zapp.delete(
    '/api/v1/marketing-spend',
    {
      schema: {
        tags: ['marketing'],
        summary: 'Remove the spend of one channel and month',
        querystring: z.strictObject({ channel: z.string().min(1).max(200), month: z.string().max(20) }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const gone = await scoped(ctx, req, async (tx, p) => {
        marketingGuard(p, 'write');
        return deleteSpend(tx, p.workspaceId, req.query.channel, req.query.month, { userId: p.userId, at: ctx.clock.now() });
      });
      if (!gone)
        throw new AppError('NOT_FOUND', {
          en: `no spend of ${req.query.channel} for ${req.query.month}`,
          ru: `нет расхода ${req.query.channel} за ${req.query.month}`,
        });
      return reply.status(204).send(null);
    },
  );
}
