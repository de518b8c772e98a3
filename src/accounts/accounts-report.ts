import { DateTime } from 'luxon';
import sql, { empty, join, raw, type Sql } from 'sql-template-tag';
import { z } from 'zod';
import { type FunnelQuery, funnelParamsSchema, monthsOf } from '../analytics/funnel-query.ts';
import { funnelCounts } from '../analytics/funnel-report.ts';
import { reportMetaSchema } from '../analytics/funnel-schema.ts';
import { ratio } from '../analytics/stats.ts';
import type { Queryable } from '../platform/db/types.ts';
import { toMajor } from '../platform/money.ts';
import { CASE_KINDS, type CaseKind, RECORDER_ROLES, type RecorderRole } from './cases.ts';
import { renewingSql } from './renewal-rule.ts';

/**
 * The `accounts` report of kpi.md ("Key accounts and service"): renewals, logo and revenue churn,
 * NRR, expansion and contraction, new accounts, cross-sell and LTV from the contracts' dates; the
 * service cases opened in the period per kind, per 100 won deals (the funnel's `deals_won` for the
 * same request) and per recorder role, and how long they took to close. `by=owner` groups accounts
 * by the owner of their latest-starting visible contract, `by=month` gives each month of the period.
 */

export const ACCOUNT_BREAKDOWNS = ['owner', 'month'] as const;
export type AccountBreakdown = (typeof ACCOUNT_BREAKDOWNS)[number];

export const accountsParamsSchema = funnelParamsSchema
  .pick({ from: true, to: true, as_of: true, pipeline: true, lang: true })
  .extend({ by: z.enum(ACCOUNT_BREAKDOWNS).optional().describe('Group by the accounts’ owner or by month') });
export type AccountsParams = z.infer<typeof accountsParamsSchema>;

const int = z.number().int();
const rate = z.number().nullable();
const money = z.number().describe('Major units of the workspace currency');
const perKind = <T extends z.ZodTypeAny>(t: T) => z.object(Object.fromEntries(CASE_KINDS.map((k) => [k, t])) as Record<CaseKind, T>);

/** One group's (or the total's) figures, keys exactly as kpi.md names them (plus `end_mrr`, `deals_won`). */
export const accountKpisSchema = z.object({
  contracts_ending: int.nullable().describe('Contracts whose end is in the period'),
  contracts_renewed: int
    .nullable()
    .describe('Of those, renewed: another contract of the company and product group starts after its start and within 31 days of its end'),
  renewal_rate: rate,
  accounts_start: int.nullable().describe('Accounts active at the period’s start'),
  accounts_end: int.nullable().describe('Accounts active at min(to, as-of)'),
  logo_churn_rate: rate,
  start_mrr: money.nullable(),
  churned_mrr: money.nullable(),
  contraction_mrr: money.nullable(),
  expansion_mrr: money.nullable(),
  revenue_churn_rate: rate,
  nrr: rate.describe('(start + expansion − contraction − churned) / start'),
  new_accounts: int.nullable(),
  new_mrr: money.nullable(),
  cross_sell_rate: rate,
  ltv: money.nullable().describe('(MRR at the end per account) × gross margin / monthly revenue churn'),
  end_mrr: money.nullable().describe('Σ MRR at min(to, as-of) over every account (the MRR bridge’s end)'),
  deals_won: int.describe('The funnel’s deals_won for the same request (the denominator of cases_per_100_won)'),
  cases_opened: perKind(int),
  cases_per_100_won: perKind(z.number().nullable()),
  cases_by_recorder: z.object(
    Object.fromEntries(RECORDER_ROLES.map((r) => [r, perKind(int)])) as Record<RecorderRole, ReturnType<typeof perKind<typeof int>>>,
  ),
  case_resolution_days: z.object({ n: int, median: z.number().nullable(), p90: z.number().nullable() }),
});
export type AccountKpis = z.infer<typeof accountKpisSchema>;

