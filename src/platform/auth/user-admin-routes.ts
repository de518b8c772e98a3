import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql, { join, raw, type Sql } from 'sql-template-tag';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import type { Queryable } from '../db/types.ts';
import { fieldIssue, notFound, validationError } from '../errors.ts';
import { SESSION_COOKIE } from '../http/server.ts';
import { WHAT } from '../resource/fields.ts';
import { idSchema, isoTime, type Resource, updateRecord } from '../resource/resource.ts';
import { errorResponses, idParams, listedResources, principalOf, scoped } from '../resource/resource-routes.ts';
import { createInvitation } from './invitations.ts';
import type { Principal } from './roles.ts';
import { endSessions, usersGuard } from './users.ts';

const tags = ['users'];

/** The records a person owns that a handover can move, in the order it moves them. */
export const OWNED_OBJECTS = ['deals', 'companies', 'contacts', 'leads', 'tasks'] as const;
type OwnedObject = (typeof OWNED_OBJECTS)[number];

/**
 * What "open" means per object, for a handover of open work only: a deal or task still open, a
 * lead not yet converted or disqualified and not archived, a company or contact not archived.
 * Closed deals keep their owner unless asked, so the won and lost figures stay whose they were.
 */
const OPEN: Record<OwnedObject, Sql> = {
  deals: sql`status = 'open'`,
  tasks: sql`status = 'open'`,
  leads: sql`status in ('new', 'working', 'qualified') and archived_at is null`,
  companies: sql`archived_at is null`,
  contacts: sql`archived_at is null`,
};

const sessionOut = z.object({
  id: idSchema,
  created_at: isoTime,
  last_seen_at: isoTime,
  expires_at: isoTime,
  current: z.boolean().describe("The caller's own session (ending it signs the caller out)"),
});

const counts = z.object(Object.fromEntries(OWNED_OBJECTS.map((o) => [o, z.number().int()])) as Record<OwnedObject, z.ZodNumber>);
const ownedOut = z.object(
  Object.fromEntries(OWNED_OBJECTS.map((o) => [o, z.object({ open: z.number().int(), total: z.number().int() })])) as Record<
    OwnedObject,
    z.ZodObject<{ open: z.ZodNumber; total: z.ZodNumber }>
  >,
);

const handoverBody = z.strictObject({
  to_user_id: idSchema.describe('Who takes the records over: an active person of the workspace, not the one handing over'),
  objects: z
    .array(z.enum(OWNED_OBJECTS))
    .min(1)
    .max(OWNED_OBJECTS.length)
    .optional()
    .describe('Which records to move (default: all five kinds)'),
  open_only: z
    .boolean()
    .optional()
    .describe('Only open work (default true): open deals and tasks, leads in work, companies and contacts not archived'),
});

const sessionParams = idParams.extend({ session_id: idParams.shape.id });

async function assertUser(tx: Queryable, ws: number, id: number): Promise<{ id: number; name: string; active: boolean }> {
  const [u] = await tx.query<{ id: number; name: string; active: boolean }>(
    sql`select id, name, active from users where workspace_id = ${ws} and id = ${id}`,
  );
  if (!u) throw notFound(WHAT.user, id);
  return u;
}

/** A person's sessions that still work, the most recently seen first. */
async function sessionsOf(tx: Queryable, p: Principal, userId: number, now: Date): Promise<z.infer<typeof sessionOut>[]> {
  const rows = await tx.query<{ id: number; created_at: Date; last_seen_at: Date; expires_at: Date }>(
    sql`select id, created_at, last_seen_at, expires_at from sessions
         where workspace_id = ${p.workspaceId} and user_id = ${userId} and expires_at > ${now}
         order by last_seen_at desc, id desc`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    created_at: r.created_at.toISOString(),
    last_seen_at: r.last_seen_at.toISOString(),
    expires_at: r.expires_at.toISOString(),
    current: p.via === 'session' && p.credentialId === Number(r.id),
  }));
}

