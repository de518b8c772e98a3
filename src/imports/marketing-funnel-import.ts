import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvData } from '../platform/csv-export.ts';
import type { Db } from '../platform/db/types.ts';
import type { Locale } from '../platform/errors.ts';
import { type ImportReport, importBundle } from './bundle-import.ts';
import { readCsv } from './csv-source.ts';
import { rowError } from './import-errors.ts';

/**
 * The public "marketing funnel" shape of a marketplace's B2B seller acquisition (two CSVs): every
 * marketing-qualified lead becomes a lead of its `origin` channel ("unknown" when empty), every
 * closed deal a won deal linked to its lead, with the SR as the deal's owner and the SDR as the
 * lead's, the business segment as the segment and the declared monthly revenue as the amount. The
 * files are turned into a canonical bundle (with leads.csv) and imported by the same code, all or
 * nothing. What was counted and skipped, and why, is in `quirks`.
 */

export const MQL_FILE = 'olist_marketing_qualified_leads_dataset.csv';
export const DEALS_FILE = 'olist_closed_deals_dataset.csv';

const MQL_COLUMNS = { mql_id: [], first_contact_date: [], landing_page_id: [], origin: [] };
const DEAL_COLUMNS = {
  mql_id: [],
  seller_id: [],
  sdr_id: [],
  sr_id: [],
  won_date: [],
  business_segment: [],
  lead_type: [],
  lead_behaviour_profile: [],
  has_company: [],
  has_gtin: [],
  average_stock: [],
  business_type: [],
  declared_product_catalog_size: [],
  declared_monthly_revenue: [],
};

export interface MarketingFunnelReport {
  bundle: ImportReport;
  quirks: {
    leads_in_file: number;
    closed_deals_in_file: number;
    origin_empty_as_unknown: number;
    closed_deals_without_won_date_skipped: number;
    revenue_empty_or_unreadable_as_zero: number;
    won_before_first_contact: number;
    segment_empty: number;
  };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const STAMP = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(:\d{2})?)$/;

