import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { parseIcpRules, saveIcpRules } from '../marketing/icp.ts';
import { MONTH_RE, upsertSpend } from '../marketing/spend.ts';
import { parseInstant as parseTouchInstant } from '../marketing/touches.ts';
import type { Queryable } from '../platform/db/types.ts';
import { AppError } from '../platform/errors.ts';
import { minorToDecimal } from '../platform/money.ts';
import { type CsvRow, readCsv } from './csv-source.ts';
import { jsonFailure, rowError } from './import-errors.ts';
import { parseAmountMinor, parseInstant } from './values.ts';

/**
 * The bundle's optional marketing files of kpi.md: leads.csv, touches.csv, spend.csv, icp.json.
 * Read in the import's transaction after deals and the history are merged, so a lead's `deal_id`
 * may name a deal of this bundle or one already in the workspace. The first bad row stops the
 * whole import with file, line, column and reason. Idempotent: leads on `lead_id`, touches on
 * (lead, channel, at), spend on (channel, month), the ICP rules when they are the same document.
 */

export const LEAD_COLUMNS = {
  lead_id: ['id лида', 'ид лида', 'лид'],
  created_at: ['дата создания', 'создан', 'created'],
  channel: ['канал', 'источник', 'source'],
  campaign: ['кампания'],
  company: ['компания', 'организация'],
  industry: ['отрасль'],
  employees: ['сотрудники', 'число сотрудников'],
  region: ['регион'],
  deal_id: ['id сделки', 'сделка'],
  // More columns may follow (kpi.md); these are kept.
  title: ['название'],
  utm_source: [],
  utm_medium: [],
  utm_campaign: [],
  owner: ['ответственный', 'менеджер'],
};
export const TOUCH_COLUMNS = { lead_id: ['id лида', 'лид'], channel: ['канал'], at: ['дата', 'момент', 'время'] };
export const SPEND_COLUMNS = { channel: ['канал'], month: ['месяц'], amount: ['сумма', 'расход'] };

export const marketingReportSchema = z.object({
  leads_in_file: z.number().int(),
  leads_created: z.number().int(),
  leads_updated: z.number().int(),
  leads_unchanged: z.number().int(),
  leads_converted: z.number().int().describe('Leads of the file linked to a deal'),
  touches_in_file: z.number().int(),
  touches_added: z.number().int(),
  touches_already_present: z.number().int(),
  spend_in_file: z.number().int(),
  spend_created: z.number().int(),
  spend_updated: z.number().int(),
  spend_unchanged: z.number().int(),
  icp_version: z.number().int().nullable(),
  icp_changed: z.boolean(),
  new_channels: z.array(z.string()),
  new_owners: z.array(z.string()).describe('Users named by leads.csv’s owner column, created without sign-in'),
});
export type MarketingReport = z.infer<typeof marketingReportSchema>;

const MARKETING_FILES = ['leads.csv', 'touches.csv', 'spend.csv', 'icp.json'] as const;
export const hasMarketingFiles = (dir: string) => MARKETING_FILES.some((f) => existsSync(join(dir, f)));

function emptyMarketingReport(): MarketingReport {
  return {
    leads_in_file: 0,
    leads_created: 0,
    leads_updated: 0,
    leads_unchanged: 0,
    leads_converted: 0,
    touches_in_file: 0,
    touches_added: 0,
    touches_already_present: 0,
    spend_in_file: 0,
    spend_created: 0,
    spend_updated: 0,
    spend_unchanged: 0,
    icp_version: null,
    icp_changed: false,
    new_channels: [],
    new_owners: [],
  };
}

interface Target {
  ws: number;
  zone: string;
  currency: string;
  now: Date;
}

/** Reads and writes whatever marketing files the folder has; null when it has none. */
export async function importMarketingFiles(tx: Queryable, dir: string, t: Target): Promise<MarketingReport | null> {
  if (!hasMarketingFiles(dir)) return null;
  const r = emptyMarketingReport();

  const channels = new Channels(tx, t, r);
  if (existsSync(join(dir, 'icp.json'))) await importIcp(tx, join(dir, 'icp.json'), t, r);
  if (existsSync(join(dir, 'leads.csv'))) await importLeads(tx, join(dir, 'leads.csv'), t, r, channels);
  if (existsSync(join(dir, 'touches.csv'))) await importTouches(tx, join(dir, 'touches.csv'), t, r, channels);
  if (existsSync(join(dir, 'spend.csv'))) await importSpend(tx, join(dir, 'spend.csv'), t, r, channels);
  return r;
}

