import { DateTime } from 'luxon';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsReport } from '../../src/accounts/accounts-report.ts';
import { CASE_KINDS, type CaseKind, RECORDER_ROLES, type RecorderRole } from '../../src/accounts/cases.ts';
import { resolveFunnelQuery } from '../../src/analytics/funnel-query.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { inWorkspace, scopeTo } from '../../src/platform/db/workspace-scope.ts';
import { Rand } from '../../src/platform/random.ts';
import { addUser, createWorkspace } from '../../src/platform/workspaces.ts';
import { createPipeline } from '../../src/process/pipelines.ts';
import { STANDARD_STAGES } from '../support/harness.ts';
import { openTestDb } from '../support/test-db.ts';

/**
 * The accounts report (kpi.md "Key accounts and service") against an in-memory implementation
 * computed from the generated rows only: random contracts (renewals at +0, +31 and +32 days, gaps,
 * overlaps of one company and product group, zero MRR, starts and ends on the period's bounds and
 * after as-of), random cases (on the bounds, closed before and after as-of, companies without
 * contracts); periods on day and month boundaries, as-of inside, after and before the period; with
 * and without `by=owner` and `by=month`. Reproduce a run with VORONKA_ACCOUNTS_SEED=<seed>;
 * VORONKA_ACCOUNTS_RUNS=<n> runs n seeds from there.
 */

const ZONE = 'Europe/Moscow';
const NOW = new Date('2026-12-01T00:00:00Z');
const BASE_SEED = Number(process.env.VORONKA_ACCOUNTS_SEED ?? 19_2025);
const RUNS = Number(process.env.VORONKA_ACCOUNTS_RUNS ?? (process.env.VORONKA_ACCOUNTS_SEED ? 1 : 10));
const SEEDS = Array.from({ length: RUNS }, (_, i) => BASE_SEED + i);
const GROUPS = ['Лицензии', 'Внедрение', 'Поддержка'];

interface GenContract {
  id: number;
  company: number;
  group: number;
  start: string;
  end: string;
  mrr: number;
  owner: number | null;
}
interface GenCase {
  company: number;
  kind: CaseKind;
  role: RecorderRole;
  opened: Date;
  closed: Date | null;
  recordedBy: number;
}

const day = (s: string) => DateTime.fromISO(s, { zone: ZONE });
const instant = (s: string) => day(s).toJSDate();
const plusDays = (s: string, n: number) => day(s).plus({ days: n }).toISODate() as string;

/** Random rows around the period 2025-01-01 … 2025-07-01 (the generator's bounds are also the test's periods). */
function generate(seed: number, users: number[]) {
  const r = new Rand(seed);
  const bounds = ['2024-12-31', '2025-01-01', '2025-02-01', '2025-03-15', '2025-04-01', '2025-06-30', '2025-07-01', '2025-07-02'];
  const anyDay = () =>
    r.chance(0.4)
      ? r.pick(bounds)
      : (day('2024-01-01')
          .plus({ days: r.int(0, 900) })
          .toISODate() as string);
  const companies = r.int(3, 14);
  const contracts: GenContract[] = [];
  let id = 0;
  for (let c = 0; c < companies; c++) {
    if (r.chance(0.15)) continue; // a company without contracts (cases only)
    for (let chain = r.int(1, 2); chain > 0; chain--) {
      const group = r.int(0, GROUPS.length - 1);
      let start = anyDay();
      for (let n = r.int(1, 4); n > 0; n--) {
        const end = r.chance(0.3)
          ? (r.pick(bounds.filter((b) => b > start)) ?? plusDays(start, 30))
          : plusDays(start, r.pick([1, 28, 31, 90, 180, 365]));
        const mrr = r.chance(0.1) ? 0 : r.int(1, 500) * 1000 + r.int(0, 99);
        contracts.push({ id: ++id, company: c, group, start, end, mrr, owner: r.chance(0.1) ? null : r.pick(users) });
        start = plusDays(end, r.pick([-40, -1, 0, 0, 1, 30, 31, 32, 60]));
        if (start <= contracts[contracts.length - 1].start) start = plusDays(contracts[contracts.length - 1].start, 1);
      }
    }
  }
  const cases: GenCase[] = [];
  const instants = ['2025-01-01', '2025-07-01', '2025-04-01'].map(instant);
  for (let n = r.int(0, 40); n > 0; n--) {
    const opened = r.chance(0.2)
      ? r.pick(instants)
      : new Date(instant('2024-11-01').getTime() + r.int(0, 300 * 24) * 3_600_000 + r.int(0, 59) * 60_000);
    const closed = r.chance(0.4) ? null : new Date(opened.getTime() + r.int(0, 20 * 24) * 3_600_000);
    cases.push({
      company: r.int(0, companies - 1),
      kind: r.pick(CASE_KINDS),
      role: r.pick(RECORDER_ROLES),
      opened,
      closed,
      recordedBy: r.pick(users),
    });
  }
  return { companies, contracts, cases };
}

