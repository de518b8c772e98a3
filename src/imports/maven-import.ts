import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import sql from 'sql-template-tag';
import { bulkInsert } from '../platform/db/bulk.ts';
import type { Db, Queryable } from '../platform/db/types.ts';
import type { Locale } from '../platform/errors.ts';
import { type ImportReport, importBundle } from './bundle-import.ts';
import { csvFailure, rowError } from './import-errors.ts';

/**
 * The Maven Analytics "CRM + Sales Opportunities" data set (MavenTech, 8,800
 * opportunities) has only the current stage of each deal and is messy on
 * purpose. It is converted to a canonical bundle — so it goes through exactly the
 * same checks, transaction and idempotency as any import — and every quirk is
 * handled explicitly and counted in the report:
 *
 * - history: Prospecting and Engaging at `engage_date` (the creation date is not
 *   in the data; the engagement is the first known instant), Won/Lost at
 *   `close_date`; deals still in Prospecting have no date at all and enter it at
 *   the data set's snapshot (its latest date);
 * - "GTXPro" in the pipeline is "GTX Pro" in products.csv;
 * - the sector "technolgy" is "technology", the country "Philipines" is "Philippines";
 * - deals without an account import without a company (and without a segment);
 * - lost deals carry close_value 0 and open deals none: their amount is the
 *   product's list price (the value of the opportunity), won deals keep close_value;
 * - agents without deals are still created, in their manager's team.
 *
 * Mapping: owner = sales agent, team = the agent's manager, region = regional
 * office, segment = the account's sector, product = a custom field of the deal.
 */

export interface MavenReport {
  bundle: ImportReport;
  quirks: Record<string, number>;
  agents_without_deals: string[];
  snapshot_date: string;
}

interface PipelineRow {
  opportunity_id: string;
  sales_agent: string;
  product: string;
  account: string;
  deal_stage: string;
  engage_date: string;
  close_date: string;
  close_value: string;
}

function readCsvFile<T>(dir: string, file: string, required: string[]): { rows: T[]; lineOf: (i: number) => number } {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch {
    throw rowError({ file, reason: { en: `not found in ${dir}`, ru: `нет в папке ${dir}` } });
  }
  let rows: T[];
  try {
    rows = parse(text, { columns: true, bom: true, skip_empty_lines: true }) as T[];
  } catch (e) {
    throw rowError({
      file,
      line: (e as { lines?: number }).lines ?? 0,
      reason: csvFailure(e),
    });
  }
  const header = Object.keys((rows[0] ?? {}) as object);
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length)
    throw rowError({
      file,
      line: 1,
      reason: { en: `missing column(s): ${missing.join(', ')}`, ru: `нет столбцов: ${missing.join(', ')}` },
    });
  return { rows, lineOf: (i) => i + 2 };
}

