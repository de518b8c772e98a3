/**
 * The accounts report (kpi.md "Key accounts and service") on a large workspace on the PostgreSQL
 * server: 100 000 companies, 400 000 contracts in three product groups (renewal chains with gaps,
 * expansions, contractions and churn), 300 000 service cases, and 100 000 deals with their stage
 * histories (the funnel's `deals_won` is part of the report). Every round runs each variant once, in
 * a rotating order; round 0 warms up and is not counted; medians of the others.
 *
 *   npx tsx bench/accounts.ts [--companies 100000] [--contracts 400000] [--cases 300000] [--deals 100000] [--runs 5] [--reuse]
 *
 * `--reuse`: keep the database a previous run left (migrated to the current schema) instead of
 * generating it again — for comparing a change of the report on the same data.
 *
 * Writes bench/results/accounts-postgres-<companies>.json. The target: within 1 s.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sql from 'sql-template-tag';
import { accountsReport } from '../src/accounts/accounts-report.ts';
import { resolveFunnelQuery } from '../src/analytics/funnel-query.ts';
import { importBundle } from '../src/imports/bundle-import.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { openDb } from '../src/platform/db/open-db.ts';
import type { Db } from '../src/platform/db/types.ts';
import { inWorkspace } from '../src/platform/db/workspace-scope.ts';
import { END, generateBundle } from './generate-bundle.ts';
import { freshPgDatabase, median, PG_ADMIN, printTable } from './support.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const COMPANIES = Number(arg('companies', '100000'));
const CONTRACTS = Number(arg('contracts', '400000'));
const CASES = Number(arg('cases', '300000'));
const DEALS = Number(arg('deals', '100000'));
const RUNS = Number(arg('runs', '5'));
const NOW = END;

const VARIANTS: { name: string; params: { from: string; to: string; as_of?: string }; by: 'owner' | 'month' | null }[] = [
  { name: 'year', params: { from: '2025-11-01', to: '2026-11-01' }, by: null },
  { name: 'year_by_owner', params: { from: '2025-11-01', to: '2026-11-01' }, by: 'owner' },
  { name: 'quarter_by_month', params: { from: '2026-08-01', to: '2026-11-01' }, by: 'month' },
  { name: 'as_of_half_year_back', params: { from: '2025-11-01', to: '2026-11-01', as_of: '2026-05-01T00:00:00+03:00' }, by: null },
];

export async function benchAccounts() {
  const name = process.env.VORONKA_BENCH_DB ?? 'voronka_bench_accounts';
  const reuse = args.includes('--reuse');
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  const db = await openDb({ databaseUrl: reuse ? url.toString() : await freshPgDatabase(name) });
  try {
    await migrate(db);
    const [prior] = reuse ? await db.query<{ workspace_id: number }>(`select workspace_id from workspaces where name = 'Bench'`) : [];
    if (prior) {
      await db.exec('analyze');
      return await measure(db, Number(prior.workspace_id), { reused: true });
    }
    process.stdout.write(`\n[accounts] generating ${DEALS} deals…\n`);
    const gen = await generateBundle(join('bench', 'data', `b${DEALS}`), DEALS);
    const t0 = performance.now();
    await importBundle(db, gen.dir, { workspace: 'Bench', now: NOW });
    const importSeconds = (performance.now() - t0) / 1000;
    const [{ workspace_id: ws }] = await db.query<{ workspace_id: number }>(`select workspace_id from workspaces where name = 'Bench'`);
    process.stdout.write(`[accounts] deals imported in ${importSeconds.toFixed(1)} s; adding accounts…\n`);
    const t1 = performance.now();
    await inWorkspace(db, ws, async (tx) => {
      const have = Number((await tx.query<{ n: number }>(sql`select count(*)::int8 as n from companies where workspace_id = ${ws}`))[0].n);
      await tx.query(sql`insert into companies (workspace_id, name)
                          select ${ws}, 'Клиент ' || n from generate_series(${have + 1}::int, ${COMPANIES}::int) n`);
      await tx.query(sql`insert into product_groups (workspace_id, name, position)
                          values (${ws}, 'Лицензии', 0), (${ws}, 'Внедрение', 1), (${ws}, 'Поддержка', 2)`);
      // Four contracts a company on average: chains of 12-month terms in one or two product groups,
      // renewed at +0…+45 days (some never), MRR changing by −30 %…+40 % at a renewal.
      await tx.query(sql`
        with co as (select id, row_number() over (order by id) as rn from companies where workspace_id = ${ws} order by id limit ${COMPANIES}),
        pg as (select array_agg(id order by position) as ids from product_groups where workspace_id = ${ws}),
        owners as (select array_agg(id order by id) as ids from users where workspace_id = ${ws}),
        n as (select g as n, ((g - 1) % ${COMPANIES}) + 1 as rn, (g - 1) / ${COMPANIES} as k from generate_series(1, ${CONTRACTS}::int8) g),
        x as (
          select co.id as company_id, n.k, n.n,
                 (select ids[1 + (co.rn + (n.k / 2)) % 3] from pg) as product_group_id,
                 (date '2023-01-01' + (((co.rn * 37) % 365) + (n.k / 2) * 395 + (n.k % 2) * 200)::int) as start_date,
                 (10000 + (co.rn * 7919 + n.k * 104729) % 490000)::int8 * 100 as mrr_minor,
                 (select ids[1 + co.rn % cardinality(ids)] from owners) as owner_id
            from n join co on co.rn = n.rn)
        insert into contracts (workspace_id, company_id, product_group_id, start_date, end_date, mrr_minor, owner_id)
        select ${ws}, company_id, product_group_id, start_date, start_date + 365, mrr_minor, owner_id from x order by n`);
      await tx.query(sql`
        with co as (select id, row_number() over (order by id) as rn from companies where workspace_id = ${ws} order by id limit ${COMPANIES}),
        owners as (select array_agg(id order by id) as ids from users where workspace_id = ${ws}),
        n as (select g, 1 + (g * 7919) % ${COMPANIES} as rn from generate_series(1, ${CASES}::int8) g),
        x as (
          select co.id as company_id, n.g,
                 (array['complaint', 'claim', 'question', 'praise'])[1 + n.g % 4] as kind,
                 (array['service', 'sales', 'service'])[1 + n.g % 3] as recorder_role,
                 timestamptz '2024-11-01 00:00+03' + ((n.g * 104729) % (730 * 24 * 60)) * interval '1 minute' as opened_at,
                 (select ids[1 + n.g % cardinality(ids)] from owners) as recorded_by
            from n join co on co.rn = n.rn)
        insert into service_cases (workspace_id, kind, company_id, title, status, opened_at, closed_at, recorder_role, recorded_by, owner_id)
        select ${ws}, kind, company_id, 'Обращение ' || g, case when g % 10 < 7 then 'resolved' else 'open' end, opened_at,
               case when g % 10 < 7 then opened_at + ((g % 500) * interval '1 hour') end, recorder_role, recorded_by, recorded_by
          from x order by g`);
    });
    await db.exec('vacuum analyze');
    const loadSeconds = (performance.now() - t1) / 1000;
    process.stdout.write(`[accounts] accounts added in ${loadSeconds.toFixed(1)} s\n`);
    return await measure(db, ws, { deals_import_seconds: importSeconds, accounts_load_seconds: loadSeconds });
  } finally {
    await db.close();
  }
}

async function measure(db: Db, ws: number, load: Record<string, number | boolean>) {
  {
    const counts = await inWorkspace(db, ws, (tx) =>
      tx.query<{ companies: number; contracts: number; cases: number }>(sql`
        select (select count(*) from companies where workspace_id = ${ws})::int8 as companies,
               (select count(*) from contracts where workspace_id = ${ws})::int8 as contracts,
               (select count(*) from service_cases where workspace_id = ${ws})::int8 as cases`),
    );
    process.stdout.write(`[accounts] ${JSON.stringify(counts[0])}\n`);
    const report = (v: (typeof VARIANTS)[number]) =>
      inWorkspace(db, ws, async (tx) => {
        const q = await resolveFunnelQuery(tx, ws, v.params, NOW);
        return accountsReport(tx, { q, by: v.by });
      });
    const runs: Record<string, number[]> = Object.fromEntries(VARIANTS.map((v) => [v.name, []]));
    let sample: unknown = null;
    for (let r = 0; r <= RUNS; r++) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const v = VARIANTS[(i + r) % VARIANTS.length];
        const t = performance.now();
        const out = await report(v);
        const s = (performance.now() - t) / 1000;
        if (r > 0) runs[v.name].push(s);
        if (v.name === 'year') sample = out;
      }
      process.stdout.write(`  round ${r}${r === 0 ? ' (warm-up)' : ''} done\n`);
    }
    const seconds = Object.fromEntries(VARIANTS.map((v) => [v.name, median(runs[v.name])]));
    const result = {
      engine: 'postgres',
      method:
        'one PostgreSQL server on 127.0.0.1; every round runs each variant once in a rotating order; round 0 warms up and is not counted; medians of the other rounds',
      sizes: { ...counts[0], deals: DEALS },
      ...load,
      report_seconds: seconds,
      report_runs: runs,
      target_seconds: 1,
      within_target: Object.fromEntries(VARIANTS.map((v) => [v.name, seconds[v.name] <= 1])),
      sample_year: sample,
    };
    mkdirSync(join('bench', 'results'), { recursive: true });
    const file = join('bench', 'results', `accounts-postgres-${COMPANIES}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    printTable([
      ['variant', 'median s', 'runs', 'within 1 s'],
      ...VARIANTS.map((v) => [
        v.name,
        seconds[v.name].toFixed(3),
        runs[v.name].map((x) => x.toFixed(3)).join(' '),
        seconds[v.name] <= 1 ? 'yes' : 'NO',
      ]),
    ]);
    process.stdout.write(`written ${file}\n`);
    return result;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAccounts();