const meta = {
  report: z.literal('accounts'),
  ...reportMetaSchema.omit({ report: true, filters: true, by: true }).shape,
  by: z.enum(ACCOUNT_BREAKDOWNS).nullable(),
  gross_margin: z.number(),
  scope: z.enum(['all', 'own']).describe('own: a key-account manager’s (team’s) accounts only'),
};
export const accountGroupSchema = accountKpisSchema.extend({
  key: z.string().nullable().describe('The owner’s name or the month (YYYY-MM); null: no owner / cases of companies without contracts'),
  key_id: z.number().int().nullable().optional(),
});
export const accountsReportSchema = z.union([
  z.object({ ...meta, ...accountKpisSchema.shape }),
  z.object({ ...meta, groups: z.array(accountGroupSchema), total: accountKpisSchema }),
]);
export type AccountsReport = z.infer<typeof accountsReportSchema>;

/** What a report of accounts is computed from: the funnel's query (period, as-of, pipeline, zone) and the accounts' scope. */
export interface AccountsQuery {
  q: FunnelQuery;
  by: AccountBreakdown | null;
  /** Only accounts of these owners (a key-account manager's own); absent: all. */
  owners?: number[];
}

interface Period {
  from: Date;
  to: Date;
}

/**
 * The report's instants as dates of the workspace zone, so that the contracts' dates are compared as
 * they are stored (no conversion per row, the indexes apply). A contract's start and end are 00:00
 * of their date; for an instant t with local date D(t): start ≤ t ⇔ start_date ≤ D(t); t < end ⇔
 * D(t) < end_date; start < as-of ⇔ start_date ≤ D(as-of − 1 ms); end in [from, to) ⇔
 * D(from − 1 ms) < end_date ≤ D(to − 1 ms).
 */
export function dateBounds(tz: string, p: Period, asOf: Date) {
  const d = (t: Date | number) => DateTime.fromMillis(typeof t === 'number' ? t : t.getTime(), { zone: tz }).toISODate() as string;
  const t1 = Math.min(p.to.getTime(), asOf.getTime());
  return {
    d0: d(p.from),
    d1: d(t1),
    visible: d(asOf.getTime() - 1),
    endAfter: d(p.from.getTime() - 1),
    endUntil: d(p.to.getTime() - 1),
  };
}

/** A contract (alias `c`) that ends in the period. */
export function endsInPeriod(b: ReturnType<typeof dateBounds>): Sql {
  return sql`c.end_date > ${b.endAfter}::date and c.end_date <= ${b.endUntil}::date`;
}

/**
 * The visible contracts that matter to a period (`c`: active at t0 or t1, or ending in between) and,
 * per company, its account at t0 and t1 (`acct`), with the owner of its latest-starting visible
 * contract when the caller groups or scopes by it.
 */
export function accountCtes(ws: number, tz: string, p: Period, asOf: Date, withOwner: boolean): Sql {
  const b = dateBounds(tz, p, asOf);
  const at0 = sql`c.start_date <= ${b.d0}::date and c.end_date > ${b.d0}::date`;
  const at1 = sql`c.start_date <= ${b.d1}::date and c.end_date > ${b.d1}::date`;
  return sql`
    c as (
      select c.id, c.company_id, c.product_group_id, c.mrr_minor, c.start_date, c.end_date
        from contracts c
       where c.workspace_id = ${ws} and c.start_date <= ${b.visible}::date
         and c.start_date <= ${b.d1}::date and c.end_date >= ${b.d0}::date),
    ${withOwner ? ownerCte(ws, tz, asOf, true, 'own') : sql`own as (select null::int8 as company_id, null::int8 as owner_id where false)`},
    figures as (
      select c.company_id,
             bool_or(${at0}) as active0,
             bool_or(${at1}) as active1,
             coalesce(sum(c.mrr_minor) filter (where ${at0}), 0)::int8 as mrr0,
             coalesce(sum(c.mrr_minor) filter (where ${at1}), 0)::int8 as mrr1,
             count(distinct c.product_group_id) filter (where ${at1})::int8 as groups1
        from c group by c.company_id),
    acct as (select f.*, o.owner_id from figures f left join own o on o.company_id = f.company_id)`;
}

