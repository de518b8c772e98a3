import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../platform/context.ts';
import { registerResourceRoutes } from '../platform/resource/resource-routes.ts';
import { configGuard } from './pipelines.ts';
import { taskTemplates } from './playbooks.ts';

export function registerPlaybookRoutes(app: FastifyInstance, ctx: AppContext) {
  registerResourceRoutes(app, ctx, taskTemplates, configGuard);
}