/** A spend CSV on its own (the spend screen's upload): channels must exist; every change audited as the caller's. */
export async function importSpendFile(
  tx: Queryable,
  path: string,
  t: Target & { userId: number },
): Promise<{ in_file: number; created: number; updated: number; unchanged: number }> {
  const r = emptyMarketingReport();
  await importSpend(tx, path, t, r, new Channels(tx, t, r));
  return { in_file: r.spend_in_file, created: r.spend_created, updated: r.spend_updated, unchanged: r.spend_unchanged };
}

export const marketingChanged = (r: MarketingReport | null) =>
  r !== null &&
  (r.leads_created + r.leads_updated + r.touches_added + r.spend_created + r.spend_updated > 0 ||
    r.icp_changed ||
    r.new_channels.length > 0);

/** Channels by name (case-insensitive), created when a lead or a touch names a new one. */
class Channels {
  private byName = new Map<string, number>();
  private loaded = false;
  constructor(
    private tx: Queryable,
    private t: Target,
    private r: MarketingReport,
  ) {}
  private async load() {
    if (this.loaded) return;
    const rows = await this.tx.query<{ id: number; name: string }>(sql`select id, name from channels where workspace_id = ${this.t.ws}`);
    for (const c of rows) this.byName.set(c.name.trim().toLowerCase(), Number(c.id));
    this.loaded = true;
  }
  async find(name: string): Promise<number | undefined> {
    await this.load();
    return this.byName.get(name.trim().toLowerCase());
  }
  async ensure(name: string): Promise<number> {
    const known = await this.find(name);
    if (known !== undefined) return known;
    const [c] = await this.tx.query<{ id: number }>(
      sql`insert into channels (workspace_id, name, created_at, updated_at) values (${this.t.ws}, ${name.trim()}, ${this.t.now}, ${this.t.now}) returning id`,
    );
    this.byName.set(name.trim().toLowerCase(), Number(c.id));
    this.r.new_channels.push(name.trim());
    return Number(c.id);
  }
}

async function importIcp(tx: Queryable, path: string, t: Target, r: MarketingReport) {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    throw rowError({ file: 'icp.json', reason: jsonFailure(e) });
  }
  let rules: ReturnType<typeof parseIcpRules>;
  try {
    rules = parseIcpRules(json);
  } catch (e) {
    if (e instanceof AppError) {
      const f = e.details.fields?.[0];
      throw rowError({ file: 'icp.json', column: f?.field, reason: bilingual(f ? f.message : e.msg) });
    }
    throw e;
  }
  const saved = await saveIcpRules(tx, t.ws, rules, { userId: null, at: t.now });
  r.icp_version = saved.version;
  r.icp_changed = saved.changed;
}

const bilingual = (m: string | { en: string; ru: string }) => (typeof m === 'string' ? { en: m, ru: m } : m);
const cell = (row: CsvRow, k: string) => (row.values[k] ?? '').trim();
const orNull = (s: string) => (s === '' ? null : s);

