import sql, { empty } from 'sql-template-tag';
import { z } from 'zod';
import type { Scope } from '../platform/auth/access.ts';
import type { Queryable } from '../platform/db/types.ts';
import {
  type Contract,
  type ContractRow,
  contractOut,
  contractSchema,
  contractSelect,
  contractVisibleSql,
  workspaceToday,
} from './contracts.ts';

/**
 * Renewals due: the contracts ending from today within 30 / 60 / 90 days that nobody renewed or
 * marked churned yet, with their MRR, the company's last activity, its open cases and the renewal task.
 */

export const WINDOWS = [30, 60, 90] as const;

export const renewalItemSchema = contractSchema.extend({
  days_left: z.number().int().describe('Calendar days from today to the end'),
  last_activity_at: z.string().nullable().describe('The latest activity with the company or on its deals'),
  open_cases: z.number().int().describe('The company’s cases open or in progress'),
  task_id: z.number().int().nullable(),
  task_due_at: z.string().nullable(),
  task_status: z.string().nullable(),
});

export const renewalsSchema = z.object({
  today: z.string(),
  windows: z.array(z.object({ days: z.number().int(), contracts: z.number().int(), mrr_minor: z.number().int() })),
  items: z.array(renewalItemSchema),
});

export async function renewalsDue(
  tx: Queryable,
  ws: number,
  now: Date,
  scope: Scope | null,
  q: { within: number; owner_id?: number },
  locale: 'ru' | 'en',
): Promise<z.infer<typeof renewalsSchema>> {
  const { today } = await workspaceToday(tx, ws, now);
  const horizon = Math.max(q.within, ...WINDOWS);
  const rows = await tx.query<
    ContractRow & {
      days_left: number;
      last_activity_at: Date | null;
      open_cases: number;
      task_id: number | null;
      task_due_at: Date | null;
      task_status: string | null;
    }
  >(sql`
    select x.*, (x.end_date::date - ${today}::date) as days_left,
           (select max(a.at) from activities a
             where a.workspace_id = ${ws} and a.at <= ${now}
               and (a.company_id = x.company_id or a.deal_id in (select d.id from deals d where d.workspace_id = ${ws} and d.company_id = x.company_id))) as last_activity_at,
           (select count(*) from service_cases k where k.workspace_id = ${ws} and k.company_id = x.company_id and k.status in ('open', 'in_progress'))::int8 as open_cases,
           t.id as task_id, t.due_at as task_due_at, t.status as task_status
      from (${contractSelect(today)}
             where c.workspace_id = ${ws} and c.end_date >= ${today}::date and c.end_date < ${today}::date + ${horizon}::int
               ${scope ? sql`and ${contractVisibleSql(scope)}` : empty}
               ${q.owner_id ? sql`and c.owner_id = ${q.owner_id}` : empty}) x
      left join lateral (select id, due_at, status from tasks t where t.workspace_id = ${ws} and t.contract_id = x.id
                          order by (t.status = 'open') desc, t.id desc limit 1) t on true
     where x.status = 'active' and x.renewed_by_id is null
     order by x.end_date, x.mrr_minor desc, x.id`);
  const items = rows.map((r) => {
    const c: Contract = contractOut(r, locale);
    return {
      ...c,
      days_left: Number(r.days_left),
      last_activity_at: r.last_activity_at ? r.last_activity_at.toISOString() : null,
      open_cases: Number(r.open_cases),
      task_id: r.task_id === null ? null : Number(r.task_id),
      task_due_at: r.task_due_at ? r.task_due_at.toISOString() : null,
      task_status: r.task_status,
    };
  });
  return {
    today,
    windows: WINDOWS.map((days) => {
      const inside = items.filter((i) => i.days_left < days);
      return { days, contracts: inside.length, mrr_minor: inside.reduce((s, i) => s + i.mrr_minor, 0) };
    }),
    items: items.filter((i) => i.days_left < q.within),
  };
}
