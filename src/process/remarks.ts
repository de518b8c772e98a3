import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../platform/context.ts';

/** Routes of remarks on the standard from cards, and field-usage figures (issue 17): placeholder until the feature lands. */
export function registerRemarkRoutes(_app: FastifyInstance, _ctx: AppContext) {}