// ---------------------------------------------------------------------------------------------
// kpi.md, in memory

const percentile = (sorted: number[], q: number) => {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (pos - lo);
};
const rate = (a: number, b: number) => (b === 0 ? null : a / b);

function reference(
  g: ReturnType<typeof generate>,
  from: Date,
  to: Date,
  asOf: Date,
  grossMargin: number,
  keep: (owner: number | null) => boolean = () => true,
  caseKeep: (c: GenCase, owner: number | null | undefined) => boolean = () => true,
) {
  const s = (c: GenContract) => instant(c.start).getTime();
  const e = (c: GenContract) => instant(c.end).getTime();
  const visible = g.contracts.filter((c) => s(c) < asOf.getTime());
  const t0 = from.getTime();
  const t1 = Math.min(to.getTime(), asOf.getTime());
  const owner = new Map<number, number | null>();
  for (const c of [...visible].sort((a, b) => (a.start === b.start ? a.id - b.id : a.start < b.start ? -1 : 1)))
    owner.set(c.company, c.owner);
  const accounts = [...owner.keys()].filter((co) => keep(owner.get(co) ?? null));
  const activeAt = (co: number, t: number) => visible.filter((c) => c.company === co && s(c) <= t && t < e(c));
  const mrr = (co: number, t: number) => activeAt(co, t).reduce((x, c) => x + c.mrr, 0);
  const base = accounts.filter((co) => activeAt(co, t0).length > 0);
  const end = accounts.filter((co) => activeAt(co, t1).length > 0);
  const sum = (cos: number[], f: (co: number) => number) => cos.reduce((x, co) => x + f(co), 0);
  const churned = base.filter((co) => !end.includes(co));
  const kept = base.filter((co) => end.includes(co));
  const startMrr = sum(base, (co) => mrr(co, t0));
  const churnedMrr = sum(churned, (co) => mrr(co, t0));
  const contraction = sum(kept, (co) => Math.max(0, mrr(co, t0) - mrr(co, t1)));
  const expansion = sum(kept, (co) => Math.max(0, mrr(co, t1) - mrr(co, t0)));
  const fresh = end.filter((co) => !base.includes(co));
  const endMrr = sum(end, (co) => mrr(co, t1));
  const ending = visible.filter((c) => accounts.includes(c.company) && e(c) >= t0 && e(c) < to.getTime());
  const renewed = ending.filter((c) =>
    visible.some(
      (n) => n.id !== c.id && n.company === c.company && n.group === c.group && n.start > c.start && n.start <= plusDays(c.end, 31),
    ),
  );
  const cross = end.filter((co) => new Set(activeAt(co, t1).map((c) => c.group)).size >= 2);
  const revenueChurn = rate(churnedMrr + contraction, startMrr);
  const periodDays = (t1 - t0) / 86_400_000;
  const monthly = revenueChurn === null ? null : (revenueChurn * 30.436875) / periodDays;
  const perAccount = rate(endMrr, end.length);
  const cases = g.cases.filter(
    (c) => c.opened >= from && c.opened < to && c.opened < asOf && caseKeep(c, owner.has(c.company) ? owner.get(c.company) : undefined),
  );
  const opened = Object.fromEntries(CASE_KINDS.map((k) => [k, cases.filter((c) => c.kind === k).length]));
  const byRecorder = Object.fromEntries(
    RECORDER_ROLES.map((r) => [
      r,
      Object.fromEntries(CASE_KINDS.map((k) => [k, cases.filter((c) => c.kind === k && c.role === r).length])),
    ]),
  );
  const days = cases
    .filter((c) => c.closed !== null && c.closed < asOf)
    .map((c) => ((c.closed as Date).getTime() - c.opened.getTime()) / 86_400_000)
    .sort((a, b) => a - b);
  const caseKeys = {
    cases_opened: opened,
    cases_by_recorder: byRecorder,
    case_resolution_days: { n: days.length, median: percentile(days, 0.5), p90: percentile(days, 0.9) },
  };
  if (asOf.getTime() <= t0) return { accounts: null, ...caseKeys };
  const m = (v: number) => v / 100;
  return {
    accounts: {
      contracts_ending: ending.length,
      contracts_renewed: renewed.length,
      renewal_rate: rate(renewed.length, ending.length),
      accounts_start: base.length,
      accounts_end: end.length,
      logo_churn_rate: rate(churned.length, base.length),
      start_mrr: m(startMrr),
      churned_mrr: m(churnedMrr),
      contraction_mrr: m(contraction),
      expansion_mrr: m(expansion),
      revenue_churn_rate: revenueChurn,
      nrr: rate(startMrr + expansion - contraction - churnedMrr, startMrr),
      new_accounts: fresh.length,
      new_mrr: m(sum(fresh, (co) => mrr(co, t1))),
      cross_sell_rate: rate(cross.length, end.length),
      ltv: monthly === null || monthly === 0 || perAccount === null ? null : (m(perAccount) * grossMargin) / monthly,
      end_mrr: m(endMrr),
    },
    ...caseKeys,
  };
}

