import { registerAccountsRoutes } from './accounts/accounts-routes.ts';
import { registerReportRoutes } from './analytics/report-routes.ts';
import { registerSlaRoutes } from './analytics/sla-routes.ts';
import { activities } from './crm/activities.ts';
import { registerBoardRoutes } from './crm/board.ts';
import { registerBulkRoutes } from './crm/bulk.ts';
import { registerCardRoutes } from './crm/cards.ts';
import { companies } from './crm/companies.ts';
import { contacts } from './crm/contacts.ts';
import { registerDealRoutes } from './crm/deal-routes.ts';
import { registerExportRoutes } from './crm/export.ts';
import { leads } from './crm/leads.ts';
import { registerReviewRoutes } from './crm/review-routes.ts';
import { registerSearchRoutes } from './crm/search.ts';
import { segments } from './crm/segments.ts';
import { registerImportRoutes, registerSpendUploadRoute } from './imports/import-routes.ts';
import { channels } from './marketing/channels.ts';
import { registerMarketingRoutes } from './marketing/marketing-routes.ts';
import { registerNotificationRoutes } from './notifications/notifications.ts';
import { registerAuditRoutes } from './platform/audit-routes.ts';
import { registerAuthRoutes } from './platform/auth/auth-routes.ts';
import { registerInvitationRoutes } from './platform/auth/invitation-routes.ts';
import { registerUserAdminRoutes } from './platform/auth/user-admin-routes.ts';
import { users, usersGuard } from './platform/auth/users.ts';
import type { AppContext } from './platform/context.ts';
import { buildServer, type RouteModule } from './platform/http/server.ts';
import { registerPreferenceRoutes } from './platform/preferences.ts';
import { registerResourceRoutes } from './platform/resource/resource-routes.ts';
import { registerSavedViewRoutes } from './platform/saved-views.ts';
import { registerCalendarRoutes } from './process/calendar-routes.ts';
import { registerCardDesignerRoutes } from './process/card-designer.ts';
import { registerConfigRoutes } from './process/config-routes.ts';
import { customFields, fieldBlocks } from './process/custom-fields.ts';
import { configGuard, registerPipelineRoutes } from './process/pipelines.ts';
import { registerPlaybookPreviewRoutes } from './process/playbook-preview.ts';
import { registerPlaybookRoutes } from './process/playbook-routes.ts';
import { registerRemarkRoutes } from './process/remarks.ts';
import { stageRequirements } from './process/requirements.ts';
import { registerRuleRoutes } from './process/rules.ts';
import { tasks } from './process/tasks.ts';
import { registerSetupRoutes } from './setup/setup-routes.ts';

/** Every feature's routes, in one list: the HTTP app is exactly this. */
export const routeModules: RouteModule[] = [
  registerAuthRoutes,
  (app, ctx) => registerResourceRoutes(app, ctx, users, usersGuard),
  (app, ctx) => registerResourceRoutes(app, ctx, companies),
  (app, ctx) => registerResourceRoutes(app, ctx, contacts),
  (app, ctx) => registerResourceRoutes(app, ctx, leads),
  (app, ctx) => registerResourceRoutes(app, ctx, segments, configGuard),
  (app, ctx) => registerResourceRoutes(app, ctx, channels, configGuard),
  registerPipelineRoutes,
  registerDealRoutes,
  (app, ctx) => registerResourceRoutes(app, ctx, activities),
  (app, ctx) => registerResourceRoutes(app, ctx, tasks),
  (app, ctx) => registerResourceRoutes(app, ctx, fieldBlocks, configGuard),
  (app, ctx) => registerResourceRoutes(app, ctx, customFields, configGuard),
  (app, ctx) => registerResourceRoutes(app, ctx, stageRequirements, configGuard),
  registerPlaybookRoutes,
  registerCalendarRoutes,
  registerConfigRoutes,
  registerReviewRoutes,
  registerReportRoutes,
  registerSlaRoutes,
  registerBoardRoutes,
  registerCardRoutes,
  registerSearchRoutes,
  registerExportRoutes,
  registerBulkRoutes,
  registerPreferenceRoutes,
  registerSavedViewRoutes,
  registerAuditRoutes,
  registerNotificationRoutes,
  registerImportRoutes,
  registerSetupRoutes,
  registerInvitationRoutes,
  registerUserAdminRoutes,
  registerRuleRoutes,
  registerPlaybookPreviewRoutes,
  registerCardDesignerRoutes,
  registerRemarkRoutes,
  registerMarketingRoutes,
  registerAccountsRoutes,
  registerSpendUploadRoute,
];

export function buildApp(ctx: AppContext, opts: { logger?: boolean; logStream?: NodeJS.WritableStream; webDist?: string | null } = {}) {
  return buildServer(ctx, routeModules, opts);
}
