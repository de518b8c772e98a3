import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { CASE_KINDS, type CaseKind, RECORDER_ROLES, type RecorderRole } from '../accounts/cases.ts';
import { syncRenewalTasks } from '../accounts/renewal-tasks.ts';
import { readAccountSettings, saveAccountSettings } from '../accounts/settings.ts';
import { parseInstant as parseOffsetInstant } from '../marketing/touches.ts';
import type { Queryable } from '../platform/db/types.ts';
import type { Msg } from '../platform/errors.ts';
import { endOfListSql } from '../platform/resource/named-list.ts';
import { type CsvHeader, type CsvRow, readCsv } from './csv-source.ts';
import { rowError } from './import-errors.ts';
import { parseAmountMinor } from './values.ts';

/**
 * The bundle's optional key-account files of kpi.md: contracts.csv and cases.csv, and the
 * workspace's `gross_margin` of pipeline.json. Read in the import's transaction after deals, the
 * history and the marketing files are merged, so a case's `deal_id` may name a deal of this bundle
 * or one already in the workspace. Every row of both files is read and checked before anything is
 * written; the first bad row stops the whole import with file, line, column and value. Idempotent:
 * contracts on `contract_id`, cases on `case_id` (an unchanged row is not written). Companies are
 * matched by name as deals.csv matches them and created when new (a contract of a company no deal
 * names is no error); product groups by name, case-insensitively, created when new; owners as
 * deals.csv's owners (by name, else by e-mail), created without sign-in when new. The renewal task
 * of every contract the import changed — and of the other contracts of its company and product
 * group, which a new contract may renew — is kept by syncRenewalTasks, as on every other path.
 */

export const CONTRACT_COLUMNS = {
  contract_id: ['id договора', 'ид договора', 'номер договора', 'договор'],
  company: ['компания', 'клиент', 'организация', 'account'],
  product_group: ['продуктовая группа', 'группа продуктов', 'product group'],
  start: ['начало', 'дата начала', 'start_date'],
  end: ['окончание', 'дата окончания', 'end_date'],
  mrr: ['ежемесячный платёж', 'ежемесячный платеж'],
  owner: ['ответственный', 'менеджер', 'владелец'],
};
export const CASE_COLUMNS = {
  case_id: ['id обращения', 'ид обращения', 'номер обращения', 'обращение'],
  company: ['компания', 'клиент', 'организация', 'account'],
  deal_id: ['id сделки', 'сделка'],
  kind: ['вид', 'тип'],
  opened_at: ['открыто', 'дата обращения', 'opened'],
  closed_at: ['закрыто', 'дата закрытия', 'closed'],
  recorder_role: ['роль', 'роль записавшего'],
  // More columns may follow (kpi.md); this one is kept.
  title: ['тема', 'название'],
};

export const accountsReportSchema = z.object({
  contracts_in_file: z.number().int(),
  contracts_created: z.number().int(),
  contracts_updated: z.number().int(),
  contracts_unchanged: z.number().int(),
  overlapping_contracts: z
    .number()
    .int()
    .describe('Contracts of the file whose dates overlap another contract of the same company and product group (allowed, counted)'),
  renewal_tasks_created: z.number().int().describe('Renewal tasks the import created (contracts ending in the future, not renewed)'),
  cases_in_file: z.number().int(),
  cases_created: z.number().int(),
  cases_updated: z.number().int(),
  cases_unchanged: z.number().int(),
  new_companies: z.array(z.string()).describe('Companies named by contracts.csv or cases.csv and no deal: created'),
  new_product_groups: z.array(z.string()),
  new_owners: z.array(z.string()).describe('Users named by contracts.csv’s owner column, created without sign-in'),
  gross_margin: z.number().nullable().describe('The gross margin pipeline.json sets for the workspace (null: it sets none)'),
  gross_margin_changed: z.boolean(),
});
export type AccountsReport = z.infer<typeof accountsReportSchema>;

const ACCOUNT_FILES = ['contracts.csv', 'cases.csv'] as const;