async function importLeads(tx: Queryable, path: string, t: Target, r: MarketingReport, channels: Channels) {
  const file = 'leads.csv';
  const bad = (row: CsvRow, column: string, value: string, en: string, ru: string) =>
    rowError({ file, line: row.line, column, value, reason: { en, ru } });
  type Lead = {
    line: number;
    key: string;
    created_at: Date;
    channel_id: number | null;
    title: string;
    fields: Record<'campaign' | 'company' | 'industry' | 'region' | 'utm_source' | 'utm_medium' | 'utm_campaign', string | null>;
    employees: number | null;
    deal_key: string | null;
    owner: string | null;
  };
  const rows: Lead[] = [];
  const seen = new Map<string, Lead>();
  for await (const row of readCsv(path, { columns: LEAD_COLUMNS, required: Object.keys(LEAD_COLUMNS).slice(0, 9) })) {
    r.leads_in_file++;
    const key = cell(row, 'lead_id');
    if (!key) throw bad(row, 'lead_id', '', 'lead_id is empty', 'lead_id не указан');
    if (key.length > 200) throw bad(row, 'lead_id', key, 'longer than 200 characters', 'длиннее 200 символов');
    const at = parseInstant(cell(row, 'created_at'), t.zone);
    if (!at.ok) throw bad(row, 'created_at', cell(row, 'created_at'), at.en, at.ru);
    const empRaw = cell(row, 'employees');
    let employees: number | null = null;
    if (empRaw !== '') {
      if (!/^\d{1,8}$/.test(empRaw.replace(/\s/g, '')))
        throw bad(row, 'employees', empRaw, 'not a whole number of employees', 'не целое число сотрудников');
      employees = Number(empRaw.replace(/\s/g, ''));
    }
    const channelName = cell(row, 'channel');
    if (channelName.length > 200) throw bad(row, 'channel', channelName, 'longer than 200 characters', 'длиннее 200 символов');
    const fields = {
      campaign: orNull(cell(row, 'campaign')),
      company: orNull(cell(row, 'company')),
      industry: orNull(cell(row, 'industry')),
      region: orNull(cell(row, 'region')),
      utm_source: orNull(cell(row, 'utm_source')),
      utm_medium: orNull(cell(row, 'utm_medium')),
      utm_campaign: orNull(cell(row, 'utm_campaign')),
    };
    for (const [k, v] of Object.entries(fields)) {
      const max = k === 'industry' || k === 'region' ? 200 : 300;
      if (v && v.length > max) throw bad(row, k, v, `longer than ${max} characters`, `длиннее ${max} символов`);
    }
    const lead: Lead = {
      line: row.line,
      key,
      created_at: at.value,
      channel_id: channelName ? await channels.ensure(channelName) : null,
      title: cell(row, 'title') || fields.company || `Лид ${key}`,
      fields,
      employees,
      deal_key: orNull(cell(row, 'deal_id')),
      owner: orNull(cell(row, 'owner')),
    };
    const before = seen.get(key);
    if (before) {
      if (JSON.stringify({ ...before, line: 0 }) === JSON.stringify({ ...lead, line: 0 })) continue;
      throw bad(
        row,
        'lead_id',
        key,
        `lead ${key} is also on line ${before.line} with other values`,
        `лид ${key} есть и в строке ${before.line}, с другими значениями`,
      );
    }
    seen.set(key, lead);
    rows.push(lead);
  }
  // Every deal_id must name a deal of the bundle or of the workspace.
  const dealKeys = [...new Set(rows.map((l) => l.deal_key).filter((k): k is string => k !== null))];
  const deals = new Map<string, { id: number; owner_id: number | null }>();
  for (let i = 0; i < dealKeys.length; i += 5000) {
    const part = dealKeys.slice(i, i + 5000);
    const found = await tx.query<{ external_id: string; id: number; owner_id: number | null }>(
      sql`select external_id, id, owner_id from deals where workspace_id = ${t.ws} and external_id = any(${part}::text[])`,
    );
    for (const d of found) deals.set(d.external_id, { id: Number(d.id), owner_id: d.owner_id === null ? null : Number(d.owner_id) });
  }
  for (const l of rows)
    if (l.deal_key !== null && !deals.has(l.deal_key))
      throw rowError({
        file,
        line: l.line,
        column: 'deal_id',
        value: l.deal_key,
        reason: {
          en: `no deal "${l.deal_key}" in deals.csv or in the workspace`,
          ru: `сделки «${l.deal_key}» нет ни в deals.csv, ни в пространстве`,
        },
      });
  // An `owner` column names a user (created without sign-in if new, as deals.csv's owners); else the deal's owner.
  const owners = new Map<string, number>();
  const ownerNames = [...new Set(rows.map((l) => l.owner).filter((o): o is string => o !== null))];
  if (ownerNames.length) {
    const known = await tx.query<{ id: number; name: string }>(sql`select id, name from users where workspace_id = ${t.ws}`);
    for (const u of known) owners.set(u.name.trim().toLowerCase(), Number(u.id));
    for (const name of ownerNames) {
      if (owners.has(name.toLowerCase())) continue;
      const [u] = await tx.query<{ id: number }>(
        sql`insert into users (workspace_id, name, role, created_at, updated_at) values (${t.ws}, ${name}, 'manager', ${t.now}, ${t.now}) returning id`,
      );
      owners.set(name.toLowerCase(), Number(u.id));
      r.new_owners.push(name);
    }
  }
  const ownerOf = (l: Lead) =>
    l.owner !== null ? (owners.get(l.owner.toLowerCase()) ?? null) : l.deal_key ? (deals.get(l.deal_key)?.owner_id ?? null) : null;
  // Upsert on lead_id in chunks; unchanged rows are not written.
  for (let i = 0; i < rows.length; i += 2000) {
    const part = rows.slice(i, i + 2000);
    const col = <T>(f: (l: Lead) => T) => part.map(f);
    const res = await tx.query<{ inserted: boolean }>(sql`
      insert into leads as l (workspace_id, external_id, title, created_at, updated_at, channel_id, campaign, company_name, industry, employees,
                              region, utm_source, utm_medium, utm_campaign, deal_id, owner_id, status)
      select ${t.ws}, x.key, x.title, x.created_at, ${t.now}, x.channel_id, x.campaign, x.company, x.industry, x.employees, x.region,
             x.utm_source, x.utm_medium, x.utm_campaign, x.deal_id, x.owner_id, case when x.deal_id is null then 'new' else 'converted' end
        from unnest(${col((l) => l.key)}::text[], ${col((l) => l.title)}::text[], ${col((l) => l.created_at)}::timestamptz[],
                    ${col((l) => l.channel_id)}::int8[], ${col((l) => l.fields.campaign)}::text[], ${col((l) => l.fields.company)}::text[],
                    ${col((l) => l.fields.industry)}::text[], ${col((l) => l.employees)}::int4[], ${col((l) => l.fields.region)}::text[],
                    ${col((l) => l.fields.utm_source)}::text[], ${col((l) => l.fields.utm_medium)}::text[], ${col((l) => l.fields.utm_campaign)}::text[],
                    ${col((l) => (l.deal_key ? (deals.get(l.deal_key)?.id ?? null) : null))}::int8[],
                    ${col(ownerOf)}::int8[])
             as x(key, title, created_at, channel_id, campaign, company, industry, employees, region, utm_source, utm_medium, utm_campaign, deal_id, owner_id)
      on conflict (workspace_id, external_id) where external_id is not null do update set
        title = excluded.title, created_at = excluded.created_at, channel_id = excluded.channel_id, campaign = excluded.campaign,
        company_name = excluded.company_name, industry = excluded.industry, employees = excluded.employees, region = excluded.region,
        utm_source = excluded.utm_source, utm_medium = excluded.utm_medium, utm_campaign = excluded.utm_campaign,
        deal_id = excluded.deal_id, owner_id = coalesce(excluded.owner_id, l.owner_id),
        status = case when excluded.deal_id is not null then 'converted' when l.status = 'converted' then 'new' else l.status end,
        updated_at = excluded.updated_at, version = l.version + 1
      where (l.title, l.created_at, l.channel_id, l.campaign, l.company_name, l.industry, l.employees, l.region,
             l.utm_source, l.utm_medium, l.utm_campaign, l.deal_id)
            is distinct from
            (excluded.title, excluded.created_at, excluded.channel_id, excluded.campaign, excluded.company_name, excluded.industry,
             excluded.employees, excluded.region, excluded.utm_source, excluded.utm_medium, excluded.utm_campaign, excluded.deal_id)
      returning (xmax = 0) as inserted`);
    const created = res.filter((x) => x.inserted).length;
    r.leads_created += created;
    r.leads_updated += res.length - created;
  }
  r.leads_unchanged = rows.length - r.leads_created - r.leads_updated;
  r.leads_converted = rows.filter((l) => l.deal_key !== null).length;
}