/**
 * Whether the contract (alias `c`) was renewed (kpi.md): another visible contract of its company and
 * product group starts after its start and no later than 31 days after its end — an index range
 * scan (contracts_company_idx), not a scan of the visible set per contract.
 */
export function renewedSql(ws: number, tz: string, asOf: Date): Sql {
  const visible = DateTime.fromMillis(asOf.getTime() - 1, { zone: tz }).toISODate();
  return sql`exists (select 1 ${renewingSql({ ws, startedBy: sql`${visible}::date` })})`;
}

/**
 * Each company's account owner (company_id, owner_id — the owner of its latest-starting visible
 * contract, ties: the greater id): one aggregate over the visible contracts, read in the order of
 * contracts_latest_idx. The case statements group or
 * scope by it; without a breakdown or a scope they need no account at all (an empty set).
 */
export function ownerCte(ws: number, tz: string, asOf: Date, needed: boolean, name = 'acct'): Sql {
  const visible = DateTime.fromMillis(asOf.getTime() - 1, { zone: tz }).toISODate();
  return needed
    ? sql`${raw(name)} as (
        select company_id, nullif((max(array[start_date - date '2000-01-01', id, coalesce(owner_id, 0)]))[3], 0) as owner_id
          from contracts where workspace_id = ${ws} and start_date <= ${visible}::date
         group by company_id)`
    : sql`${raw(name)} as (select null::int8 as company_id, null::int8 as owner_id where false)`;
}

interface AccountRow {
  key: number | null;
  total: boolean;
  accounts_start: number;
  accounts_end: number;
  churned_accounts: number;
  start_mrr: number;
  churned_mrr: number;
  contraction_mrr: number;
  expansion_mrr: number;
  new_accounts: number;
  new_mrr: number;
  end_mrr: number;
  cross_sell: number;
  contracts_ending: number;
  contracts_renewed: number;
}

interface CaseRow {
  key: number | null;
  total: boolean;
  kind: CaseKind;
  recorder_role: RecorderRole;
  n: number;
}

interface ResolutionRow {
  key: number | null;
  total: boolean;
  n: number;
  median: number | null;
  p90: number | null;
}

const ownerIn = (owners: number[] | undefined, col: Sql) => (owners ? sql`and ${col} = any(${owners}::int8[])` : empty);

/** The cases (alias `k`) a scoped caller counts: of their accounts, or of companies without one that they recorded or own. */
const caseScope = (owners: number[] | undefined) =>
  owners
    ? sql`and (a.owner_id = any(${owners}::int8[]) or (a.company_id is null and (k.recorded_by = any(${owners}::int8[]) or k.owner_id = any(${owners}::int8[]))))`
    : empty;

/** The cases opened in the period and before as-of (alias `k`, with its company's account `a`). */
export function periodCasesSql(
  ws: number,
  p: Period,
  asOf: Date,
  owners: number[] | undefined,
  extra: Sql = empty,
  ownersCte = 'acct',
): Sql {
  return sql`service_cases k left join ${raw(ownersCte)} a on a.company_id = k.company_id
     where k.workspace_id = ${ws} and k.opened_at >= ${p.from} and k.opened_at < ${p.to} and k.opened_at < ${asOf}
       ${caseScope(owners)} ${extra}`;
}

