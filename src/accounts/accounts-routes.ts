import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { checkReportSize, resolveFunnelQuery } from '../analytics/funnel-query.ts';
import { requireAccess, type Scope, scopeFor } from '../platform/auth/access.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable } from '../platform/db/types.ts';
import { AppError, fieldIssue, validationError } from '../platform/errors.ts';
import { requestLocale } from '../platform/http/locale.ts';
import { errorResponses, idParams, registerResourceRoutes, scoped } from '../platform/resource/resource-routes.ts';
import { callerTimeZone } from '../platform/time-zone.ts';
import { companyAccount, companyAccountSchema } from './account-view.ts';
import {
  ACCOUNT_METRICS,
  type AccountsParams,
  type AccountsQuery,
  accountsParamsSchema,
  accountsReport,
  accountsReportSchema,
  CONTRACT_METRICS,
  type DrillGroup,
  drillAccountItem,
  drillAccounts,
  drillCaseIds,
  drillContractIds,
} from './accounts-report.ts';
import { CASE_KINDS, caseItemSchema, casesByIds, RECORDER_ROLES, serviceCases } from './cases.ts';
import {
  assertContractVisible,
  churnContract,
  churnInputSchema,
  contractInputSchema,
  contractListQuery,
  contractPatchSchema,
  contractSchema,
  contractsByIds,
  getContract,
  insertContract,
  listContracts,
  renewContract,
  renewInputSchema,
  updateContract,
  type Writer,
} from './contracts.ts';
import { churnReasons, productGroups } from './lists.ts';
import { renewalsDue, renewalsSchema } from './renewals.ts';
import { accountSettingsSchema, readAccountSettings, saveAccountSettings } from './settings.ts';

/** The head of sales and the admin keep the lists and the settings; everyone reads them. */
export function accountsConfigGuard(p: Principal, action: 'read' | 'write') {
  if (action === 'write' && p.role !== 'admin' && p.role !== 'head_of_sales')
    throw new AppError('FORBIDDEN', {
      en: 'only an admin or the head of sales can change product groups, churn reasons and account settings',
      ru: 'менять продуктовые группы, причины оттока и настройки клиентов может только администратор или РОП',
    });
}

const writer = async (tx: Queryable, ctx: AppContext, p: Principal, locale: 'ru' | 'en'): Promise<Writer> => ({
  userId: p.userId,
  at: ctx.clock.now(),
  scope: await scopeFor(tx, p, 'accounts', 'write'),
  locale,
});

/** The report's query for the caller: a key-account manager (manager, team lead) counts their own (team's) accounts. */
export async function accountsQueryForCaller(tx: Queryable, ctx: AppContext, p: Principal, params: AccountsParams): Promise<AccountsQuery> {
  const scope: Scope | null = await scopeFor(tx, p, 'accounts', 'read');
  const zone = await callerTimeZone(tx, p.workspaceId, p.userId);
  const q = await resolveFunnelQuery(tx, p.workspaceId, params, ctx.clock.now(), zone);
  await checkReportSize(tx, q, params.by === 'month' ? 'month' : null);
  return { q, by: params.by ?? null, owners: scope?.owners };
}

const drillGroupParam = z
  .string()
  .max(320)
  .optional()
  .describe('Narrow to one group of by=owner: the owner’s id, or `none` for accounts (cases) without one');

async function drillGroupOf(tx: Queryable, ws: number, owner: string | undefined): Promise<DrillGroup> {
  if (owner === undefined) return null;
  if (owner.trim().toLowerCase() === 'none') return { owner: null };
  const [u] = await tx.query<{ id: number }>(
    sql`select id from users where workspace_id = ${ws} and (id::text = ${owner.trim()} or lower(name) = lower(${owner.trim()}) or lower(email) = lower(${owner.trim()})) order by id limit 1`,
  );
  if (!u) throw validationError([fieldIssue('owner', `no user "${owner}" in this workspace`, `нет пользователя «${owner}»`, 'not_found')]);
  return { owner: Number(u.id) };
}

/** A page of what is behind a figure. */
const drillPage = <M extends readonly [string, ...string[]], I extends z.ZodTypeAny>(metrics: M, item: I) =>
  z.object({ metric: z.enum(metrics), total: z.number().int(), items: z.array(item), next_offset: z.number().int().nullable() });
const nextOffset = (offset: number, limit: number, total: number) => (offset + limit < total ? offset + limit : null);

const pageParams = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
};

