import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { login } from '../platform/auth/auth-service.ts';
import { PASSWORD_RULE, passwordProblem } from '../platform/auth/password-strength.ts';
import type { AppContext } from '../platform/context.ts';
import { pick } from '../platform/errors.ts';
import { requestLocale } from '../platform/http/locale.ts';
import { SESSION_COOKIE } from '../platform/http/server.ts';
import { errorResponses } from '../platform/resource/resource-routes.ts';
import { STANDARD_TEMPLATES } from '../process/templates.ts';
import { createWorkspaceWithAdmin, newWorkspaceSchema, setupNeeded } from './setup.ts';

const tags = ['setup'];

/**
 * The first start without the demo: while the server has no workspace, GET /api/v1/setup says so
 * and POST /api/v1/setup creates the workspace, its first admin and its standard, and signs the
 * admin in. Once a workspace exists the POST answers 409: more workspaces are made by an admin
 * (`bin/voronka workspace create`). The password check serves every form that sets a password.
 */
export function registerSetupRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const limited = { public: true, rateLimit: { max: ctx.config.loginAttemptsPerMinute, timeWindow: 60_000 } };
  zapp.get(
    '/api/v1/setup',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Whether this server still needs its first workspace, and the templates it can start from',
        security: [],
        response: {
          200: z.object({ needed: z.boolean(), templates: z.array(z.enum(STANDARD_TEMPLATES)) }),
          ...errorResponses,
        },
      },
    },
    async () => ({ needed: await setupNeeded(ctx.db), templates: [...STANDARD_TEMPLATES] }),
  );
  zapp.post(
    '/api/v1/setup',
    {
      config: limited,
      schema: {
        tags,
        summary: 'Create the first workspace and its admin (only while the server has none); signs the admin in',
        security: [],
        body: newWorkspaceSchema,
        response: {
          201: z.object({ workspace_id: z.number().int(), user_id: z.number().int(), template: z.enum(STANDARD_TEMPLATES) }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const r = await createWorkspaceWithAdmin(ctx.db, req.body, ctx.clock.now(), { onlyIfEmpty: true });
      const s = await login(ctx, { email: req.body.admin.email, password: req.body.admin.password, workspace: req.body.workspace.name });
      reply.setCookie(SESSION_COOKIE, s.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.config.secureCookies,
        expires: s.expiresAt,
      });
      return reply.status(201).send({ workspace_id: r.workspaceId, user_id: r.userId, template: req.body.template });
    },
  );
  zapp.post(
    '/api/v1/password-check',
    {
      config: limited,
      schema: {
        tags,
        summary: 'How good a new password is, by the rule every password is set by (for a strength meter)',
        security: [],
        body: z.strictObject({
          password: z.string().max(PASSWORD_RULE.maxLength * 2),
          /** The person's name and e-mail: a password made of them is weak. */
          inputs: z.array(z.string().max(320)).max(4).default([]),
        }),
        response: {
          200: z.object({
            ok: z.boolean(),
            code: z.string().nullable(),
            message: z.string().nullable(),
            min_length: z.number().int(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const problem = passwordProblem(req.body.password, req.body.inputs);
      return {
        ok: problem === null,
        code: problem?.code ?? null,
        message: problem ? pick(problem.message, requestLocale(req)) : null,
        min_length: PASSWORD_RULE.minLength,
      };
    },
  );
}