async function figuresOf(tx: Queryable, aq: AccountsQuery, tz: string, p: Period, grouped: boolean) {
  const ws = aq.q.workspaceId;
  const asOf = aq.q.asOf;
  const byOwner = grouped || aq.owners !== undefined;
  const ctes = accountCtes(ws, tz, p, asOf, byOwner);
  const sets = grouped ? raw('grouping sets ((a.owner_id), ())') : raw('()');
  const ksets = grouped
    ? raw('grouping sets ((a.owner_id, k.kind, k.recorder_role), (k.kind, k.recorder_role))')
    : raw('k.kind, k.recorder_role');
  const rsets = grouped ? raw('grouping sets ((a.owner_id), ())') : raw('()');
  const isTotal = grouped ? raw('grouping(a.owner_id) = 1') : raw('true');
  // One statement: the account owners are read once, for the accounts and the cases alike.
  const [r] = await tx.query<{ accounts: AccountRow[]; cases: CaseRow[]; resolution: ResolutionRow[] }>(sql`
    with ${ctes},
    ending as (
      select c.company_id, count(*)::int8 as ending, count(*) filter (where ${renewedSql(ws, tz, asOf)})::int8 as renewed
        from c where ${endsInPeriod(dateBounds(tz, p, asOf))} group by c.company_id),
    arows as (
      select ${grouped ? sql`a.owner_id` : sql`null::int8`} as key, ${isTotal} as total,
             count(*) filter (where a.active0)::int8 as accounts_start,
             count(*) filter (where a.active1)::int8 as accounts_end,
             count(*) filter (where a.active0 and not a.active1)::int8 as churned_accounts,
             coalesce(sum(a.mrr0) filter (where a.active0), 0)::int8 as start_mrr,
             coalesce(sum(a.mrr0) filter (where a.active0 and not a.active1), 0)::int8 as churned_mrr,
             coalesce(sum(greatest(0, a.mrr0 - a.mrr1)) filter (where a.active0 and a.active1), 0)::int8 as contraction_mrr,
             coalesce(sum(greatest(0, a.mrr1 - a.mrr0)) filter (where a.active0 and a.active1), 0)::int8 as expansion_mrr,
             count(*) filter (where a.active1 and not a.active0)::int8 as new_accounts,
             coalesce(sum(a.mrr1) filter (where a.active1 and not a.active0), 0)::int8 as new_mrr,
             coalesce(sum(a.mrr1) filter (where a.active1), 0)::int8 as end_mrr,
             count(*) filter (where a.active1 and a.groups1 >= 2)::int8 as cross_sell,
             coalesce(sum(e.ending), 0)::int8 as contracts_ending,
             coalesce(sum(e.renewed), 0)::int8 as contracts_renewed
        from acct a left join ending e on e.company_id = a.company_id
       where true ${ownerIn(aq.owners, sql`a.owner_id`)}
       group by ${sets}),
    crows as (
      select ${grouped ? sql`a.owner_id` : sql`null::int8`} as key, ${isTotal} as total, k.kind, k.recorder_role, count(*)::int8 as n
        from ${periodCasesSql(ws, p, asOf, aq.owners, empty, 'own')}
       group by ${ksets}),
    rrows as (
      select ${grouped ? sql`a.owner_id` : sql`null::int8`} as key, ${isTotal} as total, count(*)::int8 as n,
             percentile_cont(0.5) within group (order by extract(epoch from k.closed_at - k.opened_at) / 86400) as median,
             percentile_cont(0.9) within group (order by extract(epoch from k.closed_at - k.opened_at) / 86400) as p90
        from ${periodCasesSql(ws, p, asOf, aq.owners, sql`and k.closed_at is not null and k.closed_at < ${asOf}`, 'own')}
       group by ${rsets})
    select (select coalesce(json_agg(arows), '[]') from arows) as accounts,
           (select coalesce(json_agg(crows), '[]') from crows) as cases,
           (select coalesce(json_agg(rrows), '[]') from rrows) as resolution`);
  const { accounts, cases, resolution } = r;
  return { accounts, cases, resolution };
}

const zeroKinds = () => Object.fromEntries(CASE_KINDS.map((k) => [k, 0])) as Record<CaseKind, number>;

