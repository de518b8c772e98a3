import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import type { Principal } from './auth/roles.ts';
import type { AppContext } from './context.ts';
import type { Row } from './db/types.ts';
import { AppError, notFound } from './errors.ts';
import { readTime, requiredText } from './resource/fields.ts';
import { idSchema, type Resource, schemasOf, toApi } from './resource/resource.ts';
import { errorResponses, idParams, registerResourceRoutes, scoped } from './resource/resource-routes.ts';

/** A list's filters and sort saved under a name, for oneself or shared with the workspace. */
export const savedViews: Resource = {
  path: 'saved-views',
  table: 'saved_views',
  what: { en: 'saved view', ru: 'сохранённый вид' },
  defaultSort: 'name',
  fields: {
    object_type: {
      out: z.enum(['deal', 'company', 'contact', 'lead', 'task', 'activity']),
      in: z.enum(['deal', 'company', 'contact', 'lead', 'task', 'activity']),
      required: true,
      updatable: false,
      filter: 'eq',
    },
    name: requiredText(200, { sort: true }),
    query: {
      out: z.string(),
      in: z.string().max(4000),
      required: true,
      description: 'The list query string (filters and sort), e.g. status=open&sort=-amount_minor',
    },
    shared: { out: z.boolean(), in: z.boolean(), filter: 'bool' },
    user_id: { out: idSchema, filter: 'eq' },
    created_at: readTime(),
  },
  beforeWrite: async ({ principal, values, existing }) => {
    if (!existing) values.user_id = principal.userId;
    else if (!isVisibleView(existing, principal)) throw notFound(savedViews.what, existing.id);
    else if (existing.user_id !== principal.userId && principal.role !== 'admin') {
      throw new AppError('FORBIDDEN', { en: 'only its author changes a view', ru: 'менять вид может только его автор' });
    }
  },
  without: ['list', 'get'],
};

/**
 * The one visibility rule of saved views, for the list and for reads by id: one's own
 * views and the shared ones. A private view of someone else does not exist for the caller
 * (404), whatever the role.
 */
const visibleViewSql = (p: Principal) => sql`(user_id = ${p.userId} or shared)`;
const isVisibleView = (row: Row, p: Principal) => Number(row.user_id) === p.userId || row.shared === true;

/** Views: mine and those shared with the workspace. */
export function registerSavedViewRoutes(app: FastifyInstance, ctx: AppContext) {
  registerResourceRoutes(app, ctx, savedViews);
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const s = schemasOf(savedViews);
  zapp.get(
    '/api/v1/saved-views',
    {
      schema: {
        tags: ['saved-views'],
        summary: 'My saved views and the shared ones',
        querystring: z.strictObject({
          object_type: z.enum(['deal', 'company', 'contact', 'lead', 'task', 'activity']).optional(),
          lang: z.enum(['ru', 'en']).optional(),
        }),
        response: { 200: z.object({ items: z.array(s.output), next_cursor: z.null() }), ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const rows = await tx.query(sql`
          select * from saved_views where workspace_id = ${p.workspaceId} and ${visibleViewSql(p)}
             and (${req.query.object_type ?? null}::text is null or object_type = ${req.query.object_type ?? null})
           order by name, id`);
        return { items: rows.map((r) => toApi(savedViews, r)), next_cursor: null };
      }),
  );
  zapp.get(
    '/api/v1/saved-views/:id',
    {
      schema: {
        tags: ['saved-views'],
        summary: 'Read a saved view: one of mine or a shared one',
        params: idParams,
        response: { 200: s.output, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const [row] = await tx.query(
          sql`select * from saved_views where workspace_id = ${p.workspaceId} and id = ${req.params.id} and ${visibleViewSql(p)}`,
        );
        if (!row) throw notFound(savedViews.what, req.params.id);
        return toApi(savedViews, row);
      }),
  );
}
