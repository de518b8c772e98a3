import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { SESSION_COOKIE } from '../http/server.ts';
import { errorResponses, idParams, principalOf, scoped } from '../resource/resource-routes.ts';
import { login } from './auth-service.ts';
import { acceptInvitation, createInvitation, readInvitation } from './invitations.ts';
import { usersGuard } from './users.ts';

const tags = ['auth'];
const tokenParams = z.strictObject({ token: z.string().min(1).max(200) });

/**
 * Invitations (issue 17): an admin makes a one-time link for a person (POST
 * /api/v1/users/:id/invitation) and passes it on — shown to copy, as no mail is sent; the link's
 * page reads whom it invites and sets the password, which signs the person in. A password reset
 * link (user-admin-routes.ts) is the same kind of link and opens the same page.
 */
export function registerInvitationRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  zapp.post(
    '/api/v1/users/:id/invitation',
    {
      schema: {
        tags,
        summary: 'A one-time link for a person to set their password and sign in (admins; a newer link replaces older ones)',
        params: idParams,
        response: {
          201: z.object({
            token: z.string(),
            path: z.string().describe('The page of the link, under the app: /invite/<token>'),
            email: z.string(),
            expires_at: z.iso.datetime({ offset: true }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      usersGuard(principalOf(req), 'write');
      const r = await scoped(ctx, req, (tx, p) => createInvitation(tx, ctx, p, Number(req.params.id)));
      return reply.status(201).send({ ...r, path: `/invite/${r.token}` });
    },
  );
  zapp.get(
    '/api/v1/invitations/:token',
    {
      config: { public: true, rateLimit: { max: ctx.config.loginAttemptsPerMinute, timeWindow: 60_000 } },
      schema: {
        tags,
        summary: 'Whom an invitation or password reset link is for (404 once used, replaced or expired)',
        security: [],
        params: tokenParams,
        response: {
          200: z.object({
            workspace: z.string(),
            name: z.string(),
            email: z.string(),
            purpose: z
              .enum(['invite', 'reset'])
              .describe('invite: the first password; reset: a new one (POST /api/v1/users/{id}/password-reset)'),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => readInvitation(ctx, req.params.token),
  );
  zapp.post(
    '/api/v1/invitations/:token/accept',
    {
      config: { public: true, rateLimit: { max: ctx.config.loginAttemptsPerMinute, timeWindow: 60_000 } },
      schema: {
        tags,
        summary: "Set the password a link asks for, once; ends the person's other sessions, revokes their API tokens and signs them in",
        security: [],
        params: tokenParams,
        body: z.strictObject({ password: z.string().min(1).max(400) }),
        response: { 200: z.object({ workspace_id: z.number().int(), user_id: z.number().int() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const r = await acceptInvitation(ctx, req.params.token, req.body.password);
      const s = await login(ctx, { email: r.email, password: req.body.password, workspace: r.workspace });
      reply.setCookie(SESSION_COOKIE, s.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.config.secureCookies,
        expires: s.expiresAt,
      });
      return { workspace_id: r.workspaceId, user_id: r.userId };
    },
  );
}
