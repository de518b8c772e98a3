import { DateTime } from 'luxon';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { assertVisible, scopeFor } from '../platform/auth/access.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { Queryable } from '../platform/db/types.ts';
import { AppError, notFound } from '../platform/errors.ts';
import { WHAT } from '../platform/resource/fields.ts';
import { caseItemOut, caseItemSchema, caseItemSql } from './cases.ts';
import { type ContractRow, contractOut, contractSchema, contractSelect, workspaceToday } from './contracts.ts';

/**
 * The account view of a company: its MRR now and month by month, its contracts by product group,
 * the renewals with what they changed (expansion, contraction), its service cases and the deals
 * that brought it. Whoever sees the company sees its account; a role without access to accounts
 * (the marketer) sees its cases and deals only.
 */

export const companyAccountSchema = z.object({
  company_id: z.number().int(),
  company: z.string(),
  today: z.string(),
  currency: z.string(),
  contracts_visible: z.boolean().describe('false: the caller’s role sees no contracts (their figures are then empty)'),
  mrr_now_minor: z.number().int(),
  mrr_by_month: z
    .array(z.object({ month: z.string(), mrr_minor: z.number().int() }))
    .describe('MRR at the start of each month, 24 back to 6 ahead'),
  product_groups: z.array(
    z.object({ id: z.number().int(), name: z.string(), mrr_now_minor: z.number().int(), contracts: z.number().int() }),
  ),
  contracts: z.array(contractSchema),
  changes: z.array(
    z.object({
      contract_id: z.number().int(),
      renews_id: z.number().int(),
      start_date: z.string(),
      product_group: z.string(),
      from_minor: z.number().int(),
      to_minor: z.number().int(),
      kind: z.enum(['expansion', 'contraction', 'unchanged']),
    }),
  ),
  cases: z.array(caseItemSchema),
  open_cases: z.number().int(),
  deals: z.array(
    z.object({ id: z.number().int(), title: z.string(), status: z.string(), amount_minor: z.number().int(), contracts: z.number().int() }),
  ),
});
export type CompanyAccount = z.infer<typeof companyAccountSchema>;

export async function companyAccount(
  tx: Queryable,
  p: Principal,
  companyId: number,
  now: Date,
  locale: 'ru' | 'en',
): Promise<CompanyAccount> {
  const ws = p.workspaceId;
  await assertVisible(tx, ws, 'companies', companyId, await scopeFor(tx, p, 'companies', 'read'), WHAT.company);
  const [co] = await tx.query<{ name: string; currency: string }>(
    sql`select c.name, w.currency from companies c join workspaces w on w.workspace_id = c.workspace_id where c.workspace_id = ${ws} and c.id = ${companyId}`,
  );
  if (!co) throw notFound(WHAT.company, companyId);
  const { today, zone } = await workspaceToday(tx, ws, now);
  let visible = true;
  try {
    await scopeFor(tx, p, 'accounts', 'read');
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    visible = false;
  }
  const contracts = visible
    ? (
        await tx.query<ContractRow>(
          sql`${contractSelect(today)} where c.workspace_id = ${ws} and c.company_id = ${companyId} order by c.start_date desc, c.id desc`,
        )
      ).map((r) => contractOut(r, locale))
    : [];
  const activeOn = (day: string) => contracts.filter((c) => c.start_date <= day && day < c.end_date);
  const mrrOn = (day: string) => activeOn(day).reduce((s, c) => s + c.mrr_minor, 0);
  const first = DateTime.fromISO(today, { zone }).startOf('month').minus({ months: 24 });
  const mrrByMonth = Array.from({ length: 31 }, (_, i) => {
    const d = first.plus({ months: i });
    return { month: d.toFormat('yyyy-MM'), mrr_minor: mrrOn(d.toISODate() ?? '') };
  });
  const groups = new Map<number, { id: number; name: string; mrr_now_minor: number; contracts: number }>();
  for (const c of contracts) {
    const g = groups.get(c.product_group_id) ?? { id: c.product_group_id, name: c.product_group, mrr_now_minor: 0, contracts: 0 };
    g.contracts++;
    if (c.start_date <= today && today < c.end_date) g.mrr_now_minor += c.mrr_minor;
    groups.set(c.product_group_id, g);
  }
  const byId = new Map(contracts.map((c) => [c.id, c]));
  const changes = contracts
    .filter((c) => c.renews_id !== null && byId.has(c.renews_id))
    .map((c) => {
      const prev = byId.get(c.renews_id as number) as (typeof contracts)[number];
      return {
        contract_id: c.id,
        renews_id: prev.id,
        start_date: c.start_date,
        product_group: c.product_group,
        from_minor: prev.mrr_minor,
        to_minor: c.mrr_minor,
        kind:
          c.mrr_minor > prev.mrr_minor
            ? ('expansion' as const)
            : c.mrr_minor < prev.mrr_minor
              ? ('contraction' as const)
              : ('unchanged' as const),
      };
    });
  const cases = await tx.query<Parameters<typeof caseItemOut>[0]>(
    sql`${caseItemSql} where k.workspace_id = ${ws} and k.company_id = ${companyId} order by k.opened_at desc, k.id desc limit 200`,
  );
  const deals = await tx.query<{ id: number; title: string; status: string; amount_minor: number; contracts: number }>(sql`
    select d.id, d.title, d.status, d.amount_minor,
           (select count(*) from contracts c where c.workspace_id = d.workspace_id and c.deal_id = d.id)::int8 as contracts
      from deals d where d.workspace_id = ${ws} and d.company_id = ${companyId}
     order by (d.status = 'won') desc, d.created_at desc limit 100`);
  return {
    company_id: companyId,
    company: co.name,
    today,
    currency: co.currency,
    contracts_visible: visible,
    mrr_now_minor: mrrOn(today),
    mrr_by_month: mrrByMonth,
    product_groups: [...groups.values()].sort((a, b) => b.mrr_now_minor - a.mrr_now_minor || a.name.localeCompare(b.name)),
    contracts,
    changes,
    cases: cases.map(caseItemOut),
    open_cases: cases.filter((c) => c.status === 'open' || c.status === 'in_progress').length,
    deals: deals.map((d) => ({ ...d, id: Number(d.id), amount_minor: Number(d.amount_minor), contracts: Number(d.contracts) })),
  };
}