export async function importMarketingFunnel(
  db: Db,
  dir: string,
  opts: {
    workspace?: string;
    now: Date;
    locale?: Locale;
    dryRun?: boolean;
    onProgress?: (m: string) => void;
    timezone?: string;
    currency?: string;
  },
): Promise<MarketingFunnelReport> {
  const quirks: MarketingFunnelReport['quirks'] = {
    leads_in_file: 0,
    closed_deals_in_file: 0,
    origin_empty_as_unknown: 0,
    closed_deals_without_won_date_skipped: 0,
    revenue_empty_or_unreadable_as_zero: 0,
    won_before_first_contact: 0,
    segment_empty: 0,
  };
  const leads = new Map<string, { line: number; day: string; landing: string; origin: string }>();
  for await (const row of readCsv(join(dir, MQL_FILE), { columns: MQL_COLUMNS, required: Object.keys(MQL_COLUMNS) })) {
    quirks.leads_in_file++;
    const id = row.values.mql_id.trim();
    if (!id)
      throw rowError({
        file: MQL_FILE,
        line: row.line,
        column: 'mql_id',
        value: '',
        reason: { en: 'mql_id is empty', ru: 'mql_id не указан' },
      });
    const before = leads.get(id);
    if (before)
      throw rowError({
        file: MQL_FILE,
        line: row.line,
        column: 'mql_id',
        value: id,
        reason: { en: `mql_id is also on line ${before.line}`, ru: `mql_id есть и в строке ${before.line}` },
      });
    const day = row.values.first_contact_date.trim();
    if (!DAY.test(day))
      throw rowError({
        file: MQL_FILE,
        line: row.line,
        column: 'first_contact_date',
        value: day,
        reason: { en: 'not a date YYYY-MM-DD', ru: 'не дата ГГГГ-ММ-ДД' },
      });
    let origin = row.values.origin.trim();
    if (!origin) {
      origin = 'unknown';
      quirks.origin_empty_as_unknown++;
    }
    leads.set(id, { line: row.line, day, landing: row.values.landing_page_id.trim(), origin });
  }
  const deals: { id: string; seller: string; sdr: string; sr: string; created: string; won: string; segment: string; revenue: string }[] =
    [];
  const seen = new Map<string, number>();
  for await (const row of readCsv(join(dir, DEALS_FILE), {
    columns: DEAL_COLUMNS,
    required: ['mql_id', 'seller_id', 'sdr_id', 'sr_id', 'won_date'],
  })) {
    quirks.closed_deals_in_file++;
    const id = row.values.mql_id.trim();
    const lead = leads.get(id);
    if (!lead)
      throw rowError({
        file: DEALS_FILE,
        line: row.line,
        column: 'mql_id',
        value: id,
        reason: { en: `no lead "${id}" in ${MQL_FILE}`, ru: `лида «${id}» нет в ${MQL_FILE}` },
      });
    const twice = seen.get(id);
    if (twice !== undefined)
      throw rowError({
        file: DEALS_FILE,
        line: row.line,
        column: 'mql_id',
        value: id,
        reason: { en: `the lead's deal is also on line ${twice}`, ru: `сделка этого лида есть и в строке ${twice}` },
      });
    seen.set(id, row.line);
    const stamp = STAMP.exec(row.values.won_date.trim());
    if (!stamp) {
      if (row.values.won_date.trim() === '') {
        quirks.closed_deals_without_won_date_skipped++;
        continue;
      }
      throw rowError({
        file: DEALS_FILE,
        line: row.line,
        column: 'won_date',
        value: row.values.won_date,
        reason: { en: 'not a date and time YYYY-MM-DD HH:MM:SS', ru: 'не дата и время ГГГГ-ММ-ДД ЧЧ:ММ:СС' },
      });
    }
    const won = `${stamp[1]} ${stamp[2].length === 5 ? `${stamp[2]}:00` : stamp[2]}`;
    let created = `${lead.day} 00:00:00`;
    if (won < created) {
      quirks.won_before_first_contact++;
      created = won;
    }
    const revenueRaw = (row.values.declared_monthly_revenue ?? '').trim();
    let revenue = '0';
    if (/^\d+(\.\d{1,2})?$/.test(revenueRaw)) revenue = revenueRaw;
    else if (/^\d+\.\d+$/.test(revenueRaw)) revenue = Number(revenueRaw).toFixed(2);
    else quirks.revenue_empty_or_unreadable_as_zero++;
    const segment = (row.values.business_segment ?? '').trim();
    if (!segment) quirks.segment_empty++;
    deals.push({
      id,
      seller: row.values.seller_id.trim(),
      sdr: row.values.sdr_id.trim(),
      sr: row.values.sr_id.trim(),
      created,
      won,
      segment,
      revenue,
    });
  }
  const won = new Map(deals.map((d) => [d.id, d]));
  const out = mkdtempSync(join(tmpdir(), 'voronka-mf-'));
  try {
    // The data set's ids are hashes: names keep them whole, so two people never merge into one.
    const short = (s: string) => s;
    writeFileSync(
      join(out, 'pipeline.json'),
      JSON.stringify({
        name: 'Marketing funnel',
        currency: opts.currency ?? 'BRL',
        timezone: opts.timezone ?? 'America/Sao_Paulo',
        stages: [
          { name: 'Closed deal in progress', kind: 'open' },
          { name: 'Won', kind: 'won' },
          { name: 'Lost', kind: 'lost' },
        ],
      }),
    );
    writeFileSync(
      join(out, 'deals.csv'),
      csvData(
        deals.map((d) => [
          d.id,
          `${d.segment || 'seller'} ${short(d.seller)}`,
          `Seller ${short(d.seller)}`,
          `SR ${short(d.sr)}`,
          d.segment,
          leads.get(d.id)?.origin ?? 'unknown',
          '',
          d.revenue,
          d.created,
        ]),
        ['deal_id', 'title', 'company', 'owner', 'segment', 'channel', 'region', 'amount', 'created_at'],
      ),
    );
    writeFileSync(
      join(out, 'stage_events.csv'),
      csvData(
        deals.flatMap((d) => [
          [d.id, 'Closed deal in progress', d.created],
          [d.id, 'Won', d.won],
        ]),
        ['deal_id', 'stage', 'entered_at'],
      ),
    );
    writeFileSync(
      join(out, 'leads.csv'),
      csvData(
        [...leads.entries()].map(([id, l]) => {
          const d = won.get(id);
          return [
            id,
            `${l.day} 00:00:00`,
            l.origin,
            l.landing,
            d ? `Seller ${short(d.seller)}` : '',
            d?.segment ?? '',
            '',
            '',
            d ? id : '',
            d ? `SDR ${short(d.sdr)}` : '',
          ];
        }),
        ['lead_id', 'created_at', 'channel', 'campaign', 'company', 'industry', 'employees', 'region', 'deal_id', 'owner'],
      ),
    );
    const bundle = await importBundle(db, out, {
      workspace: opts.workspace ?? 'Marketing funnel',
      now: opts.now,
      locale: opts.locale,
      dryRun: opts.dryRun,
      format: 'marketing-funnel',
      source: dir,
      onProgress: opts.onProgress ? (m) => opts.onProgress?.(m) : undefined,
    });
    return { bundle, quirks };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
