import { scopeFor } from '../platform/auth/access.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable } from '../platform/db/types.ts';
import { AppError } from '../platform/errors.ts';
import { callerTimeZone } from '../platform/time-zone.ts';
import { checkReportSize, type FunnelParams, resolveFunnelQuery } from './funnel-query.ts';
import type { FunnelQuery } from './funnel-types.ts';

/**
 * Resolves a report query for the caller — for the reports, their drill-downs and their exports
 * alike: a manager's or team lead's reports count only their own (team's) deals and tasks; asking
 * for another owner or team is refused.
 */
export async function funnelQueryForCaller(
  tx: Queryable,
  ctx: AppContext,
  p: Principal,
  params: FunnelParams,
  by: string | null = params.by ?? null,
  /** The caller's zone when already known (callerTimeZone). */
  known?: string,
): Promise<FunnelQuery> {
  const scope = await scopeFor(tx, p, 'reports', 'read');
  // Days (a period's `YYYY-MM-DD`, months of a breakdown) are the caller's: their zone, else the workspace's.
  const zone = known ?? (await callerTimeZone(tx, p.workspaceId, p.userId));
  const q = await resolveFunnelQuery(tx, p.workspaceId, params, ctx.clock.now(), zone);
  await checkReportSize(tx, q, by);
  if (!scope) return q;
  const owner = q.filters.owner?.value;
  if (owner !== undefined && (owner === null || !scope.owners.includes(Number(owner)))) {
    throw new AppError('FORBIDDEN', {
      en: 'you can only see your own (team’s) figures',
      ru: 'вам доступны только свои цифры (и своей команды)',
    });
  }
  return { ...q, ownerScope: scope.owners };
}