function emptyAccountsReport(): AccountsReport {
  return {
    contracts_in_file: 0,
    contracts_created: 0,
    contracts_updated: 0,
    contracts_unchanged: 0,
    overlapping_contracts: 0,
    renewal_tasks_created: 0,
    cases_in_file: 0,
    cases_created: 0,
    cases_updated: 0,
    cases_unchanged: 0,
    new_companies: [],
    new_product_groups: [],
    new_owners: [],
    gross_margin: null,
    gross_margin_changed: false,
  };
}

export const accountsChanged = (r: AccountsReport | null) =>
  r !== null &&
  (r.contracts_created + r.contracts_updated + r.cases_created + r.cases_updated + r.renewal_tasks_created > 0 ||
    r.gross_margin_changed ||
    r.new_companies.length + r.new_product_groups.length + r.new_owners.length > 0);

/**
 * pipeline.json's `gross_margin`: a number in (0, 1] (kpi.md; absent: the workspace keeps its own,
 * 1 for a new one). Checked with the other fields of pipeline.json, before anything is written.
 */
export function grossMarginProblem(json: unknown): { value: string; reason: Msg } | null {
  if (typeof json !== 'object' || json === null || !('gross_margin' in json)) return null;
  const v = (json as { gross_margin: unknown }).gross_margin;
  if (typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 1) return null;
  return {
    value: JSON.stringify(v) ?? String(v),
    reason: {
      en: 'gross_margin must be a number in (0, 1], e.g. 0.7',
      ru: 'gross_margin должна быть числом в интервале (0, 1], например 0.7',
    },
  };
}

interface Target {
  ws: number;
  currency: string;
  /** The workspace's language: the title an imported case gets when the file gives none. */
  locale: string;
  now: Date;
  /** pipeline.json's gross_margin, if it has one. */
  grossMargin?: number;
  /** Each file's header as read (the encoding and the columns ignored). */
  onHeader?: (file: string, h: CsvHeader) => void;
}

/** Reads and writes contracts.csv, cases.csv and the gross margin when the bundle has them; null when it has none. */
export async function importAccountFiles(tx: Queryable, dir: string, t: Target): Promise<AccountsReport | null> {
  const has = (f: string) => existsSync(join(dir, f));
  if (!ACCOUNT_FILES.some(has) && t.grossMargin === undefined) return null;
  const r = emptyAccountsReport();
  // Everything is read and checked first; only then written.
  const contracts = has('contracts.csv') ? await readContracts(join(dir, 'contracts.csv'), t, r) : [];
  const cases = has('cases.csv') ? await readCases(join(dir, 'cases.csv'), t, r) : [];
  const deals = await checkCaseDeals(tx, t.ws, cases);

  if (t.grossMargin !== undefined) {
    const cur = await readAccountSettings(tx, t.ws);
    const next = await saveAccountSettings(tx, t.ws, { gross_margin: t.grossMargin, version: cur.version }, { userId: null, at: t.now });
    r.gross_margin = next.gross_margin;
    r.gross_margin_changed = next.gross_margin !== cur.gross_margin;
  }
  const companyNames = [...contracts.map((c) => c.company), ...cases.map((k) => k.company).filter((n): n is string => n !== null)];
  const companies = await ensureNamed(
    tx,
    t.ws,
    'companies',
    companyNames,
    (n) =>
      sql`insert into companies (workspace_id, name, created_at, updated_at) select ${t.ws}, n, ${t.now}, ${t.now} from unnest(${n}::text[]) as n`,
  );
  r.new_companies = companies.created;
  if (contracts.length) await writeContracts(tx, t, r, contracts, companies.ids);
  if (cases.length) await writeCases(tx, t, r, cases, companies.ids, deals);
  return r;
}

const cell = (row: CsvRow, k: string) => (row.values[k] ?? '').trim();
const orNull = (s: string) => (s === '' ? null : s);

/** A problem of one cell: the file, its line, the column and the value as written. */
const bad = (file: string, row: { line: number }, column: string, value: string, en: string, ru: string) =>
  rowError({ file, line: row.line, column, value, reason: { en, ru } });

