import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../platform/context.ts';

/** Routes of the card designer's layout (blocks, field order, pinned) saved in one transaction (issue 17): placeholder until the feature lands. */
export function registerCardDesignerRoutes(_app: FastifyInstance, _ctx: AppContext) {}