/** How many records of each kind a person owns: open ones and all. One statement. */
async function ownedBy(tx: Queryable, ws: number, userId: number): Promise<z.infer<typeof ownedOut>> {
  const cols = OWNED_OBJECTS.map(
    (o) =>
      sql`(select count(*) filter (where ${OPEN[o]}) from ${raw(o)} where workspace_id = ${ws} and owner_id = ${userId})::int8 as ${raw(`${o}_open`)},
          (select count(*) from ${raw(o)} where workspace_id = ${ws} and owner_id = ${userId})::int8 as ${raw(`${o}_total`)}`,
  );
  const [row] = await tx.query<Record<string, number>>(sql`select ${join(cols)}`);
  return Object.fromEntries(OWNED_OBJECTS.map((o) => [o, { open: Number(row[`${o}_open`]), total: Number(row[`${o}_total`]) }])) as z.infer<
    typeof ownedOut
  >;
}

/**
 * The resource description of an owned object, as its routes registered it: a handover changes
 * each record's owner through `updateRecord`, the path of every PATCH, so the version is bumped,
 * the audit row says owner A → B, notifications follow from it, and each object's own hooks keep
 * their derived copies (a deal's visits and funnel counters) in step. Looked up at run time
 * because those descriptions live in folders above this one.
 */
function resourceOf(table: OwnedObject): Resource {
  const r = [...listedResources].find((x) => x.table === table);
  if (!r) throw new Error(`the ${table} resource is not registered: a handover needs its routes in the app`);
  return r;
}

/**
 * Moves a person's records to another, all in the caller's transaction: each record is locked in
 * id order and updated as an owner change. Refused, naming `to_user_id`, when the target is the
 * same person, unknown or deactivated. The number moved of each kind.
 */
export async function handOver(
  tx: Queryable,
  ctx: AppContext,
  p: Principal,
  fromId: number,
  input: z.infer<typeof handoverBody>,
): Promise<Record<OwnedObject, number>> {
  const ws = p.workspaceId;
  await assertUser(tx, ws, fromId);
  const to = input.to_user_id;
  if (to === fromId)
    throw validationError([
      fieldIssue(
        'to_user_id',
        'choose another person: this is the one handing over',
        'выберите другого человека: это тот же, кто передаёт',
        'same',
      ),
    ]);
  const [target] = await tx.query<{ active: boolean }>(sql`select active from users where workspace_id = ${ws} and id = ${to} for share`);
  if (!target)
    throw validationError([
      fieldIssue('to_user_id', `no user ${to} in this workspace`, `нет пользователя ${to} в этом пространстве`, 'not_found'),
    ]);
  if (!target.active)
    throw validationError([
      fieldIssue(
        'to_user_id',
        'this person is deactivated: records go to someone who works',
        'этот пользователь отключён: передайте тому, кто работает',
        'inactive',
      ),
    ]);
  const objects = new Set(input.objects ?? OWNED_OBJECTS);
  const openOnly = input.open_only ?? true;
  const moved = Object.fromEntries(OWNED_OBJECTS.map((o) => [o, 0])) as Record<OwnedObject, number>;
  for (const o of OWNED_OBJECTS) {
    if (!objects.has(o)) continue;
    const r = resourceOf(o);
    const rows = await tx.query<{ id: number; version: number }>(
      sql`select id, version from ${raw(o)} where workspace_id = ${ws} and owner_id = ${fromId}
             ${openOnly ? sql`and ${OPEN[o]}` : sql``}
           order by id for update`,
    );
    for (const row of rows) await updateRecord(tx, ctx, p, r, Number(row.id), { owner_id: to, version: row.version });
    moved[o] = rows.length;
  }
  return moved;
}

/**
 * User administration (issue 17), admins only: a person's sessions (listed, ended one by one or
 * all — "sign out everywhere"), a password reset by a one-time link (the admin never types the
 * password; the link's page is the invitation's), and the handover of a person's records to
 * another, with the counts the dialog shows first. API tokens are listed and revoked in
 * auth-routes.ts.
 */
