import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { audit } from '../platform/audit.ts';
import type { AppContext } from '../platform/context.ts';
import { fieldIssue, notFound, validationError } from '../platform/errors.ts';
import { errorResponses, principalOf, scoped } from '../platform/resource/resource-routes.ts';
import { importCalendar, parseCalendarCsv, parseDay } from './calendar-import.ts';
import { configGuard } from './pipelines.ts';

const dayParam = z.strictObject({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD') });
const entry = z.object({ day: z.string(), kind: z.enum(['holiday', 'workday']), note: z.string().nullable() });
export function registerCalendarRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['calendar'];
  zapp.get(
    '/api/v1/calendar',
    {
      schema: {
        tags,
        summary: 'Holidays and moved working days of the workspace calendar (Mon–Fri work otherwise)',
        querystring: z.strictObject({
          year: z.coerce.number().int().min(1990).max(2200).optional(),
          lang: z.enum(['ru', 'en']).optional(),
        }),
        response: { 200: z.object({ items: z.array(entry) }), ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => ({
        items: await tx.query<z.infer<typeof entry>>(sql`
          select to_char(day, 'YYYY-MM-DD') as day, kind, note from calendar_days
           where workspace_id = ${p.workspaceId} and (${req.query.year ?? null}::int is null or extract(year from day) = ${req.query.year ?? null}::int)
           order by day`),
      })),
  );
  zapp.put(
    '/api/v1/calendar/:day',
    {
      schema: {
        tags,
        summary: 'Set a date as a holiday or a working day',
        params: dayParam,
        body: z.strictObject({ kind: z.enum(['holiday', 'workday']), note: z.string().trim().max(300).nullable().optional() }),
        response: { 200: entry, ...errorResponses },
      },
    },
    async (req) => {
      configGuard(principalOf(req), 'write');
      const day = parseDay(req.params.day);
      if (!day) throw validationError([fieldIssue('day', `"${req.params.day}" is not a date`, `«${req.params.day}» — не дата`)]);
      return scoped(ctx, req, async (tx, p) => {
        const [old] = await tx.query<{ kind: string; note: string | null }>(
          sql`select kind, note from calendar_days where workspace_id = ${p.workspaceId} and day = ${day}::date`,
        );
        await importCalendar(tx, p.workspaceId, [{ day, kind: req.body.kind, note: req.body.note ?? null }]);
        await audit(tx, {
          workspaceId: p.workspaceId,
          userId: p.userId,
          entity: 'calendar',
          entityId: Number(day.replace(/-/g, '')),
          action: 'update',
          at: ctx.clock.now(),
          changes: { kind: { from: old?.kind ?? null, to: req.body.kind }, note: { from: old?.note ?? null, to: req.body.note ?? null } },
        });
        return { day, kind: req.body.kind, note: req.body.note ?? null };
      });
    },
  );
  zapp.delete(
    '/api/v1/calendar/:day',
    {
      schema: {
        tags,
        summary: 'Remove a date from the calendar (back to the weekday rule)',
        params: dayParam,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      configGuard(principalOf(req), 'write');
      const day = parseDay(req.params.day);
      if (!day) throw validationError([fieldIssue('day', `"${req.params.day}" is not a date`, `«${req.params.day}» — не дата`)]);
      const n = await scoped(ctx, req, async (tx, p) => {
        const gone = await tx.query<{ kind: string; note: string | null }>(
          sql`delete from calendar_days where workspace_id = ${p.workspaceId} and day = ${day}::date returning kind, note`,
        );
        if (gone[0])
          await audit(tx, {
            workspaceId: p.workspaceId,
            userId: p.userId,
            entity: 'calendar',
            entityId: Number(day.replace(/-/g, '')),
            action: 'delete',
            at: ctx.clock.now(),
            changes: { kind: { from: gone[0].kind, to: null }, note: { from: gone[0].note, to: null } },
          });
        return gone.length;
      });
      if (n === 0) throw notFound({ en: 'calendar date', ru: 'дата календаря' }, req.params.day);
      return reply.status(204).send(null);
    },
  );
  zapp.post(
    '/api/v1/calendar/import',
    {
      schema: {
        tags,
        summary: 'Import calendar dates from CSV text (date;kind;note; Russian headers accepted)',
        body: z.strictObject({
          csv: z.string().min(1).max(1_000_000),
          dry_run: z.boolean().optional().describe('Only count what the import would add and change; write nothing'),
        }),
        response: {
          200: z.object({ added: z.number().int(), changed: z.number().int(), unchanged: z.number().int(), dry_run: z.boolean() }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      configGuard(principalOf(req), 'write');
      const entries = parseCalendarCsv(req.body.csv);
      const dryRun = req.body.dry_run ?? false;
      return scoped(ctx, req, async (tx, p) => {
        const r = await importCalendar(tx, p.workspaceId, entries, { dryRun });
        if (dryRun) return { ...r, dry_run: true };
        await audit(tx, {
          workspaceId: p.workspaceId,
          userId: p.userId,
          entity: 'calendar',
          entityId: 0,
          action: 'update',
          at: ctx.clock.now(),
          changes: { import: { from: null, to: r } },
        });
        return { ...r, dry_run: false };
      });
    },
  );
}