/** Present and at most `max` characters. */
function text(file: string, row: CsvRow, column: string, max: number, required: boolean): string | null {
  const v = cell(row, column);
  if (!v && required) throw bad(file, row, column, '', `${column} is empty`, `${column} не указан`);
  if (v.length > max) throw bad(file, row, column, v, `longer than ${max} characters`, `длиннее ${max} символов`);
  return orNull(v);
}

/** A calendar day as `YYYY-MM-DD` (or as Russian Excel rewrites it, `DD.MM.YYYY`), within 1990–2200. */
function parseDay(raw: string): { ok: true; day: string } | { ok: false; en: string; ru: string } {
  const s = raw.trim();
  if (s === '') return { ok: false, en: 'date is empty', ru: 'дата не указана' };
  const d = /^\d{4}-\d{2}-\d{2}$/.test(s)
    ? DateTime.fromISO(s)
    : /^\d{2}\.\d{2}\.\d{4}$/.test(s)
      ? DateTime.fromFormat(s, 'dd.MM.yyyy')
      : null;
  if (!d?.isValid)
    return {
      ok: false,
      en: `"${raw}" is not a date: use YYYY-MM-DD, e.g. 2025-03-01`,
      ru: `«${raw}» — не дата: используйте ГГГГ-ММ-ДД, например 2025-03-01`,
    };
  if (d.year < 1990 || d.year > 2200) return { ok: false, en: `"${raw}" is outside 1990–2200`, ru: `«${raw}» вне диапазона 1990–2200` };
  return { ok: true, day: d.toISODate() as string };
}

/** Refuses the second row of a key: the file's key names one record. */
function once<T extends { line: number }>(seen: Map<string, T>, key: string, item: T, file: string, column: string) {
  const before = seen.get(key);
  if (before)
    throw bad(
      file,
      item,
      column,
      key,
      `${column} ${key} is also on line ${before.line}`,
      `${column} ${key} есть и в строке ${before.line}`,
    );
  seen.set(key, item);
}

interface ContractRow {
  line: number;
  key: string;
  company: string;
  product_group: string;
  start: string;
  end: string;
  mrr_minor: number;
  owner: string | null;
}

async function readContracts(path: string, t: Target, r: AccountsReport): Promise<ContractRow[]> {
  const file = 'contracts.csv';
  const seen = new Map<string, ContractRow>();
  const onHeader = (h: CsvHeader) => t.onHeader?.(file, h);
  for await (const row of readCsv(path, { columns: CONTRACT_COLUMNS, required: Object.keys(CONTRACT_COLUMNS) }, { onHeader })) {
    r.contracts_in_file++;
    const key = text(file, row, 'contract_id', 200, true) as string;
    const company = text(file, row, 'company', 300, true) as string;
    const product_group = text(file, row, 'product_group', 200, true) as string;
    const start = parseDay(cell(row, 'start'));
    if (!start.ok) throw bad(file, row, 'start', cell(row, 'start'), start.en, start.ru);
    const end = parseDay(cell(row, 'end'));
    if (!end.ok) throw bad(file, row, 'end', cell(row, 'end'), end.en, end.ru);
    if (end.day <= start.day)
      throw bad(
        file,
        row,
        'end',
        cell(row, 'end'),
        `the end (${end.day}) must be after the start (${start.day}): the end is exclusive`,
        `окончание (${end.day}) должно быть позже начала (${start.day}): день окончания в договор не входит`,
      );
    const mrr = parseAmountMinor(cell(row, 'mrr'), t.currency);
    if (!mrr.ok) throw bad(file, row, 'mrr', cell(row, 'mrr'), mrr.en, mrr.ru);
    const owner = text(file, row, 'owner', 200, false);
    const c: ContractRow = { line: row.line, key, company, product_group, start: start.day, end: end.day, mrr_minor: mrr.value, owner };
    once(seen, key, c, file, 'contract_id');
  }
  return [...seen.values()];
}

interface CaseRow {
  line: number;
  key: string;
  company: string | null;
  deal_key: string | null;
  kind: CaseKind;
  opened_at: Date;
  closed_at: Date | null;
  recorder_role: RecorderRole;
  title: string | null;
}

const KINDS_EN = 'complaint, claim, question or praise';