async function importTouches(tx: Queryable, path: string, t: Target, r: MarketingReport, channels: Channels) {
  const file = 'touches.csv';
  const batch: { line: number; lead: string; channel_id: number; at: Date }[] = [];
  const seen = new Set<string>();
  for await (const row of readCsv(path, { columns: TOUCH_COLUMNS, required: ['lead_id', 'channel', 'at'] })) {
    r.touches_in_file++;
    const lead = cell(row, 'lead_id');
    if (!lead)
      throw rowError({ file, line: row.line, column: 'lead_id', value: '', reason: { en: 'lead_id is empty', ru: 'lead_id не указан' } });
    const name = cell(row, 'channel');
    if (!name)
      throw rowError({ file, line: row.line, column: 'channel', value: '', reason: { en: 'channel is empty', ru: 'канал не указан' } });
    const at = parseTouchInstant(cell(row, 'at'), 'at');
    if (!at.ok) throw rowError({ file, line: row.line, column: 'at', value: cell(row, 'at'), reason: bilingual(at.issue.message) });
    const channel_id = await channels.ensure(name);
    const k = `${lead}\u0000${channel_id}\u0000${at.at.getTime()}`;
    if (seen.has(k)) continue;
    seen.add(k);
    batch.push({ line: row.line, lead, channel_id, at: at.at });
  }
  const keys = [...new Set(batch.map((b) => b.lead))];
  const ids = new Map<string, number>();
  for (let i = 0; i < keys.length; i += 5000) {
    const found = await tx.query<{ external_id: string; id: number }>(
      sql`select external_id, id from leads where workspace_id = ${t.ws} and external_id = any(${keys.slice(i, i + 5000)}::text[])`,
    );
    for (const l of found) ids.set(l.external_id, Number(l.id));
  }
  for (const b of batch)
    if (!ids.has(b.lead))
      throw rowError({
        file,
        line: b.line,
        column: 'lead_id',
        value: b.lead,
        reason: {
          en: `no lead "${b.lead}" in leads.csv or in the workspace`,
          ru: `лида «${b.lead}» нет ни в leads.csv, ни в пространстве`,
        },
      });
  for (let i = 0; i < batch.length; i += 5000) {
    const part = batch.slice(i, i + 5000);
    const res = await tx.query<{ id: number }>(sql`
      insert into touches (workspace_id, lead_id, channel_id, at, created_at)
      select ${t.ws}, x.lead_id, x.channel_id, x.at, ${t.now}
        from unnest(${part.map((b) => ids.get(b.lead) as number)}::int8[], ${part.map((b) => b.channel_id)}::int8[], ${part.map((b) => b.at)}::timestamptz[])
             as x(lead_id, channel_id, at)
      on conflict (workspace_id, lead_id, channel_id, at) do nothing returning id`);
    r.touches_added += res.length;
  }
  r.touches_already_present = batch.length - r.touches_added;
}