export function registerUserAdminRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  zapp.get(
    '/api/v1/users/:id/sessions',
    {
      schema: {
        tags,
        summary: "A person's working sessions: opened, last seen, expires; which one is the caller's (admins)",
        params: idParams,
        response: { 200: z.object({ items: z.array(sessionOut) }), ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        usersGuard(p, 'write');
        await assertUser(tx, p.workspaceId, req.params.id);
        return { items: await sessionsOf(tx, p, req.params.id, ctx.clock.now()) };
      }),
  );
  const end = async (req: { params: { id: number; session_id?: number } }, p: Principal, tx: Queryable) => {
    usersGuard(p, 'write');
    await assertUser(tx, p.workspaceId, req.params.id);
    return endSessions(tx, {
      workspaceId: p.workspaceId,
      userId: req.params.id,
      sessionId: req.params.session_id,
      by: p.userId,
      at: ctx.clock.now(),
    });
  };
  zapp.delete(
    '/api/v1/users/:id/sessions/:session_id',
    {
      schema: {
        tags,
        summary: "End one of a person's sessions (admins); recorded in the audit log",
        params: sessionParams,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const ended = await scoped(ctx, req, (tx) => end(req, p, tx));
      if (ended.length === 0) throw notFound({ en: 'session', ru: 'сеанс' }, req.params.session_id);
      if (p.via === 'session' && ended.includes(p.credentialId)) reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );
  zapp.delete(
    '/api/v1/users/:id/sessions',
    {
      schema: {
        tags,
        summary: 'Sign a person out everywhere: end all their sessions (admins; API tokens stay — revoke them apart); audited',
        params: idParams,
        response: { 200: z.object({ ended: z.number().int().describe('Sessions ended') }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const ended = await scoped(ctx, req, (tx) => end(req, p, tx));
      if (p.via === 'session' && ended.includes(p.credentialId)) reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ended: ended.length };
    },
  );
  zapp.post(
    '/api/v1/users/:id/password-reset',
    {
      schema: {
        tags,
        summary:
          'A one-time link for a person to set a new password (admins; 24 hours; replaces older links). Setting it ends their sessions and revokes their API tokens',
        params: idParams,
        response: {
          201: z.object({
            token: z.string(),
            path: z.string().describe('The page of the link, under the app: /invite/<token>'),
            email: z.string(),
            expires_at: isoTime,
          }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      usersGuard(principalOf(req), 'write');
      const r = await scoped(ctx, req, (tx, p) => createInvitation(tx, ctx, p, req.params.id, 'reset'));
      return reply.status(201).send({ ...r, path: `/invite/${r.token}` });
    },
  );
  zapp.get(
    '/api/v1/users/:id/owned',
    {
      schema: {
        tags,
        summary: 'How many deals, companies, contacts, leads and tasks a person owns: open ones and all (admins; for a handover)',
        params: idParams,
        response: { 200: ownedOut, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        usersGuard(p, 'write');
        await assertUser(tx, p.workspaceId, req.params.id);
        return ownedBy(tx, p.workspaceId, req.params.id);
      }),
  );
  zapp.post(
    '/api/v1/users/:id/handover',
    {
      schema: {
        tags,
        summary:
          "Hand a person's records over to another in one transaction (admins): each an owner change, version-bumped and audited as a PATCH of its owner would be",
        params: idParams,
        body: handoverBody,
        response: { 200: z.object({ to_user_id: idSchema, open_only: z.boolean(), moved: counts }), ...errorResponses },
      },
    },
    async (req) => {
      usersGuard(principalOf(req), 'write');
      const moved = await scoped(ctx, req, (tx, p) => handOver(tx, ctx, p, req.params.id, req.body));
      return { to_user_id: req.body.to_user_id, open_only: req.body.open_only ?? true, moved };
    },
  );
}