async function readCases(path: string, t: Target, r: AccountsReport): Promise<CaseRow[]> {
  const file = 'cases.csv';
  const seen = new Map<string, CaseRow>();
  const onHeader = (h: CsvHeader) => t.onHeader?.(file, h);
  const required = Object.keys(CASE_COLUMNS).filter((c) => c !== 'title');
  for await (const row of readCsv(path, { columns: CASE_COLUMNS, required }, { onHeader })) {
    r.cases_in_file++;
    const key = text(file, row, 'case_id', 200, true) as string;
    const company = text(file, row, 'company', 300, false);
    const deal_key = text(file, row, 'deal_id', 200, false);
    if (company === null && deal_key === null)
      throw bad(
        file,
        row,
        'company',
        '',
        'company is empty (it may be left empty only when deal_id names a deal of a company)',
        'компания не указана (её можно не указывать, только если deal_id называет сделку с компанией)',
      );
    const kind = cell(row, 'kind').toLowerCase();
    if (!(CASE_KINDS as readonly string[]).includes(kind))
      throw bad(
        file,
        row,
        'kind',
        cell(row, 'kind'),
        `not a kind of case: one of ${KINDS_EN}`,
        `не вид обращения: одно из complaint (жалоба), claim (рекламация), question (вопрос), praise (благодарность)`,
      );
    const role = cell(row, 'recorder_role').toLowerCase();
    if (!(RECORDER_ROLES as readonly string[]).includes(role))
      throw bad(
        file,
        row,
        'recorder_role',
        cell(row, 'recorder_role'),
        'not a recorder role: service or sales',
        'не роль записавшего: service (сервис) или sales (продажи)',
      );
    const opened = parseOffsetInstant(cell(row, 'opened_at'), 'opened_at');
    if (!opened.ok)
      throw rowError({ file, line: row.line, column: 'opened_at', value: cell(row, 'opened_at'), reason: both(opened.issue.message) });
    let closed_at: Date | null = null;
    if (cell(row, 'closed_at') !== '') {
      const closed = parseOffsetInstant(cell(row, 'closed_at'), 'closed_at');
      if (!closed.ok)
        throw rowError({ file, line: row.line, column: 'closed_at', value: cell(row, 'closed_at'), reason: both(closed.issue.message) });
      if (closed.at.getTime() < opened.at.getTime())
        throw bad(
          file,
          row,
          'closed_at',
          cell(row, 'closed_at'),
          `closed before it was opened (${cell(row, 'opened_at')})`,
          `закрыто раньше, чем открыто (${cell(row, 'opened_at')})`,
        );
      closed_at = closed.at;
    }
    const title = text(file, row, 'title', 300, false);
    const k: CaseRow = {
      line: row.line,
      key,
      company,
      deal_key,
      kind: kind as CaseKind,
      opened_at: opened.at,
      closed_at,
      recorder_role: role as RecorderRole,
      title,
    };
    once(seen, key, k, file, 'case_id');
  }
  return [...seen.values()];
}

const both = (m: string | Msg): Msg => (typeof m === 'string' ? { en: m, ru: m } : m);

type DealRef = { id: number; company_id: number | null; company: string | null };

/**
 * Every deal_id of cases.csv names a deal of the bundle or of the workspace, of the case's company
 * (a deal without a company fits any). Checked before anything is written.
 */