const fixSector = (s: string) => (s === 'technolgy' ? 'technology' : s);
const fixCountry = (s: string) => (s === 'Philipines' ? 'Philippines' : s);
const fixProduct = (p: string) => (p === 'GTXPro' ? 'GTX Pro' : p);
const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export async function importMaven(
  db: Db,
  dir: string,
  opts: { workspace?: string; now: Date; onProgress?: (m: string) => void; locale?: Locale; dryRun?: boolean; source?: string },
): Promise<MavenReport> {
  const pipeline = readCsvFile<PipelineRow>(dir, 'sales_pipeline.csv', [
    'opportunity_id',
    'sales_agent',
    'product',
    'account',
    'deal_stage',
    'engage_date',
    'close_date',
    'close_value',
  ]);
  const accounts = readCsvFile<Record<string, string>>(dir, 'accounts.csv', [
    'account',
    'sector',
    'revenue',
    'employees',
    'office_location',
  ]);
  const products = readCsvFile<Record<string, string>>(dir, 'products.csv', ['product', 'series', 'sales_price']);
  const teams = readCsvFile<Record<string, string>>(dir, 'sales_teams.csv', ['sales_agent', 'manager', 'regional_office']);

  const quirks: Record<string, number> = {
    product_GTXPro_renamed_GTX_Pro: 0,
    sector_technolgy_fixed: 0,
    country_Philipines_fixed: 0,
    deals_without_account: 0,
    prospecting_without_dates_at_snapshot: 0,
    creation_date_unknown_engage_date_used: 0,
    lost_close_value_0_amount_list_price: 0,
    open_without_value_amount_list_price: 0,
  };
  const price = new Map(products.rows.map((p) => [p.product, p.sales_price]));
  const sectorOf = new Map<string, string>();
  for (const a of accounts.rows) {
    if (a.sector === 'technolgy') quirks.sector_technolgy_fixed++;
    if (a.office_location === 'Philipines') quirks.country_Philipines_fixed++;
    sectorOf.set(a.account, fixSector(a.sector));
  }
  const team = new Map(teams.rows.map((t) => [t.sales_agent, t]));
  // ISO dates compare as text: the latest date anywhere in the file is the snapshot.
  let snapshot = '';
  for (const r of pipeline.rows) for (const d of [r.engage_date, r.close_date]) if (d > snapshot) snapshot = d;
  const date = /^\d{4}-\d{2}-\d{2}$/;

  const deals: string[] = ['deal_id,title,company,owner,segment,channel,region,amount,created_at'];
  const events: string[] = ['deal_id,stage,entered_at'];
  const productOf: { id: string; product: string; series: string }[] = [];
  pipeline.rows.forEach((r, i) => {
    const line = pipeline.lineOf(i);
    const bad = (column: string, en: string, ru: string) =>
      rowError({ file: 'sales_pipeline.csv', line, column, value: (r as unknown as Record<string, string>)[column], reason: { en, ru } });
    if (!r.opportunity_id) throw bad('opportunity_id', 'empty id', 'пустой идентификатор');
    const product = fixProduct(r.product);
    if (product !== r.product) quirks.product_GTXPro_renamed_GTX_Pro++;
    const list = price.get(product);
    if (list === undefined) throw bad('product', 'not in products.csv', 'нет в products.csv');
    const agent = team.get(r.sales_agent);
    if (!agent) throw bad('sales_agent', 'not in sales_teams.csv', 'нет в sales_teams.csv');
    if (!r.account) quirks.deals_without_account++;
    let amount: string;
    if (r.deal_stage === 'Won') {
      if (!/^\d+(\.\d{1,2})?$/.test(r.close_value))
        throw bad('close_value', 'a won deal needs its value', 'у выигранной сделки должна быть сумма');
      amount = r.close_value;
    } else {
      if (r.deal_stage === 'Lost') quirks.lost_close_value_0_amount_list_price++;
      else quirks.open_without_value_amount_list_price++;
      amount = list;
    }
    let first: string;
    const ev: [string, string][] = [];
    switch (r.deal_stage) {
      case 'Prospecting':
        quirks.prospecting_without_dates_at_snapshot++;
        first = snapshot;
        ev.push(['Prospecting', snapshot]);
        break;
      case 'Engaging':
      case 'Won':
      case 'Lost':
        if (!date.test(r.engage_date)) throw bad('engage_date', 'expected YYYY-MM-DD', 'ожидалась дата ГГГГ-ММ-ДД');
        quirks.creation_date_unknown_engage_date_used++;
        first = r.engage_date;
        ev.push(['Prospecting', r.engage_date], ['Engaging', r.engage_date]);
        if (r.deal_stage !== 'Engaging') {
          if (!date.test(r.close_date))
            throw bad('close_date', 'a closed deal needs its close date', 'у закрытой сделки должна быть дата закрытия');
          if (r.close_date < r.engage_date) throw bad('close_date', 'before engage_date', 'раньше engage_date');
          ev.push([r.deal_stage, r.close_date]);
        }
        break;
      default:
        throw bad('deal_stage', 'expected Prospecting, Engaging, Won or Lost', 'ожидалось Prospecting, Engaging, Won или Lost');
    }
    const title = `${product} — ${r.account || 'no account'}`;
    deals.push(
      [
        r.opportunity_id,
        title,
        r.account,
        r.sales_agent,
        r.account ? (sectorOf.get(r.account) ?? '') : '',
        '',
        agent.regional_office,
        amount,
        first,
      ]
        .map(csvCell)
        .join(','),
    );
    for (const [stage, at] of ev) events.push([r.opportunity_id, stage, at].join(','));
    productOf.push({ id: r.opportunity_id, product, series: products.rows.find((p) => p.product === product)?.series ?? '' });
  });

  const tmp = mkdtempSync(join(tmpdir(), 'voronka-maven-'));
  const agentsWithDeals = new Set(pipeline.rows.map((r) => r.sales_agent));
  try {
    writeFileSync(
      join(tmp, 'pipeline.json'),
      JSON.stringify({
        name: 'MavenTech',
        currency: 'USD',
        timezone: 'UTC',
        stages: [
          { name: 'Prospecting', kind: 'open' },
          { name: 'Engaging', kind: 'open' },
          { name: 'Won', kind: 'won' },
          { name: 'Lost', kind: 'lost' },
        ],
      }),
    );
    writeFileSync(join(tmp, 'deals.csv'), `${deals.join('\n')}\n`);
    writeFileSync(join(tmp, 'stage_events.csv'), `${events.join('\n')}\n`);
    const bundle = await importBundle(db, tmp, {
      workspace: opts.workspace ?? 'MavenTech',
      now: opts.now,
      onProgress: opts.onProgress,
      locale: opts.locale,
      format: 'maven',
      dryRun: opts.dryRun,
      source: opts.source,
      afterMerge: (tx, ws) => enrich(tx, ws, opts.now, { teams: teams.rows, accounts: accounts.rows, productOf }),
    });
    return {
      bundle,
      quirks,
      agents_without_deals: teams.rows.map((t) => t.sales_agent).filter((a) => !agentsWithDeals.has(a)),
      snapshot_date: snapshot,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** What the canonical bundle cannot say: teams, every agent, account details, the product. */
async function enrich(
  tx: Queryable,
  ws: number,
  now: Date,
  data: {
    teams: Record<string, string>[];
    accounts: Record<string, string>[];
    productOf: { id: string; product: string; series: string }[];
  },
): Promise<boolean> {
  let changed = 0;
  for (const t of data.teams) {
    const n = await tx.run(
      sql`update users set team = ${t.manager} where workspace_id = ${ws} and lower(name) = lower(${t.sales_agent}) and team is distinct from ${t.manager}`,
    );
    changed += n;
    const exists = await tx.query(sql`select 1 from users where workspace_id = ${ws} and lower(name) = lower(${t.sales_agent})`);
    if (exists.length === 0) {
      await tx.query(
        sql`insert into users (workspace_id, name, role, team, created_at, updated_at) values (${ws}, ${t.sales_agent}, 'manager', ${t.manager}, ${now}, ${now})`,
      );
      changed++;
    }
  }
  for (const a of data.accounts) {
    const custom = JSON.stringify({
      revenue_mln: Number(a.revenue),
      country: fixCountry(a.office_location),
      year_established: Number(a.year_established),
    });
    const exists = await tx.query(sql`select 1 from companies where workspace_id = ${ws} and lower(name) = lower(${a.account})`);
    if (exists.length === 0) {
      await tx.query(sql`insert into companies (workspace_id, name, created_at, updated_at) values (${ws}, ${a.account}, ${now}, ${now})`);
      changed++;
    }
    changed += await tx.run(sql`
      update companies set industry = ${fixSector(a.sector)}, employees = ${Number(a.employees)}, custom = custom || ${custom}::jsonb
       where workspace_id = ${ws} and lower(name) = lower(${a.account})
         and (industry is distinct from ${fixSector(a.sector)} or employees is distinct from ${Number(a.employees)} or not custom @> ${custom}::jsonb)`);
  }
  const [field] = await tx.query(sql`select 1 from custom_fields where workspace_id = ${ws} and object_type = 'deal' and key = 'product'`);
  if (!field) {
    await tx.query(
      sql`insert into custom_fields (workspace_id, object_type, key, label_ru, label_en, type, created_at, updated_at) values (${ws}, 'deal', 'product', 'Продукт', 'Product', 'text', ${now}, ${now})`,
    );
    await tx.query(
      sql`insert into custom_fields (workspace_id, object_type, key, label_ru, label_en, type, created_at, updated_at) values (${ws}, 'deal', 'series', 'Серия', 'Series', 'text', ${now}, ${now})`,
    );
    changed++;
  }
  await tx.exec('create temp table maven_products (deal_id text, product text, series text) on commit drop');
  await bulkInsert(tx, 'maven_products', [
    { name: 'deal_id', type: 'text', values: data.productOf.map((p) => p.id) },
    { name: 'product', type: 'text', values: data.productOf.map((p) => p.product) },
    { name: 'series', type: 'text', values: data.productOf.map((p) => p.series) },
  ]);
  changed += await tx.run(sql`
    update deals d set custom = d.custom || jsonb_build_object('product', m.product, 'series', m.series)
      from maven_products m
     where d.workspace_id = ${ws} and d.external_id = m.deal_id
       and not d.custom @> jsonb_build_object('product', m.product, 'series', m.series)`);
  return changed > 0;
}
