import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql, { empty } from 'sql-template-tag';
import { z } from 'zod';
import type { AppContext } from './context.ts';
import { csvExport } from './csv-export.ts';
import { AppError } from './errors.ts';
import { idSchema, isoTime } from './resource/resource.ts';
import { errorResponses, principalOf, scoped } from './resource/resource-routes.ts';

const item = z.object({
  id: idSchema,
  at: isoTime,
  user_id: idSchema.nullable(),
  user: z.string().nullable(),
  entity: z.string().describe('The table changed (deals, companies, …), or config / calendar'),
  entity_id: z.number().int(),
  action: z.enum(['create', 'update', 'delete', 'archive', 'restore']),
  changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
});

/**
 * Who changed what and when — every record and configuration change, newest
 * first — for admins, as JSON pages or a CSV file (semicolons, UTF-8 with BOM:
 * opens as is in a Russian Excel).
 */
export function registerAuditRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  zapp.get(
    '/api/v1/audit-log',
    {
      schema: {
        tags: ['audit'],
        summary: 'The audit log (admins): who changed what and when; format=csv exports it',
        querystring: z.strictObject({
          entity: z.string().max(63).optional(),
          entity_id: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
          user_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
          from: isoTime.optional().describe('at ≥ this'),
          to: isoTime.optional().describe('at < this'),
          before_id: z.coerce
            .number()
            .int()
            .positive()
            .max(Number.MAX_SAFE_INTEGER)
            .optional()
            .describe('The next_before_id of the previous page'),
          limit: z.coerce.number().int().min(1).max(10_000).default(100),
          format: z.enum(['json', 'csv']).default('json'),
          lang: z.enum(['ru', 'en']).optional(),
        }),
        response: { 200: z.object({ items: z.array(item), next_before_id: idSchema.nullable() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      if (principalOf(req).role !== 'admin')
        throw new AppError('FORBIDDEN', { en: 'only an admin reads the audit log', ru: 'журнал изменений доступен только администратору' });
      const q = req.query;
      const rows = await scoped(ctx, req, (tx, p) =>
        tx.query<{
          id: number;
          at: Date;
          user_id: number | null;
          user: string | null;
          entity: string;
          entity_id: number;
          action: 'create' | 'update' | 'delete' | 'archive' | 'restore';
          changes: Record<string, { from: unknown; to: unknown }>;
        }>(sql`
          select a.id, a.at, a.user_id, u.name as user, a.entity, a.entity_id, a.action, a.changes
            from audit_log a left join users u on u.workspace_id = a.workspace_id and u.id = a.user_id
           where a.workspace_id = ${p.workspaceId}
             ${q.entity ? sql`and a.entity = ${q.entity}` : empty}
             ${q.entity_id !== undefined ? sql`and a.entity_id = ${q.entity_id}` : empty}
             ${q.user_id ? sql`and a.user_id = ${q.user_id}` : empty}
             ${q.from ? sql`and a.at >= ${q.from}::timestamptz` : empty}
             ${q.to ? sql`and a.at < ${q.to}::timestamptz` : empty}
             ${q.before_id ? sql`and a.id < ${q.before_id}` : empty}
           order by a.id desc limit ${q.limit + 1}`),
      );
      const more = rows.length > q.limit;
      const page = rows.slice(0, q.limit).map((r) => ({ ...r, at: r.at.toISOString() }));
      if (q.format === 'csv') {
        const ru = (req.query.lang ?? req.headers['accept-language'] ?? '').toString().startsWith('ru');
        const header = ru
          ? ['№', 'Когда', 'Кто', 'Объект', 'ID', 'Действие', 'Изменения']
          : ['id', 'at', 'user', 'entity', 'entity_id', 'action', 'changes'];
        const csv = csvExport(
          page.map((r) => [r.id, r.at, r.user ?? '', r.entity, r.entity_id, r.action, JSON.stringify(r.changes)]),
          { columns: header },
        );
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="voronka-audit.csv"')
          .send(csv as never);
      }
      return { items: page, next_before_id: more ? page[page.length - 1].id : null };
    },
  );
}
