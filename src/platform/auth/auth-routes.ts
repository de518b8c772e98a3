import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import type { Queryable } from '../db/types.ts';
import { inWorkspace } from '../db/workspace-scope.ts';
import { notFound } from '../errors.ts';
import { SESSION_COOKIE } from '../http/server.ts';
import { WHAT } from '../resource/fields.ts';
import { idSchema, isoTime } from '../resource/resource.ts';
import { errorResponses, idParams, principalOf, scoped } from '../resource/resource-routes.ts';
import { createApiToken, login, logout, revokeApiTokens } from './auth-service.ts';
import { ROLES } from './roles.ts';
import { usersGuard } from './users.ts';

const me = z.object({
  user: z.object({
    id: idSchema,
    name: z.string(),
    email: z.string().nullable(),
    role: z.enum(ROLES),
    locale: z.enum(['ru', 'en']).nullable(),
  }),
  workspace: z.object({
    id: idSchema,
    name: z.string(),
    currency: z.string(),
    timezone: z.string(),
    locale: z.enum(['ru', 'en']),
  }),
});

async function whoAmI(ctx: AppContext, workspaceId: number, userId: number) {
  return inWorkspace(ctx.db, workspaceId, async (tx) => {
    const [u] = await tx.query<z.infer<typeof me>['user']>(
      sql`select id, name, email, role, locale from users where workspace_id = ${workspaceId} and id = ${userId}`,
    );
    const [w] = await tx.query<z.infer<typeof me>['workspace']>(
      sql`select workspace_id as id, name, currency, timezone, locale from workspaces where workspace_id = ${workspaceId}`,
    );
    return { user: u, workspace: w };
  });
}

