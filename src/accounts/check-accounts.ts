import type { CheckResult } from '../history/check-history.ts';
import type { Queryable } from '../platform/db/types.ts';
import { renewalTaskProblems } from './renewal-tasks.ts';

/**
 * What `bin/voronka check` verifies for accounts: the renewal tasks syncRenewalTasks keeps — every
 * contract still running, not renewed and not churned has its renewal task, and none renewed or
 * churned still has an open one.
 */
export async function checkAccounts(tx: Queryable, ws: number, now: Date): Promise<CheckResult[]> {
  const p = await renewalTaskProblems(tx, ws, now);
  const ex = (ids: number[]) => ({ example: ids[0] ? `#${ids[0]}` : null, examples: ids.slice(0, 10).map((id) => `#${id}`) });
  return [
    {
      check: 'running contracts, neither renewed nor churned, without their renewal task',
      check_ru: 'действующие договоры без продления и оттока, у которых нет задачи на продление',
      problems: p.missing.length,
      ...ex(p.missing),
    },
    {
      check: 'renewed or churned contracts whose renewal task is still open',
      check_ru: 'продлённые или ушедшие договоры с открытой задачей на продление',
      problems: p.stale.length,
      ...ex(p.stale),
    },
  ];
}
