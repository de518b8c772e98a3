import { DateTime } from 'luxon';
import sql, { empty } from 'sql-template-tag';
import { audit } from '../platform/audit.ts';
import type { Queryable } from '../platform/db/types.ts';
import { type Calendar, isWorkingDay, loadCalendar } from '../process/calendar.ts';
import { renewedNowSql } from './renewal-rule.ts';

/**
 * The renewal task of a contract: due N business days (the workspace's `renewal_notice_days`,
 * default 30) before its end, at 10:00 in the workspace zone, owned by the key-account manager — so
 * that a renewal is never discovered after the fact. It is kept by this one function on every path
 * that changes a contract (create, change, renew, churn, import): a contract that is renewed closes
 * its task as done, one marked churned cancels it, a changed end or owner moves it. A task someone
 * closed by hand is not reopened. `bin/voronka check` recounts what this keeps (check-accounts.ts).
 */

const DUE_HOUR = 10;

/** `days` business days before `endDay` (YYYY-MM-DD), at 10:00 in the zone. */
export function renewalDue(endDay: string, days: number, zone: string, cal: Calendar): Date {
  let d = DateTime.fromISO(endDay, { zone }).set({ hour: DUE_HOUR });
  let left = days;
  while (left > 0) {
    d = d.minus({ days: 1 });
    if (isWorkingDay(d, cal)) left--;
  }
  return d.toJSDate();
}

const renewedNow = renewedNowSql();

interface Want {
  id: number;
  company: string;
  product_group: string;
  end_date: string;
  owner_id: number | null;
  churned: boolean;
  renewed: boolean;
  ended: boolean;
}

export const renewalTitle = (locale: string, company: string, group: string) =>
  locale === 'en' ? `Renewal: ${company} — ${group}` : `Продление договора: ${company} — ${group}`;

/** Keeps the renewal tasks of the contracts of one company and product group (or of the given contracts). */
export async function syncRenewalTasks(
  tx: Queryable,
  ws: number,
  now: Date,
  of: { companyId: number; productGroupId: number } | { contractIds: number[] },
): Promise<void> {
  const [w] = await tx.query<{ timezone: string; locale: string; renewal_notice_days: number }>(
    sql`select timezone, locale, renewal_notice_days from workspaces where workspace_id = ${ws}`,
  );
  const today = DateTime.fromJSDate(now, { zone: w.timezone }).toISODate();
  const which =
    'contractIds' in of
      ? sql`and c.id = any(${of.contractIds}::int8[])`
      : sql`and c.company_id = ${of.companyId} and c.product_group_id = ${of.productGroupId}`;
  const contracts = await tx.query<Want>(sql`
    select c.id, co.name as company, pg.name as product_group, to_char(c.end_date, 'YYYY-MM-DD') as end_date,
           coalesce(c.owner_id, c.created_by) as owner_id, c.churned_at is not null as churned,
           ${renewedNow} as renewed,
           c.end_date <= ${today}::date as ended
      from contracts c
      join companies co on co.workspace_id = c.workspace_id and co.id = c.company_id
      join product_groups pg on pg.workspace_id = c.workspace_id and pg.id = c.product_group_id
     where c.workspace_id = ${ws} ${which}`);
  if (contracts.length === 0) return;
  const tasks = await tx.query<{
    id: number;
    contract_id: number;
    status: string;
    due_at: Date | null;
    owner_id: number | null;
    version: number;
  }>(
    sql`select id, contract_id, status, due_at, owner_id, version from tasks
         where workspace_id = ${ws} and contract_id = any(${contracts.map((c) => c.id)}::int8[]) ${empty}`,
  );
  let cal: Calendar | null = null;
  for (const c of contracts) {
    const mine = tasks.filter((t) => Number(t.contract_id) === Number(c.id));
    const open = mine.find((t) => t.status === 'open');
    const want = !c.churned && !c.renewed && !c.ended;
    if (want) {
      cal ??= await loadCalendar(tx, ws);
      const due = renewalDue(c.end_date, w.renewal_notice_days, w.timezone, cal);
      if (!open && mine.length === 0) {
        const [t] = await tx.query<{ id: number }>(sql`
          insert into tasks (workspace_id, title, type, status, owner_id, due_at, contract_id, notes, created_at, updated_at)
          values (${ws}, ${renewalTitle(w.locale, c.company, c.product_group)}, 'follow_up', 'open', ${c.owner_id}, ${due}, ${c.id},
                  ${w.locale === 'en' ? `The contract ends on ${c.end_date}.` : `Договор заканчивается ${c.end_date}.`}, ${now}, ${now})
          returning id`);
        await audit(tx, {
          workspaceId: ws,
          userId: null,
          entity: 'tasks',
          entityId: Number(t.id),
          action: 'create',
          at: now,
          changes: { contract_id: { from: null, to: Number(c.id) }, due_at: { from: null, to: due.toISOString() } },
          version: 1,
        });
      } else if (open && (open.due_at?.getTime() !== due.getTime() || Number(open.owner_id) !== Number(c.owner_id))) {
        await tx.query(sql`update tasks set due_at = ${due}, owner_id = ${c.owner_id}, updated_at = ${now}, version = version + 1
                            where workspace_id = ${ws} and id = ${open.id}`);
        await audit(tx, {
          workspaceId: ws,
          userId: null,
          entity: 'tasks',
          entityId: Number(open.id),
          action: 'update',
          at: now,
          changes: {
            due_at: { from: open.due_at?.toISOString() ?? null, to: due.toISOString() },
            owner_id: { from: open.owner_id, to: c.owner_id },
          },
          version: open.version + 1,
        });
      }
    } else if (open && (c.renewed || c.churned)) {
      const status = c.renewed ? 'done' : 'cancelled';
      await tx.query(sql`update tasks set status = ${status}, done_at = ${status === 'done' ? now : null},
                                closed_at = ${status === 'cancelled' ? now : null}, updated_at = ${now}, version = version + 1
                          where workspace_id = ${ws} and id = ${open.id}`);
      await audit(tx, {
        workspaceId: ws,
        userId: null,
        entity: 'tasks',
        entityId: Number(open.id),
        action: 'update',
        at: now,
        changes: { status: { from: 'open', to: status } },
        version: open.version + 1,
      });
    }
  }
}

/** What syncRenewalTasks keeps, recounted: contracts whose renewal task is missing or still open after a renewal or churn. */
export async function renewalTaskProblems(tx: Queryable, ws: number, now: Date): Promise<{ missing: number[]; stale: number[] }> {
  const [w] = await tx.query<{ timezone: string }>(sql`select timezone from workspaces where workspace_id = ${ws}`);
  const today = DateTime.fromJSDate(now, { zone: w.timezone }).toISODate();
  const rows = await tx.query<{ id: number; problem: 'missing' | 'stale' }>(sql`
    with c as (
      select c.id, c.churned_at is not null or ${renewedNow} as closed,
             c.end_date <= ${today}::date as ended,
             exists (select 1 from tasks t where t.workspace_id = c.workspace_id and t.contract_id = c.id) as has_task,
             exists (select 1 from tasks t where t.workspace_id = c.workspace_id and t.contract_id = c.id and t.status = 'open') as has_open
        from contracts c where c.workspace_id = ${ws})
    select id, case when not closed and not ended and not has_task then 'missing' else 'stale' end as problem
      from c where (not closed and not ended and not has_task) or (closed and has_open)
     order by id`);
  return {
    missing: rows.filter((r) => r.problem === 'missing').map((r) => Number(r.id)),
    stale: rows.filter((r) => r.problem === 'stale').map((r) => Number(r.id)),
  };
}