async function checkCaseDeals(tx: Queryable, ws: number, cases: CaseRow[]): Promise<Map<string, DealRef>> {
  const file = 'cases.csv';
  const keys = [...new Set(cases.map((k) => k.deal_key).filter((k): k is string => k !== null))];
  const deals = new Map<string, DealRef>();
  for (let i = 0; i < keys.length; i += 5000) {
    const found = await tx.query<{ external_id: string; id: number; company_id: number | null; company: string | null }>(sql`
      select d.external_id, d.id, d.company_id, co.name as company
        from deals d left join companies co on co.workspace_id = d.workspace_id and co.id = d.company_id
       where d.workspace_id = ${ws} and d.external_id = any(${keys.slice(i, i + 5000)}::text[])`);
    for (const d of found)
      deals.set(d.external_id, { id: Number(d.id), company_id: d.company_id === null ? null : Number(d.company_id), company: d.company });
  }
  // The case's company as deals.csv would match it (none yet: another company than any deal's).
  const names = await companyIds(
    tx,
    ws,
    cases.map((k) => k.company).filter((n): n is string => n !== null),
  );
  for (const k of cases) {
    if (k.deal_key === null) continue;
    const d = deals.get(k.deal_key);
    if (!d)
      throw bad(
        file,
        k,
        'deal_id',
        k.deal_key,
        `no deal "${k.deal_key}" in deals.csv or in the workspace`,
        `сделки «${k.deal_key}» нет ни в deals.csv, ни в пространстве`,
      );
    if (k.company === null && d.company_id === null)
      throw bad(
        file,
        k,
        'company',
        '',
        `company is empty and deal "${k.deal_key}" has none`,
        `компания не указана, и у сделки «${k.deal_key}» её нет`,
      );
    if (k.company !== null && d.company_id !== null && names.get(k.company) !== d.company_id)
      throw bad(
        file,
        k,
        'deal_id',
        k.deal_key,
        `deal "${k.deal_key}" is of company "${d.company}", not of the case's company "${k.company}"`,
        `сделка «${k.deal_key}» относится к компании «${d.company}», а не к компании обращения «${k.company}»`,
      );
  }
  return deals;
}

/** Name → id of the rows of `table` with that name, case-insensitively (the first by id, as deals.csv matches). */
async function idsByName(tx: Queryable, ws: number, table: 'companies' | 'product_groups', names: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const distinct = [...new Set(names)];
  for (let i = 0; i < distinct.length; i += 5000) {
    const part = distinct.slice(i, i + 5000);
    const rows = await tx.query<{ n: string; id: number | null }>(
      table === 'companies'
        ? sql`select x.n, (select c.id from companies c where c.workspace_id = ${ws} and lower(c.name) = lower(x.n) order by c.id limit 1) as id
                from unnest(${part}::text[]) as x(n)`
        : sql`select x.n, (select g.id from product_groups g where g.workspace_id = ${ws} and lower(g.name) = lower(x.n) order by g.id limit 1) as id
                from unnest(${part}::text[]) as x(n)`,
    );
    for (const r of rows) if (r.id !== null) out.set(r.n, Number(r.id));
  }
  return out;
}
const companyIds = (tx: Queryable, ws: number, names: string[]) => idsByName(tx, ws, 'companies', names);

/**
 * Finds names in `table` (case-insensitively) and creates the missing ones, each once under its
 * first spelling; returns name → id for every name given, and the names created (sorted).
 */
async function ensureNamed(
  tx: Queryable,
  ws: number,
  table: 'companies' | 'product_groups',
  names: string[],
  insert: (missing: string[]) => ReturnType<typeof sql>,
): Promise<{ ids: Map<string, number>; created: string[] }> {
  const ids = await idsByName(tx, ws, table, names);
  const missing = [...new Set(names.filter((n) => !ids.has(n)))];
  if (missing.length === 0) return { ids, created: [] };
  // One per name without regard to case, under the spelling that comes first.
  const firsts = await tx.query<{ n: string }>(
    sql`select distinct on (lower(x.n)) x.n from unnest(${missing}::text[]) with ordinality as x(n, i) order by lower(x.n), x.i`,
  );
  const created = firsts.map((f) => f.n);
  await tx.query(insert(created));
  for (const [n, id] of await idsByName(tx, ws, table, missing)) ids.set(n, id);
  return { ids, created: created.sort() };
}