export function registerAuthRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['auth'];
  zapp.get(
    '/api/v1/health',
    {
      config: { public: true },
      schema: {
        tags: ['system'],
        summary: 'Liveness and database check',
        security: [],
        response: {
          200: z.object({
            status: z.literal('ok'),
            engine: z.string(),
            database: z
              .enum(['ok', 'busy'])
              .describe('`busy`: the embedded database is running a statement (a report, say); it is alive, and not asked again'),
            time: isoTime,
          }),
        },
      },
    },
    async () => {
      // The embedded database has one session: a probe would wait behind whatever runs there.
      const busy = ctx.db.busy();
      if (!busy) await ctx.db.query('select 1');
      return {
        status: 'ok' as const,
        engine: ctx.db.engine,
        database: busy ? ('busy' as const) : ('ok' as const),
        time: ctx.clock.now().toISOString(),
      };
    },
  );
  zapp.post(
    '/api/v1/auth/login',
    {
      config: { public: true, rateLimit: { max: ctx.config.loginAttemptsPerMinute, timeWindow: 60_000 } },
      schema: {
        tags,
        summary: 'Sign in with e-mail and password; sets the session cookie',
        security: [],
        body: z.strictObject({
          email: z.string().trim().min(3).max(320),
          password: z.string().min(1).max(200),
          workspace: z.string().trim().min(1).max(200).optional().describe('Needed only when the e-mail is in several workspaces'),
        }),
        response: {
          200: me.extend({ expires_at: isoTime }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const s = await login(ctx, req.body);
      reply.setCookie(SESSION_COOKIE, s.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.config.secureCookies,
        expires: s.expiresAt,
      });
      return {
        ...(await whoAmI(ctx, s.workspaceId, s.userId)),
        expires_at: s.expiresAt.toISOString(),
      };
    },
  );
  zapp.post(
    '/api/v1/auth/logout',
    {
      schema: {
        tags,
        summary: 'End the current session',
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await logout(ctx, principalOf(req));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );
  zapp.get(
    '/api/v1/auth/me',
    {
      schema: {
        tags,
        summary: 'Who is signed in',
        response: { 200: me, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return whoAmI(ctx, p.workspaceId, p.userId);
    },
  );
  zapp.get(
    '/api/v1/auth/tokens',
    {
      schema: {
        tags,
        summary: 'My API tokens (never the secrets)',
        response: {
          200: z.object({ items: z.array(tokenOut) }),
          ...errorResponses,
        },
      },
    },
    async (req) => scoped(ctx, req, async (tx, p) => ({ items: await tokensOf(tx, p.workspaceId, p.userId) })),
  );
  zapp.post(
    '/api/v1/auth/tokens',
    {
      schema: {
        tags,
        summary: 'Create an API token for scripts; the secret is shown once',
        body: z.strictObject({
          name: z.string().trim().min(1).max(200),
          expires_in_days: z.number().int().min(1).max(3650).nullable().optional(),
          scopes: z
            .array(z.enum(['read', 'write']))
            .min(1)
            .max(2)
            .optional()
            .describe('read: GET requests only; write: everything else. Default both.'),
        }),
        response: {
          201: z.object({
            id: idSchema,
            token: z.string(),
            name: z.string(),
            scopes: z.array(z.enum(['read', 'write'])),
            created_at: isoTime,
            expires_at: isoTime.nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => reply.status(201).send(await createApiToken(ctx, principalOf(req), req.body)),
  );
  zapp.delete(
    '/api/v1/auth/tokens/:id',
    {
      schema: {
        tags,
        summary: 'Revoke one of my API tokens',
        params: idParams,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const revoked = await scoped(ctx, req, (tx, p) =>
        revokeApiTokens(tx, { workspaceId: p.workspaceId, userId: p.userId, tokenId: req.params.id, by: p.userId, at: ctx.clock.now() }),
      );
      if (revoked.length === 0) throw notFound({ en: 'API token', ru: 'API-токен' }, req.params.id);
      return reply.status(204).send(null);
    },
  );
  // An admin sees and revokes anyone's tokens, without deactivating the person (a reset of the
  // password revokes them all, users.ts).
  const userTokenParams = idParams.extend({ token_id: idParams.shape.id });
  zapp.get(
    '/api/v1/users/:id/tokens',
    {
      schema: {
        tags,
        summary: "A person's working API tokens (admins; never the secrets)",
        params: idParams,
        response: { 200: z.object({ items: z.array(tokenOut) }), ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        usersGuard(p, 'write');
        await assertUser(tx, p.workspaceId, req.params.id);
        return { items: await tokensOf(tx, p.workspaceId, req.params.id) };
      }),
  );
  zapp.delete(
    '/api/v1/users/:id/tokens/:token_id',
    {
      schema: {
        tags,
        summary: "Revoke a person's API token (admins); recorded in the audit log",
        params: userTokenParams,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const revoked = await scoped(ctx, req, async (tx, p) => {
        usersGuard(p, 'write');
        await assertUser(tx, p.workspaceId, req.params.id);
        return revokeApiTokens(tx, {
          workspaceId: p.workspaceId,
          userId: req.params.id,
          tokenId: req.params.token_id,
          by: p.userId,
          at: ctx.clock.now(),
        });
      });
      if (revoked.length === 0) throw notFound({ en: 'API token', ru: 'API-токен' }, req.params.token_id);
      return reply.status(204).send(null);
    },
  );
}

const tokenOut = z.object({
  id: idSchema,
  name: z.string(),
  scopes: z.array(z.enum(['read', 'write'])),
  created_at: isoTime,
  expires_at: isoTime.nullable(),
  last_used_at: isoTime.nullable(),
});

/** A person's tokens that still work (revoked ones are not listed), oldest first. */
async function tokensOf(tx: Queryable, workspaceId: number, userId: number): Promise<z.infer<typeof tokenOut>[]> {
  const rows = await tx.query<{
    id: number;
    name: string;
    scopes: ('read' | 'write')[];
    created_at: Date;
    expires_at: Date | null;
    last_used_at: Date | null;
  }>(
    sql`select id, name, scopes, created_at, expires_at, last_used_at from api_tokens
         where workspace_id = ${workspaceId} and user_id = ${userId} and revoked_at is null order by id`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    scopes: r.scopes,
    created_at: r.created_at.toISOString(),
    expires_at: r.expires_at?.toISOString() ?? null,
    last_used_at: r.last_used_at?.toISOString() ?? null,
  }));
}

async function assertUser(tx: Queryable, workspaceId: number, userId: number) {
  const found = await tx.query(sql`select 1 from users where workspace_id = ${workspaceId} and id = ${userId}`);
  if (found.length === 0) throw notFound(WHAT.user, userId);
}
