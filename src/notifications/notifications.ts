import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql, { empty } from 'sql-template-tag';
import { z } from 'zod';
import { readInWorkspace } from '../platform/db/workspace-scope.ts';
import { fieldIssue, validationError } from '../platform/errors.ts';
import type { ServerContext } from '../platform/http/server.ts';
import { idSchema } from '../platform/resource/resource.ts';
import { errorResponses, principalOf, scoped } from '../platform/resource/resource-routes.ts';
import { notificationRows, notificationSchema, readableSql, unreadCount } from './queries.ts';
import { registerNotificationStream } from './stream.ts';

/**
 * Notifications in the app (docs/notifications.md). The rows are made by the trigger of migration
 * 0015 on audit_log, in the transaction of the write that causes them; here they are listed,
 * counted, marked read or unread, and streamed live (stream.ts).
 */
const PAGE_MAX = 100;
const listQuery = z.strictObject({
  unread: z.enum(['true', 'false']).optional().describe('true: only the unread ones'),
  limit: z.coerce.number().int().min(1).max(PAGE_MAX).default(20),
  cursor: z.string().max(200).optional().describe('The `next_cursor` of the previous page'),
});
const listAnswer = z.object({
  items: z.array(notificationSchema),
  next_cursor: z.string().nullable(),
  unread: z.number().int().describe('All unread notifications of the caller'),
});
const readBody = z
  .strictObject({
    ids: z.array(idSchema).min(1).max(500).optional().describe('These notifications of yours'),
    all: z.literal(true).optional().describe('All your unread notifications'),
    read: z.boolean().default(true).describe('false marks them unread again'),
  })
  .refine((b) => (b.ids === undefined) !== (b.all === undefined), { message: 'give either ids or all: true', path: ['ids'] });

const encodeCursor = (id: number) => Buffer.from(JSON.stringify([id])).toString('base64url');
function decodeCursor(c: string): number {
  try {
    const [id] = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown[];
    if (Number.isSafeInteger(id) && (id as number) > 0) return id as number;
  } catch {
    /* below */
  }
  throw validationError([fieldIssue('cursor', 'not a cursor of this list', 'это не курсор этого списка', 'invalid')]);
}

export function registerNotificationRoutes(app: FastifyInstance, ctx: ServerContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  zapp.get(
    '/api/v1/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Your notifications, newest first (keyset pages; ?unread=true for the unread ones)',
        querystring: listQuery,
        response: { 200: listAnswer, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const q = req.query;
      const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      return scoped(ctx, req, async (tx) => {
        const readable = await readableSql(tx, p);
        const rows = await notificationRows(tx, p, readable, { unread: q.unread === 'true', before, limit: q.limit + 1 });
        const items = rows.slice(0, q.limit);
        return {
          items,
          next_cursor: rows.length > q.limit ? encodeCursor(items[items.length - 1].id) : null,
          unread: await unreadCount(tx, p, readable),
        };
      });
    },
  );
  zapp.get(
    '/api/v1/notifications/unread-count',
    {
      schema: {
        tags: ['notifications'],
        summary: 'How many of your notifications are unread',
        response: { 200: z.object({ unread: z.number().int() }), ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const readable = await readInWorkspace(ctx.db, p.workspaceId, (q) => readableSql(q, p));
      return { unread: await readInWorkspace(ctx.db, p.workspaceId, (q) => unreadCount(q, p, readable)) };
    },
  );
  zapp.post(
    '/api/v1/notifications/read',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Mark your notifications read (ids, or all: true), or unread again (read: false)',
        body: readBody,
        response: { 200: z.object({ updated: z.number().int(), unread: z.number().int() }), ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      const now = ctx.clock.now();
      return scoped(ctx, req, async (tx) => {
        const which = b.ids ? sql`and id = any(${b.ids}::int8[])` : empty;
        const updated = b.read
          ? await tx.run(sql`update notifications set read_at = ${now}
               where workspace_id = ${p.workspaceId} and user_id = ${p.userId} and read_at is null ${which}`)
          : await tx.run(sql`update notifications set read_at = null
               where workspace_id = ${p.workspaceId} and user_id = ${p.userId} and read_at is not null ${which}`);
        return { updated, unread: await unreadCount(tx, p, await readableSql(tx, p)) };
      });
    },
  );
  registerNotificationStream(app, ctx);
}