export function registerAccountsRoutes(app: FastifyInstance, ctx: AppContext) {
  registerResourceRoutes(app, ctx, productGroups, accountsConfigGuard);
  registerResourceRoutes(app, ctx, churnReasons, accountsConfigGuard);
  registerResourceRoutes(app, ctx, serviceCases);
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['accounts'];

  zapp.get(
    '/api/v1/contracts',
    {
      schema: {
        tags,
        summary: 'List contracts (a key-account manager sees their own)',
        querystring: contractListQuery,
        response: { 200: z.object({ items: z.array(contractSchema), total: z.number().int() }), ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) =>
        listContracts(tx, p.workspaceId, ctx.clock.now(), await scopeFor(tx, p, 'accounts', 'read'), req.query, requestLocale(req)),
      ),
  );

  zapp.get(
    '/api/v1/contracts/:id',
    { schema: { tags, summary: 'Read a contract', params: idParams, response: { 200: contractSchema, ...errorResponses } } },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        await assertContractVisible(tx, p.workspaceId, req.params.id, await scopeFor(tx, p, 'accounts', 'read'));
        return getContract(tx, p.workspaceId, req.params.id, ctx.clock.now(), requestLocale(req));
      }),
  );

  zapp.post(
    '/api/v1/contracts',
    {
      schema: {
        tags,
        summary: 'Create a contract; its renewal task is planned N business days before its end',
        body: contractInputSchema,
        response: { 201: contractSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const out = await scoped(ctx, req, async (tx, p) => {
        const by = await writer(tx, ctx, p, requestLocale(req));
        const id = await insertContract(tx, p.workspaceId, req.body, by);
        return getContract(tx, p.workspaceId, id, by.at, by.locale);
      });
      return reply.status(201).send(out);
    },
  );

  zapp.patch(
    '/api/v1/contracts/:id',
    {
      schema: {
        tags,
        summary: 'Change a contract (version-checked: 409 when someone changed it since you read it)',
        params: idParams,
        body: contractPatchSchema,
        response: { 200: contractSchema, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        return updateContract(tx, p.workspaceId, req.params.id, req.body, await writer(tx, ctx, p, requestLocale(req)));
      }),
  );

  zapp.post(
    '/api/v1/contracts/:id/renew',
    {
      schema: {
        tags,
        summary: 'Renew a contract: the next one from its end, as long, same amount unless another is given (renew with a change)',
        params: idParams,
        body: renewInputSchema,
        response: { 201: contractSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const out = await scoped(ctx, req, async (tx, p) => {
        const by = await writer(tx, ctx, p, requestLocale(req));
        const id = await renewContract(tx, p.workspaceId, req.params.id, req.body, by);
        return getContract(tx, p.workspaceId, id, by.at, by.locale);
      });
      return reply.status(201).send(out);
    },
  );

  zapp.post(
    '/api/v1/contracts/:id/churn',
    {
      schema: {
        tags,
        summary: 'Mark a contract as churned with a reason (its dates stay; its renewal task is cancelled)',
        params: idParams,
        body: churnInputSchema,
        response: { 200: contractSchema, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) =>
        churnContract(tx, p.workspaceId, req.params.id, req.body, await writer(tx, ctx, p, requestLocale(req))),
      ),
  );

  zapp.get(
    '/api/v1/renewals',
    {
      schema: {
        tags,
        summary: 'Renewals due: contracts ending in the next 30 / 60 / 90 days, not renewed, with MRR, last activity and open cases',
        querystring: z.strictObject({
          within: z.coerce.number().int().min(1).max(366).default(90),
          owner_id: z.coerce.number().int().positive().optional(),
          lang: z.enum(['ru', 'en']).optional(),
        }),
        response: { 200: renewalsSchema, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) =>
        renewalsDue(tx, p.workspaceId, ctx.clock.now(), await scopeFor(tx, p, 'accounts', 'read'), req.query, requestLocale(req)),
      ),
  );

  zapp.get(
    '/api/v1/accounts/settings',
    {
      schema: { tags, summary: 'Gross margin (for LTV) and the renewal notice in business days', response: { 200: accountSettingsSchema } },
    },
    async (req) => scoped(ctx, req, async (tx, p) => readAccountSettings(tx, p.workspaceId)),
  );

  zapp.put(
    '/api/v1/accounts/settings',
    {
      schema: {
        tags,
        summary: 'Change the gross margin and the renewal notice (every open renewal task moves with it)',
        body: accountSettingsSchema.extend({ version: z.number().int().min(1) }).partial({ gross_margin: true, renewal_notice_days: true }),
        response: { 200: accountSettingsSchema, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        accountsConfigGuard(p, 'write');
        return saveAccountSettings(tx, p.workspaceId, req.body, { userId: p.userId, at: ctx.clock.now() });
      }),
  );

  zapp.get(
    '/api/v1/companies/:id/account',
    {
      schema: {
        tags,
        summary:
          'The account view of a company: MRR now and by month, contracts by product group, renewals, changes, cases, the deals that brought it',
        params: idParams,
        querystring: z.strictObject({ lang: z.enum(['ru', 'en']).optional() }),
        response: { 200: companyAccountSchema, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        requireAccess(p, 'cases', 'read');
        return companyAccount(tx, p, req.params.id, ctx.clock.now(), requestLocale(req));
      }),
  );

  zapp.get(
    '/api/v1/reports/accounts',
    {
      schema: {
        tags: ['reports'],
        summary: 'Key accounts and service: renewals, churn, NRR, expansion, cross-sell, LTV; cases per kind, per 100 won and per recorder',
        querystring: accountsParamsSchema,
        response: { 200: accountsReportSchema, ...errorResponses },
      },
    },
    async (req) => scoped(ctx, req, async (tx, p) => accountsReport(tx, await accountsQueryForCaller(tx, ctx, p, req.query))),
  );

  zapp.get(
    '/api/v1/reports/accounts/contracts',
    {
      schema: {
        tags: ['reports'],
        summary: 'The contracts behind contracts_ending / contracts_renewed (and those not renewed)',
        querystring: accountsParamsSchema.extend({
          metric: z.enum(CONTRACT_METRICS).default('contracts_ending'),
          owner: drillGroupParam,
          ...pageParams,
        }),
        response: { 200: drillPage(CONTRACT_METRICS, contractSchema), ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const { metric, owner, limit, offset, ...params } = req.query;
        const aq = await accountsQueryForCaller(tx, ctx, p, params);
        const ids = await drillContractIds(tx, aq, metric, await drillGroupOf(tx, p.workspaceId, owner));
        const items = await contractsByIds(tx, p.workspaceId, ids.slice(offset, offset + limit), ctx.clock.now(), requestLocale(req));
        return { metric, total: ids.length, items, next_offset: nextOffset(offset, limit, ids.length) };
      }),
  );

  zapp.get(
    '/api/v1/reports/accounts/accounts',
    {
      schema: {
        tags: ['reports'],
        summary: 'The accounts behind a figure: at the start, at the end, churned, contracted, expanded, new, cross-sold',
        querystring: accountsParamsSchema.extend({
          metric: z.enum(ACCOUNT_METRICS).default('accounts_end'),
          owner: drillGroupParam,
          ...pageParams,
        }),
        response: { 200: drillPage(ACCOUNT_METRICS, drillAccountItem), ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const { metric, owner, limit, offset, ...params } = req.query;
        const aq = await accountsQueryForCaller(tx, ctx, p, params);
        const r = await drillAccounts(tx, aq, metric, await drillGroupOf(tx, p.workspaceId, owner), { limit, offset });
        return { metric, ...r, next_offset: nextOffset(offset, limit, r.total) };
      }),
  );

  zapp.get(
    '/api/v1/reports/accounts/cases',
    {
      schema: {
        tags: ['reports'],
        summary: 'The service cases behind a case figure (opened in the period), by kind and recorder role',
        querystring: accountsParamsSchema.extend({
          kind: z.enum(CASE_KINDS).optional(),
          recorder_role: z.enum(RECORDER_ROLES).optional(),
          closed: z.enum(['true', 'false']).optional().describe('true: only those closed before as-of (case_resolution_days)'),
          owner: drillGroupParam,
          ...pageParams,
        }),
        response: {
          200: z.object({ total: z.number().int(), items: z.array(caseItemSchema), next_offset: z.number().int().nullable() }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const { kind, recorder_role, closed, owner, limit, offset, ...params } = req.query;
        const aq = await accountsQueryForCaller(tx, ctx, p, params);
        const ids = await drillCaseIds(
          tx,
          aq,
          { kind, recorder_role, closed: closed === 'true' },
          await drillGroupOf(tx, p.workspaceId, owner),
        );
        const items = await casesByIds(tx, p.workspaceId, ids.slice(offset, offset + limit));
        return { total: ids.length, items, next_offset: nextOffset(offset, limit, ids.length) };
      }),
  );
}
