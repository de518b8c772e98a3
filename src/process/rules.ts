import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../platform/context.ts';

/** Routes of loss reasons, forced-move policy, stage archive (issue 17): placeholder until the feature lands. */
export function registerRuleRoutes(_app: FastifyInstance, _ctx: AppContext) {}