function assemble(
  p: Period,
  asOf: Date,
  currency: string,
  grossMargin: number,
  a: AccountRow | undefined,
  cases: CaseRow[],
  res: ResolutionRow | undefined,
  dealsWon: number,
): AccountKpis {
  const m = (minor: number) => toMajor(Number(minor), currency);
  const opened = zeroKinds();
  const byRole = { service: zeroKinds(), sales: zeroKinds() };
  for (const c of cases) {
    opened[c.kind] += Number(c.n);
    byRole[c.recorder_role][c.kind] += Number(c.n);
  }
  const caseKeys = {
    deals_won: dealsWon,
    cases_opened: opened,
    cases_per_100_won: Object.fromEntries(CASE_KINDS.map((k) => [k, dealsWon === 0 ? null : (100 * opened[k]) / dealsWon])) as Record<
      CaseKind,
      number | null
    >,
    cases_by_recorder: byRole,
    case_resolution_days: {
      n: res ? Number(res.n) : 0,
      median: res?.median ?? null,
      p90: res?.p90 ?? null,
    },
  };
  if (asOf.getTime() <= p.from.getTime()) {
    return {
      contracts_ending: null,
      contracts_renewed: null,
      renewal_rate: null,
      accounts_start: null,
      accounts_end: null,
      logo_churn_rate: null,
      start_mrr: null,
      churned_mrr: null,
      contraction_mrr: null,
      expansion_mrr: null,
      revenue_churn_rate: null,
      nrr: null,
      new_accounts: null,
      new_mrr: null,
      cross_sell_rate: null,
      ltv: null,
      end_mrr: null,
      ...caseKeys,
    };
  }
  const n = (k: keyof AccountRow) => (a ? Number(a[k]) : 0);
  const startMrr = n('start_mrr');
  const revenueChurn = ratio(n('churned_mrr') + n('contraction_mrr'), startMrr);
  const t1 = Math.min(p.to.getTime(), asOf.getTime());
  const periodDays = (t1 - p.from.getTime()) / 86_400_000;
  const monthlyChurn = revenueChurn === null || periodDays === 0 ? null : (revenueChurn * 30.436875) / periodDays;
  const perAccount = ratio(n('end_mrr'), n('accounts_end'));
  return {
    contracts_ending: n('contracts_ending'),
    contracts_renewed: n('contracts_renewed'),
    renewal_rate: ratio(n('contracts_renewed'), n('contracts_ending')),
    accounts_start: n('accounts_start'),
    accounts_end: n('accounts_end'),
    logo_churn_rate: ratio(n('churned_accounts'), n('accounts_start')),
    start_mrr: m(startMrr),
    churned_mrr: m(n('churned_mrr')),
    contraction_mrr: m(n('contraction_mrr')),
    expansion_mrr: m(n('expansion_mrr')),
    revenue_churn_rate: revenueChurn,
    nrr: ratio(startMrr + n('expansion_mrr') - n('contraction_mrr') - n('churned_mrr'), startMrr),
    new_accounts: n('new_accounts'),
    new_mrr: m(n('new_mrr')),
    cross_sell_rate: ratio(n('cross_sell'), n('accounts_end')),
    ltv:
      monthlyChurn === null || monthlyChurn === 0 || perAccount === null
        ? null
        : (toMajor(perAccount, currency) * grossMargin) / monthlyChurn,
    end_mrr: m(n('end_mrr')),
    ...caseKeys,
  };
}

async function workspaceOf(tx: Queryable, ws: number) {
  const [w] = await tx.query<{ timezone: string; gross_margin: number }>(
    sql`select timezone, gross_margin from workspaces where workspace_id = ${ws}`,
  );
  return { tz: w.timezone, grossMargin: Number(w.gross_margin) };
}

async function dealsWonOf(tx: Queryable, aq: AccountsQuery): Promise<{ total: number; groups: Map<string | null, number> }> {
  const r = await funnelCounts(tx, { ...aq.q, by: aq.by, ownerScope: aq.owners }, ['deals_won']);
  return { total: r.total.deals_won, groups: new Map([...r.groups].map(([k, v]) => [k, v.deals_won])) };
}