/** Owners by name, else by e-mail; new ones created without sign-in, as deals.csv creates its owners. */
async function ensureOwners(tx: Queryable, t: Target, r: AccountsReport, names: string[]): Promise<Map<string, number>> {
  const distinct = [...new Set(names)];
  const out = new Map<string, number>();
  if (distinct.length === 0) return out;
  const find = async (list: string[]) => {
    const rows = await tx.query<{ n: string; id: number | null }>(sql`
      select x.n, coalesce(
        (select u.id from users u where u.workspace_id = ${t.ws} and lower(u.name) = lower(x.n) order by u.id limit 1),
        (select u.id from users u where u.workspace_id = ${t.ws} and lower(u.email) = lower(x.n) order by u.id limit 1)) as id
        from unnest(${list}::text[]) as x(n)`);
    for (const u of rows) if (u.id !== null) out.set(u.n, Number(u.id));
  };
  await find(distinct);
  const missing = distinct.filter((n) => !out.has(n));
  if (missing.length === 0) return out;
  const firsts = await tx.query<{ n: string }>(
    sql`select distinct on (lower(x.n)) x.n from unnest(${missing}::text[]) with ordinality as x(n, i) order by lower(x.n), x.i`,
  );
  await tx.query(sql`insert into users (workspace_id, name, role, created_at, updated_at)
                     select ${t.ws}, n, 'manager', ${t.now}, ${t.now} from unnest(${firsts.map((f) => f.n)}::text[]) as n`);
  r.new_owners = firsts.map((f) => f.n).sort();
  await find(missing);
  return out;
}

