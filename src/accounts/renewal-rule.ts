import sql, { empty, type Sql } from 'sql-template-tag';

/**
 * kpi.md's renewal rule, once: the contracts `n` that renew contract `c` — another of its company
 * and product group that starts after its start and no later than 31 days after its end (an index
 * range scan of contracts_company_idx). `ws`: the workspace as a bound value (else `c`'s);
 * `startedBy`: only contracts started by then (a report as of a date sees no later ones).
 */
export function renewingSql(opts: { ws?: number; startedBy?: Sql } = {}): Sql {
  const ws = opts.ws === undefined ? sql`c.workspace_id` : sql`${opts.ws}`;
  return sql`from contracts n
   where n.workspace_id = ${ws} and n.company_id = c.company_id and n.product_group_id = c.product_group_id
     and n.id <> c.id and n.start_date > c.start_date and n.start_date <= c.end_date + 31
     ${opts.startedBy ? sql`and n.start_date <= ${opts.startedBy}` : empty}`;
}

/** The contract that renews contract `c` (the earliest to start), or null. */
export const successorSql = () => sql`(select n.id ${renewingSql()} order by n.start_date, n.id limit 1)`;

/** Contract `c` is renewed now: by the rule on the dates, or by a renewal entered from it (`renews_id`). */
export const renewedNowSql = () =>
  sql`(exists (select 1 ${renewingSql()}) or exists (select 1 from contracts n where n.workspace_id = c.workspace_id and n.renews_id = c.id))`;
