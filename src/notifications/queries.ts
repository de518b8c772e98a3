import sql, { empty, join, raw, type Sql } from 'sql-template-tag';
import { z } from 'zod';
import { ACCESS, type AccessObject, scopeOf, visibleSql } from '../platform/auth/access.ts';
import type { Principal } from '../platform/auth/roles.ts';
import { prepared, type Queryable } from '../platform/db/types.ts';
import { idSchema, utcSql } from '../platform/resource/resource.ts';

/** The notifications' API object and the reads the routes and the stream share. */
export const NOTIFICATION_KINDS = ['task_assigned', 'deal_moved', 'deal_assigned', 'deal_commented', 'mentioned'] as const;
export const NOTIFICATION_ENTITIES = ['deals', 'tasks', 'companies', 'contacts', 'leads'] as const;

export const notificationSchema = z.object({
  id: idSchema,
  kind: z.enum(NOTIFICATION_KINDS),
  entity: z.enum(NOTIFICATION_ENTITIES).describe('The record the notification opens'),
  entity_id: idSchema,
  actor_id: idSchema.nullable().describe('Who did it'),
  actor: z.string().nullable().describe('Their name (now; null if unknown)'),
  params: z
    .record(z.string(), z.union([z.string(), z.number(), z.null()]))
    .describe(
      'What the text names, as it was then: task, deal, deal_id, stage, tasks (playbook tasks of the move), target, name, type, subject',
    ),
  created_at: z.string(),
  read_at: z.string().nullable(),
});
export type NotificationOut = z.infer<typeof notificationSchema>;

/**
 * The notifications a reader may see: those on records their role sees now. A note may mention
 * someone who cannot open its deal; they hear nothing of it (not even its title) until the deal is
 * shared with them or handed over, when the notification appears.
 */
export async function readableSql(q: Queryable, p: Principal): Promise<Sql> {
  const parts: Sql[] = [];
  let scope: Awaited<ReturnType<typeof scopeOf>> | undefined;
  for (const entity of NOTIFICATION_ENTITIES) {
    const level = ACCESS[entity as AccessObject][p.role][0];
    if (level === 'all') continue;
    if (level === 'none') {
      parts.push(sql`n.entity <> ${entity}`);
      continue;
    }
    scope ??= await scopeOf(q, p);
    parts.push(sql`(n.entity <> ${entity} or exists (select 1 from ${raw(entity)} v where v.workspace_id = n.workspace_id and v.id = n.entity_id
                      and ${visibleSql(entity, scope, 'v')}))`);
  }
  return parts.length ? sql`and ${join(parts, ' and ')}` : empty;
}

/** The caller's notifications as API objects, newest first (`ids`: just those); `readable` from `readableSql`. */
export function notificationRows(
  q: Queryable,
  p: Principal,
  readable: Sql,
  opts: { unread?: boolean; before?: number; ids?: number[]; limit: number },
) {
  return q.query<NotificationOut>(
    prepared(sql`
    select n.id, n.kind, n.entity, n.entity_id, n.actor_id, u.name as actor, n.params,
           ${utcSql('n.created_at')} as created_at, ${utcSql('n.read_at')} as read_at
      from notifications n left join users u on u.workspace_id = n.workspace_id and u.id = n.actor_id
     where n.workspace_id = ${p.workspaceId} and n.user_id = ${p.userId} ${readable}
       ${opts.unread ? sql`and n.read_at is null` : empty}
       ${opts.before !== undefined ? sql`and n.id < ${opts.before}` : empty}
       ${opts.ids ? sql`and n.id = any(${opts.ids}::int8[])` : empty}
     order by n.id desc limit ${opts.limit}`),
  );
}

export async function unreadCount(q: Queryable, p: Principal, readable: Sql): Promise<number> {
  const [r] = await q.query<{ n: number }>(
    prepared(
      sql`select count(*)::int8 as n from notifications n where n.workspace_id = ${p.workspaceId} and n.user_id = ${p.userId} ${readable} and n.read_at is null`,
    ),
  );
  return Number(r.n);
}