async function writeContracts(tx: Queryable, t: Target, r: AccountsReport, rows: ContractRow[], companies: Map<string, number>) {
  const groups = await ensureNamed(
    tx,
    t.ws,
    'product_groups',
    rows.map((c) => c.product_group),
    (n) =>
      // At the end of the list, as a group made in the app goes.
      sql`insert into product_groups (workspace_id, name, position, created_at, updated_at)
          select ${t.ws}, n, ${endOfListSql('product_groups', t.ws, sql`i`)}, ${t.now}, ${t.now}
            from unnest(${n}::text[]) with ordinality as u(n, i)`,
  );
  r.new_product_groups = groups.created;
  const owners = await ensureOwners(
    tx,
    t,
    r,
    rows.map((c) => c.owner).filter((o): o is string => o !== null),
  );
  const want = rows.map((c) => ({
    key: c.key,
    company_id: companies.get(c.company) as number,
    product_group_id: groups.ids.get(c.product_group) as number,
    start: c.start,
    end: c.end,
    mrr_minor: c.mrr_minor,
    owner_id: c.owner === null ? null : (owners.get(c.owner) as number),
  }));
  type Want = (typeof want)[number];
  const existing = new Map<string, Want & { id: number }>();
  for (let i = 0; i < want.length; i += 5000) {
    const found = await tx.query<Want & { id: number }>(sql`
      select id, external_id as key, company_id, product_group_id, to_char(start_date, 'YYYY-MM-DD') as start,
             to_char(end_date, 'YYYY-MM-DD') as end, mrr_minor, owner_id
        from contracts where workspace_id = ${t.ws} and external_id = any(${want.slice(i, i + 5000).map((w) => w.key)}::text[])`);
    for (const c of found)
      existing.set(c.key, {
        ...c,
        id: Number(c.id),
        company_id: Number(c.company_id),
        product_group_id: Number(c.product_group_id),
        mrr_minor: Number(c.mrr_minor),
        owner_id: c.owner_id === null ? null : Number(c.owner_id),
      });
  }
  const same = (a: Want, b: Want) =>
    a.company_id === b.company_id &&
    a.product_group_id === b.product_group_id &&
    a.start === b.start &&
    a.end === b.end &&
    a.mrr_minor === b.mrr_minor &&
    a.owner_id === b.owner_id;
  const fresh = want.filter((w) => !existing.has(w.key));
  const changed = want.filter((w) => {
    const e = existing.get(w.key);
    return e !== undefined && !same(e, w);
  });
  // The company and product group of every contract written, before and after: their renewal tasks are re-kept.
  const pairs = [...fresh, ...changed, ...changed.map((w) => existing.get(w.key) as Want)];
  const col = <T>(part: Want[], f: (w: Want) => T) => part.map(f);
  for (let i = 0; i < fresh.length; i += 2000) {
    const part = fresh.slice(i, i + 2000);
    r.contracts_created += await tx.run(sql`
      insert into contracts (workspace_id, external_id, company_id, product_group_id, start_date, end_date, mrr_minor, owner_id,
                             created_at, updated_at)
      select ${t.ws}, x.key, x.company_id, x.product_group_id, x.start_date, x.end_date, x.mrr_minor, x.owner_id, ${t.now}, ${t.now}
        from unnest(${col(part, (w) => w.key)}::text[], ${col(part, (w) => w.company_id)}::int8[], ${col(part, (w) => w.product_group_id)}::int8[],
                    ${col(part, (w) => w.start)}::date[], ${col(part, (w) => w.end)}::date[], ${col(part, (w) => w.mrr_minor)}::int8[],
                    ${col(part, (w) => w.owner_id)}::int8[])
             as x(key, company_id, product_group_id, start_date, end_date, mrr_minor, owner_id)`);
  }
  for (let i = 0; i < changed.length; i += 2000) {
    const part = changed.slice(i, i + 2000);
    r.contracts_updated += await tx.run(sql`
      update contracts c set company_id = x.company_id, product_group_id = x.product_group_id, start_date = x.start_date,
                             end_date = x.end_date, mrr_minor = x.mrr_minor, owner_id = x.owner_id, updated_at = ${t.now},
                             version = c.version + 1
        from unnest(${col(part, (w) => w.key)}::text[], ${col(part, (w) => w.company_id)}::int8[], ${col(part, (w) => w.product_group_id)}::int8[],
                    ${col(part, (w) => w.start)}::date[], ${col(part, (w) => w.end)}::date[], ${col(part, (w) => w.mrr_minor)}::int8[],
                    ${col(part, (w) => w.owner_id)}::int8[])
             as x(key, company_id, product_group_id, start_date, end_date, mrr_minor, owner_id)
       where c.workspace_id = ${t.ws} and c.external_id = x.key`);
  }
  r.contracts_unchanged = want.length - r.contracts_created - r.contracts_updated;
  if (pairs.length) {
    const ids = (
      await tx.query<{ id: number }>(sql`
        select c.id from contracts c
          join (select distinct * from unnest(${pairs.map((p) => p.company_id)}::int8[], ${pairs.map((p) => p.product_group_id)}::int8[])
                as p(company_id, product_group_id)) p on p.company_id = c.company_id and p.product_group_id = c.product_group_id
         where c.workspace_id = ${t.ws}`)
    ).map((c) => Number(c.id));
    const tasks = () =>
      tx
        .query<{ n: number }>(sql`select count(*)::int8 as n from tasks where workspace_id = ${t.ws} and contract_id = any(${ids}::int8[])`)
        .then((x) => Number(x[0].n));
    const before = await tasks();
    await syncRenewalTasks(tx, t.ws, t.now, { contractIds: ids });
    r.renewal_tasks_created = (await tasks()) - before;
  }
  const [{ n }] = await tx.query<{ n: number }>(sql`
    select count(*)::int8 as n from contracts c
     where c.workspace_id = ${t.ws} and c.external_id = any(${want.map((w) => w.key)}::text[])
       and exists (select 1 from contracts o
                    where o.workspace_id = c.workspace_id and o.company_id = c.company_id and o.product_group_id = c.product_group_id
                      and o.id <> c.id and o.start_date < c.end_date and c.start_date < o.end_date)`);
  r.overlapping_contracts = Number(n);
}