async function importSpend(tx: Queryable, path: string, t: Target & { userId?: number | null }, r: MarketingReport, channels: Channels) {
  const file = 'spend.csv';
  const entries: { channel: number; month: string; amount: string; line: number }[] = [];
  const seen = new Map<string, { line: number; minor: number }>();
  for await (const row of readCsv(path, { columns: SPEND_COLUMNS, required: ['channel', 'month', 'amount'] })) {
    r.spend_in_file++;
    const name = cell(row, 'channel');
    const id = name ? await channels.find(name) : undefined;
    if (id === undefined)
      throw rowError({
        file,
        line: row.line,
        column: 'channel',
        value: name,
        reason: name
          ? { en: `no channel "${name}" in the bundle or the workspace`, ru: `канала «${name}» нет ни в выгрузке, ни в пространстве` }
          : { en: 'channel is empty', ru: 'канал не указан' },
      });
    const month = cell(row, 'month');
    if (!MONTH_RE.test(month))
      throw rowError({
        file,
        line: row.line,
        column: 'month',
        value: month,
        reason: { en: 'not a month: use YYYY-MM, e.g. 2025-03', ru: 'не месяц: используйте ГГГГ-ММ, например 2025-03' },
      });
    const amount = parseAmountMinor(cell(row, 'amount'), t.currency);
    if (!amount.ok)
      throw rowError({ file, line: row.line, column: 'amount', value: cell(row, 'amount'), reason: { en: amount.en, ru: amount.ru } });
    const k = `${id}|${month}`;
    const before = seen.get(k);
    if (before) {
      if (before.minor === amount.value) continue;
      throw rowError({
        file,
        line: row.line,
        column: 'month',
        value: `${name} ${month}`,
        reason: { en: `also on line ${before.line} with another amount`, ru: `есть и в строке ${before.line}, с другой суммой` },
      });
    }
    seen.set(k, { line: row.line, minor: amount.value });
    entries.push({ channel: id, month, amount: String(amount.value), line: row.line });
  }
  // Amounts are already minor units: hand them over as whole numbers of the smallest unit.
  const res = await upsertSpend(
    tx,
    t.ws,
    entries.map((e) => ({ channel: e.channel, month: e.month, amount: minorToDecimal(Number(e.amount), t.currency) })),
    { userId: t.userId ?? null, at: t.now },
    (i, f) => `${file}:${entries[i].line}:${f}`,
  );
  r.spend_created = res.created;
  r.spend_updated = res.updated;
  r.spend_unchanged = res.unchanged;
}