export async function accountsReport(tx: Queryable, aq: AccountsQuery): Promise<AccountsReport> {
  const { q } = aq;
  const { tz, grossMargin } = await workspaceOf(tx, q.workspaceId);
  const won = await dealsWonOf(tx, aq);
  const whole = { from: q.from, to: q.to };
  const head = {
    report: 'accounts' as const,
    workspace: q.workspace,
    pipeline: q.pipeline,
    period: { from: q.from.toISOString(), to: q.to.toISOString() },
    as_of: q.asOf.toISOString(),
    as_of_capped: q.asOf.getTime() !== q.asOfRequested.getTime(),
    time_zone: q.timeZone,
    currency: q.currency,
    by: aq.by,
    gross_margin: grossMargin,
    scope: aq.owners ? ('own' as const) : ('all' as const),
  };
  const f = await figuresOf(tx, aq, tz, whole, aq.by === 'owner');
  const totalOf = (rows: { total: boolean }[]) => rows.filter((r) => r.total);
  const total = assemble(
    whole,
    q.asOf,
    q.currency,
    grossMargin,
    totalOf(f.accounts)[0] as AccountRow | undefined,
    totalOf(f.cases) as CaseRow[],
    totalOf(f.resolution)[0] as ResolutionRow | undefined,
    won.total,
  );
  if (!aq.by) return { ...head, ...total };
  const groups: z.infer<typeof accountGroupSchema>[] = [];
  if (aq.by === 'month') {
    for (const mo of monthsOf(q)) {
      const g = await figuresOf(tx, aq, tz, mo, false);
      groups.push({
        key: mo.key,
        ...assemble(mo, q.asOf, q.currency, grossMargin, g.accounts[0], g.cases, g.resolution[0], won.groups.get(mo.key) ?? 0),
      });
    }
  } else {
    const keys = new Set<number | null>();
    for (const r of [...f.accounts, ...f.cases, ...f.resolution]) if (!r.total) keys.add(r.key === null ? null : Number(r.key));
    const names = new Map(
      (await tx.query<{ id: number; name: string }>(sql`select id, name from users where workspace_id = ${q.workspaceId}`)).map((u) => [
        Number(u.id),
        u.name,
      ]),
    );
    const of = <T extends { key: number | null; total: boolean }>(rows: T[], k: number | null) =>
      rows.filter((r) => !r.total && (r.key === null ? null : Number(r.key)) === k);
    const sorted = [...keys].sort((a, b) =>
      a === null ? 1 : b === null ? -1 : (names.get(a) ?? '').localeCompare(names.get(b) ?? '', 'ru'),
    );
    for (const k of sorted)
      groups.push({
        key: k === null ? null : (names.get(k) ?? String(k)),
        key_id: k,
        ...assemble(
          whole,
          q.asOf,
          q.currency,
          grossMargin,
          of(f.accounts, k)[0],
          of(f.cases, k),
          of(f.resolution, k)[0],
          won.groups.get(k === null ? null : String(k)) ?? 0,
        ),
      });
  }
  return { ...head, groups, total };
}

// ——— Drill-downs: the contracts, accounts and cases behind a figure ———

export const CONTRACT_METRICS = ['contracts_ending', 'contracts_renewed', 'contracts_not_renewed'] as const;
export const ACCOUNT_METRICS = ['accounts_start', 'accounts_end', 'churned', 'contracted', 'expanded', 'new', 'cross_sell'] as const;

const accountWhere: Record<(typeof ACCOUNT_METRICS)[number], Sql> = {
  accounts_start: sql`a.active0`,
  accounts_end: sql`a.active1`,
  churned: sql`a.active0 and not a.active1`,
  contracted: sql`a.active0 and a.active1 and a.mrr1 < a.mrr0`,
  expanded: sql`a.active0 and a.active1 and a.mrr1 > a.mrr0`,
  new: sql`a.active1 and not a.active0`,
  cross_sell: sql`a.active1 and a.groups1 >= 2`,
};

/** The group a drill-down narrows to: an owner (id, or null for none) or nothing. */
export type DrillGroup = { owner: number | null } | null;

const groupSql = (g: DrillGroup) =>
  g === null ? empty : g.owner === null ? sql`and a.owner_id is null` : sql`and a.owner_id = ${g.owner}`;

export const drillAccountItem = z.object({
  company_id: z.number().int(),
  company: z.string(),
  owner_id: z.number().int().nullable(),
  owner: z.string().nullable(),
  mrr_start: money,
  mrr_end: money,
  product_groups_end: int,
});