async function writeCases(
  tx: Queryable,
  t: Target,
  r: AccountsReport,
  rows: CaseRow[],
  companies: Map<string, number>,
  deals: Map<string, DealRef>,
) {
  const want = rows.map((k) => {
    const deal = k.deal_key === null ? null : (deals.get(k.deal_key) as DealRef);
    return {
      key: k.key,
      kind: k.kind as string,
      company_id: k.company !== null ? (companies.get(k.company) as number) : (deal?.company_id as number),
      deal_id: deal?.id ?? null,
      opened_at: k.opened_at,
      closed_at: k.closed_at,
      recorder_role: k.recorder_role as string,
      // Without a title column (or an empty title) a new case gets one; an existing case keeps its own.
      title: k.title,
    };
  });
  type Want = (typeof want)[number];
  const existing = new Map<string, Want & { id: number; title: string }>();
  for (let i = 0; i < want.length; i += 5000) {
    const found = await tx.query<Want & { id: number; title: string }>(sql`
      select id, external_id as key, kind, company_id, deal_id, opened_at, closed_at, recorder_role, title
        from service_cases where workspace_id = ${t.ws} and external_id = any(${want.slice(i, i + 5000).map((w) => w.key)}::text[])`);
    for (const k of found)
      existing.set(k.key, { ...k, company_id: Number(k.company_id), deal_id: k.deal_id === null ? null : Number(k.deal_id) });
  }
  const time = (d: Date | null) => (d === null ? null : d.getTime());
  const same = (a: Want & { title: string }, b: Want) =>
    a.kind === b.kind &&
    a.company_id === b.company_id &&
    a.deal_id === b.deal_id &&
    time(a.opened_at) === time(b.opened_at) &&
    time(a.closed_at) === time(b.closed_at) &&
    a.recorder_role === b.recorder_role &&
    (b.title === null || a.title === b.title);
  const fresh = want.filter((w) => !existing.has(w.key));
  const changed = want.filter((w) => {
    const e = existing.get(w.key);
    return e !== undefined && !same(e, w);
  });
  const defaultTitle = (key: string) => (t.locale === 'en' ? `Imported case ${key}` : `Обращение ${key} (импорт)`);
  const col = <T>(part: Want[], f: (w: Want) => T) => part.map(f);
  for (let i = 0; i < fresh.length; i += 2000) {
    const part = fresh.slice(i, i + 2000);
    r.cases_created += await tx.run(sql`
      insert into service_cases (workspace_id, external_id, kind, company_id, deal_id, title, status, opened_at, closed_at, recorder_role,
                                 created_at, updated_at)
      select ${t.ws}, x.key, x.kind, x.company_id, x.deal_id, x.title, case when x.closed_at is null then 'open' else 'resolved' end,
             x.opened_at, x.closed_at, x.recorder_role, ${t.now}, ${t.now}
        from unnest(${col(part, (w) => w.key)}::text[], ${col(part, (w) => w.kind)}::text[], ${col(part, (w) => w.company_id)}::int8[],
                    ${col(part, (w) => w.deal_id)}::int8[], ${col(part, (w) => w.title ?? defaultTitle(w.key))}::text[],
                    ${col(part, (w) => w.opened_at)}::timestamptz[], ${col(part, (w) => w.closed_at)}::timestamptz[],
                    ${col(part, (w) => w.recorder_role)}::text[])
             as x(key, kind, company_id, deal_id, title, opened_at, closed_at, recorder_role)`);
  }
  // A status set by hand stays while the file agrees on open or closed (in progress stays open, rejected stays closed).
  for (let i = 0; i < changed.length; i += 2000) {
    const part = changed.slice(i, i + 2000);
    r.cases_updated += await tx.run(sql`
      update service_cases k set kind = x.kind, company_id = x.company_id, deal_id = x.deal_id, title = coalesce(x.title, k.title),
                                 opened_at = x.opened_at, closed_at = x.closed_at, recorder_role = x.recorder_role,
                                 status = case when x.closed_at is null
                                               then case when k.status in ('open', 'in_progress') then k.status else 'open' end
                                               else case when k.status in ('resolved', 'rejected') then k.status else 'resolved' end end,
                                 updated_at = ${t.now}, version = k.version + 1
        from unnest(${col(part, (w) => w.key)}::text[], ${col(part, (w) => w.kind)}::text[], ${col(part, (w) => w.company_id)}::int8[],
                    ${col(part, (w) => w.deal_id)}::int8[], ${col(part, (w) => w.title)}::text[],
                    ${col(part, (w) => w.opened_at)}::timestamptz[], ${col(part, (w) => w.closed_at)}::timestamptz[],
                    ${col(part, (w) => w.recorder_role)}::text[])
             as x(key, kind, company_id, deal_id, title, opened_at, closed_at, recorder_role)
       where k.workspace_id = ${t.ws} and k.external_id = x.key`);
  }
  r.cases_unchanged = want.length - r.cases_created - r.cases_updated;
}