// ---------------------------------------------------------------------------------------------

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});

function same(actual: unknown, expected: unknown, path: string, seed: number) {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const ok = Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
    expect(ok, `seed ${seed}: ${path}: ${actual} vs ${expected}`).toBe(true);
  } else if (expected !== null && typeof expected === 'object') {
    for (const [k, v] of Object.entries(expected)) same((actual as Record<string, unknown>)?.[k], v, `${path}.${k}`, seed);
  } else {
    expect(actual, `seed ${seed}: ${path}`).toEqual(expected);
  }
}

describe('the accounts report against an in-memory kpi.md', () => {
  it.each(SEEDS)('seed %i', async (seed) => {
    const r = new Rand(seed * 7 + 1);
    const { ws, users } = await db.transaction(async (tx) => {
      const w = await createWorkspace(tx, { name: `Клиенты ${seed}` }, NOW);
      await scopeTo(tx, w.workspace_id);
      await createPipeline(tx, w.workspace_id, NOW, { name: 'Продажи', stages: STANDARD_STAGES });
      return { ws: w.workspace_id, users: [] as number[] };
    });
    for (let i = 0; i < 3; i++)
      users.push(
        await addUser(db, ws, { name: `КАМ ${i}`, email: `kam${i}@${seed}.test`, role: 'manager', password: 'correct horse battery' }, NOW),
      );
    const g = generate(seed, users);
    const grossMargin = r.pick([1, 0.7, 0.35]);
    await inWorkspace(db, ws, async (tx) => {
      await tx.query(sql`update workspaces set gross_margin = ${grossMargin} where workspace_id = ${ws}`);
      const companyIds: number[] = [];
      for (let c = 0; c < g.companies; c++)
        companyIds.push(
          Number(
            (
              await tx.query<{ id: number }>(
                sql`insert into companies (workspace_id, name) values (${ws}, ${`Компания ${c}`}) returning id`,
              )
            )[0].id,
          ),
        );
      const groupIds: number[] = [];
      for (const name of GROUPS)
        groupIds.push(
          Number(
            (await tx.query<{ id: number }>(sql`insert into product_groups (workspace_id, name) values (${ws}, ${name}) returning id`))[0]
              .id,
          ),
        );
      // Inserted in the generator's order, so the database's ids keep its tie order.
      for (const c of g.contracts) {
        const [row] = await tx.query<{ id: number }>(sql`
          insert into contracts (workspace_id, company_id, product_group_id, start_date, end_date, mrr_minor, owner_id)
          values (${ws}, ${companyIds[c.company]}, ${groupIds[c.group]}, ${c.start}::date, ${c.end}::date, ${c.mrr}, ${c.owner}) returning id`);
        c.id = Number(row.id);
        c.company = companyIds[c.company];
      }
      for (const k of g.cases) {
        k.company = companyIds[k.company];
        await tx.query(sql`
          insert into service_cases (workspace_id, kind, company_id, title, status, opened_at, closed_at, recorder_role, recorded_by, owner_id)
          values (${ws}, ${k.kind}, ${k.company}, 'случай', ${k.closed ? 'resolved' : 'open'}, ${k.opened}, ${k.closed}, ${k.role}, ${k.recordedBy}, ${k.recordedBy})`);
      }
    });
    const periods: [string, string][] = [
      ['2025-01-01', '2025-07-01'],
      ['2025-03-15', '2025-04-01'],
      ['2024-06-01', '2026-01-01'],
    ];
    for (const [fromDay, toDay] of periods) {
      const from = instant(fromDay);
      const to = instant(toDay);
      for (const asOfRaw of [undefined, '2025-04-01T00:00:00+03:00', '2025-05-17T13:45:00+03:00', '2024-12-01T00:00:00+03:00']) {
        const asOf = asOfRaw ? new Date(asOfRaw) : to;
        const exp = reference(g, from, to, asOf, grossMargin);
        const rep = await inWorkspace(db, ws, async (tx) => {
          const q = await resolveFunnelQuery(tx, ws, { from: fromDay, to: toDay, ...(asOfRaw ? { as_of: asOfRaw } : {}) }, NOW);
          return accountsReport(tx, { q, by: null });
        });
        const where = `[${fromDay}, ${toDay}) as of ${asOfRaw ?? 'to'}`;
        if ('groups' in rep) throw new Error('unexpected groups');
        if (exp.accounts === null)
          for (const k of ['accounts_start', 'nrr', 'ltv', 'contracts_ending'] as const) expect(rep[k], `${seed} ${where} ${k}`).toBeNull();
        else same(rep, exp.accounts, where, seed);
        same(rep.cases_opened, exp.cases_opened, `${where} cases_opened`, seed);
        same(rep.cases_by_recorder, exp.cases_by_recorder, `${where} cases_by_recorder`, seed);
        same(rep.case_resolution_days, exp.case_resolution_days, `${where} case_resolution_days`, seed);
        // NRR as an identity of the report's own figures.
        if (rep.nrr !== null && rep.start_mrr !== null)
          same(
            rep.nrr,
            (rep.start_mrr + (rep.expansion_mrr ?? 0) - (rep.contraction_mrr ?? 0) - (rep.churned_mrr ?? 0)) / rep.start_mrr,
            `${where} nrr identity`,
            seed,
          );
      }
      // by=owner: each group is the reference restricted to that owner's accounts; the null group holds cases of companies without contracts.
      const byOwner = await inWorkspace(db, ws, async (tx) => {
        const q = await resolveFunnelQuery(tx, ws, { from: fromDay, to: toDay }, NOW);
        return accountsReport(tx, { q, by: 'owner' });
      });
      if (!('groups' in byOwner)) throw new Error('no groups');
      for (const grp of byOwner.groups) {
        const o = grp.key_id ?? null;
        const exp = reference(
          g,
          from,
          to,
          to,
          grossMargin,
          (owner) => owner === o,
          (_c, owner) => (owner === undefined ? o === null : owner === o),
        );
        same(grp, exp.accounts, `${fromDay}…${toDay} by owner ${o}`, seed);
        same(grp.cases_opened, exp.cases_opened, `by owner ${o} cases`, seed);
        same(grp.case_resolution_days, exp.case_resolution_days, `by owner ${o} resolution`, seed);
      }
      // Scoped to one key-account manager: as the reference restricted to their accounts (and cases of companies without one they recorded).
      const mine = users[0];
      const scoped = await inWorkspace(db, ws, async (tx) => {
        const q = await resolveFunnelQuery(tx, ws, { from: fromDay, to: toDay }, NOW);
        return accountsReport(tx, { q, by: null, owners: [mine] });
      });
      const expMine = reference(
        g,
        from,
        to,
        to,
        grossMargin,
        (owner) => owner === mine,
        (c, owner) => (owner === undefined ? c.recordedBy === mine : owner === mine),
      );
      same(scoped, expMine.accounts, `${fromDay}…${toDay} scoped`, seed);
      same((scoped as { cases_opened: unknown }).cases_opened, expMine.cases_opened, 'scoped cases', seed);
    }
    // by=month: each month equals the report of that month alone.
    const monthly = await inWorkspace(db, ws, async (tx) => {
      const q = await resolveFunnelQuery(tx, ws, { from: '2025-01-01', to: '2025-04-01', as_of: '2025-03-10T12:00:00+03:00' }, NOW);
      return accountsReport(tx, { q, by: 'month' });
    });
    if (!('groups' in monthly)) throw new Error('no groups');
    const asOf = new Date('2025-03-10T12:00:00+03:00');
    for (const grp of monthly.groups) {
      const from = instant(`${grp.key}-01`);
      const to = day(`${grp.key}-01`).plus({ months: 1 }).toJSDate();
      const exp = reference(g, from, to, asOf, grossMargin);
      if (exp.accounts === null) expect(grp.accounts_start, `${seed} ${grp.key}`).toBeNull();
      else same(grp, exp.accounts, `month ${grp.key}`, seed);
      same(grp.cases_opened, exp.cases_opened, `month ${grp.key} cases`, seed);
    }
  });
});
