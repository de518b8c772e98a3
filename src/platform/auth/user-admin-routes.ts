import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';

/** Routes of user administration: sessions and API tokens of a user, password reset links, bulk handover (issue 17): placeholder until the feature lands. */
export function registerUserAdminRoutes(_app: FastifyInstance, _ctx: AppContext) {}