export async function drillAccounts(
  tx: Queryable,
  aq: AccountsQuery,
  metric: (typeof ACCOUNT_METRICS)[number],
  g: DrillGroup,
  page: { limit: number; offset: number },
) {
  const { q } = aq;
  const { tz } = await workspaceOf(tx, q.workspaceId);
  if (q.asOf.getTime() <= q.from.getTime()) return { total: 0, items: [] };
  const rows = await tx.query<{
    company_id: number;
    company: string;
    owner_id: number | null;
    owner: string | null;
    mrr0: number;
    mrr1: number;
    groups1: number;
    total: number;
  }>(sql`
    with ${accountCtes(q.workspaceId, tz, q, q.asOf, true)}
    select a.company_id, co.name as company, a.owner_id, u.name as owner, a.mrr0, a.mrr1, a.groups1, count(*) over () as total
      from acct a
      join companies co on co.workspace_id = ${q.workspaceId} and co.id = a.company_id
      left join users u on u.workspace_id = ${q.workspaceId} and u.id = a.owner_id
     where ${accountWhere[metric]} ${ownerIn(aq.owners, sql`a.owner_id`)} ${groupSql(g)}
     order by greatest(a.mrr0, a.mrr1) desc, co.name, a.company_id
     limit ${page.limit} offset ${page.offset}`);
  return {
    total: rows.length ? Number(rows[0].total) : 0,
    items: rows.map((r) => ({
      company_id: Number(r.company_id),
      company: r.company,
      owner_id: r.owner_id === null ? null : Number(r.owner_id),
      owner: r.owner,
      mrr_start: toMajor(Number(r.mrr0), q.currency),
      mrr_end: toMajor(Number(r.mrr1), q.currency),
      product_groups_end: Number(r.groups1),
    })),
  };
}

/** The ids of the contracts behind a contracts figure (the caller lists them with contractSelect). */
export async function drillContractIds(
  tx: Queryable,
  aq: AccountsQuery,
  metric: (typeof CONTRACT_METRICS)[number],
  g: DrillGroup,
): Promise<number[]> {
  const { q } = aq;
  const { tz } = await workspaceOf(tx, q.workspaceId);
  if (q.asOf.getTime() <= q.from.getTime()) return [];
  const renewed = renewedSql(q.workspaceId, tz, q.asOf);
  const cond = metric === 'contracts_renewed' ? renewed : metric === 'contracts_not_renewed' ? sql`not ${renewed}` : sql`true`;
  const rows = await tx.query<{ id: number }>(sql`
    with ${accountCtes(q.workspaceId, tz, q, q.asOf, true)}
    select c.id from c join acct a on a.company_id = c.company_id
     where ${endsInPeriod(dateBounds(tz, q, q.asOf))} and ${cond} ${ownerIn(aq.owners, sql`a.owner_id`)} ${groupSql(g)}
     order by c.end_date, c.id`);
  return rows.map((r) => Number(r.id));
}

export interface CaseFilter {
  kind?: CaseKind;
  recorder_role?: RecorderRole;
  /** Only those closed before as-of (the resolution figure). */
  closed?: boolean;
}

/** The ids of the cases behind a case figure, newest first. */
export async function drillCaseIds(tx: Queryable, aq: AccountsQuery, f: CaseFilter, g: DrillGroup): Promise<number[]> {
  const { q } = aq;
  const { tz } = await workspaceOf(tx, q.workspaceId);
  const extra = join(
    [
      f.kind ? sql`and k.kind = ${f.kind}` : empty,
      f.recorder_role ? sql`and k.recorder_role = ${f.recorder_role}` : empty,
      f.closed ? sql`and k.closed_at is not null and k.closed_at < ${q.asOf}` : empty,
      groupSql(g),
    ],
    ' ',
  );
  const rows = await tx.query<{ id: number }>(sql`
    with ${ownerCte(q.workspaceId, tz, q.asOf, true)}
    select k.id from ${periodCasesSql(q.workspaceId, q, q.asOf, aq.owners, extra)} order by k.opened_at desc, k.id desc`);
  return rows.map((r) => Number(r.id));
}
