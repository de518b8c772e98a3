import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../platform/context.ts';

/** Routes of what a deal entering a stage in a segment gets: requirements, tasks and their due dates (issue 17): placeholder until the feature lands. */
export function registerPlaybookPreviewRoutes(_app: FastifyInstance, _ctx: AppContext) {}
