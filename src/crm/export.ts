import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql, { raw } from 'sql-template-tag';
import { z } from 'zod';
import { DRILL_METRICS, type DrillItem, funnelDeals } from '../analytics/funnel-deals.ts';
import { funnelParamsSchema } from '../analytics/funnel-query.ts';
import { funnelQueryForCaller } from '../analytics/report-scope.ts';
import { scopeFor, visibleSql } from '../platform/auth/access.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable, Row } from '../platform/db/types.ts';
import { type ExportCell, type ExportColumn, type ExportTable, tableCsv, tableXlsx } from '../platform/export/table-export.ts';
import { toMinor } from '../platform/money.ts';
import { customFilterSql, listQuerySchema, listRecords, type Resource, schemasOf } from '../platform/resource/resource.ts';
import { errorResponses, principalOf, scoped } from '../platform/resource/resource-routes.ts';
import { tasks } from '../process/tasks.ts';
import { companies } from './companies.ts';
import { contacts } from './contacts.ts';
import { deals } from './deals.ts';
import { leads } from './leads.ts';

/**
 * Export of a list — deals, companies, contacts, leads, tasks, with the list's own filters and sort
 * and the caller's scope — or of the deals behind a funnel figure, as CSV or XLSX
 * (`GET /api/v1/export/{list}.csv|.xlsx`). Every row, read page by page along the list's keyset, up
 * to EXPORT_MAX_ROWS; a longer list is cut there and the answer says so in `x-export-truncated`.
 * Columns are what the list shows, with names instead of ids (owner, company, stage, …).
 */
export const EXPORT_MAX_ROWS = 100_000;
const PAGE = 500;

type Lang = 'ru' | 'en';
type Names = Record<'users' | 'companies' | 'contacts' | 'stages' | 'channels' | 'deals', Map<number, string>>;
interface Col {
  ru: string;
  en: string;
  width: number;
  cell: (r: Row, n: Names, lang: Lang) => ExportCell;
}

const text = (v: unknown): ExportCell => ({ kind: 'text', value: v === null || v === undefined ? null : String(v) });
const num = (v: unknown): ExportCell => ({ kind: 'number', value: typeof v === 'number' ? v : null });
const time = (v: unknown): ExportCell => ({ kind: 'time', value: typeof v === 'string' ? v : null });
const name = (kind: keyof Names, field: string) => (r: Row, n: Names) =>
  text(r[field] === null || r[field] === undefined ? null : (n[kind].get(Number(r[field])) ?? `#${r[field]}`));
const label =
  (field: string, words: Record<Lang, Record<string, string>>) =>
  (r: Row, _n: Names, lang: Lang): ExportCell =>
    text(r[field] === null ? null : (words[lang][String(r[field])] ?? r[field]));
const yesNo = (field: string) => (r: Row, _n: Names, lang: Lang) =>
  text(r[field] ? (lang === 'ru' ? 'Да' : 'Yes') : lang === 'ru' ? 'Нет' : 'No');

const DEAL_STATUS = { ru: { open: 'В работе', won: 'Выиграна', lost: 'Проиграна' }, en: { open: 'Open', won: 'Won', lost: 'Lost' } };
const LEAD_STATUS = {
  ru: { new: 'Новый', working: 'В работе', qualified: 'Квалифицирован', disqualified: 'Отклонён', converted: 'Переведён в сделку' },
  en: { new: 'New', working: 'Working', qualified: 'Qualified', disqualified: 'Disqualified', converted: 'Converted to a deal' },
};
const TASK_TYPE = {
  ru: {
    call: 'Звонок',
    meeting: 'Встреча',
    email: 'Письмо',
    proposal: 'Коммерческое предложение',
    follow_up: 'Повторный контакт',
    document: 'Документы',
    other: 'Другое',
  },
  en: {
    call: 'Call',
    meeting: 'Meeting',
    email: 'E-mail',
    proposal: 'Proposal',
    follow_up: 'Follow-up',
    document: 'Documents',
    other: 'Other',
  },
};
const TASK_STATUS = {
  ru: { open: 'Открыта', done: 'Выполнена', skipped: 'Пропущена', cancelled: 'Отменена' },
  en: { open: 'Open', done: 'Done', skipped: 'Skipped', cancelled: 'Cancelled' },
};

const id: Col = { ru: '№', en: 'ID', width: 8, cell: (r) => num(r.id) };
const owner: Col = { ru: 'Ответственный', en: 'Owner', width: 24, cell: name('users', 'owner_id') };
const company: Col = { ru: 'Компания', en: 'Company', width: 32, cell: name('companies', 'company_id') };
const phone: Col = { ru: 'Телефон', en: 'Phone', width: 18, cell: (r) => text(r.phone) };
const email: Col = { ru: 'E-mail', en: 'E-mail', width: 28, cell: (r) => text(r.email) };
const created: Col = { ru: 'Создано', en: 'Created', width: 17, cell: (r) => time(r.created_at) };

/** The exported lists and their columns: the list page's, with a few the page shows on the card. */
export const EXPORTS: Record<string, { r: Resource; what: Record<Lang, string>; cols: Col[] }> = {
  deals: {
    r: deals,
    what: { ru: 'Сделки', en: 'Deals' },
    cols: [
      id,
      { ru: 'Название', en: 'Title', width: 40, cell: (r) => text(r.title) },
      company,
      { ru: 'Контакт', en: 'Contact', width: 24, cell: name('contacts', 'contact_id') },
      { ru: 'Этап', en: 'Stage', width: 22, cell: name('stages', 'stage_id') },
      { ru: 'Статус', en: 'Status', width: 12, cell: label('status', DEAL_STATUS) },
      owner,
      {
        ru: 'Сумма',
        en: 'Amount',
        width: 16,
        cell: (r) => ({ kind: 'money', minor: r.amount_minor as number, currency: String(r.currency) }),
      },
      { ru: 'Валюта', en: 'Currency', width: 8, cell: (r) => text(r.currency) },
      { ru: 'Регион', en: 'Region', width: 18, cell: (r) => text(r.region) },
      created,
      { ru: 'Закрыта', en: 'Closed', width: 17, cell: (r) => time(r.closed_at) },
    ],
  },
  companies: {
    r: companies,
    what: { ru: 'Компании', en: 'Companies' },
    cols: [
      id,
      { ru: 'Название', en: 'Name', width: 40, cell: (r) => text(r.name) },
      { ru: 'ИНН', en: 'INN', width: 14, cell: (r) => text(r.inn) },
      { ru: 'Отрасль', en: 'Industry', width: 20, cell: (r) => text(r.industry) },
      { ru: 'Город', en: 'City', width: 18, cell: (r) => text(r.city) },
      { ru: 'Сотрудников', en: 'Employees', width: 12, cell: (r) => num(r.employees) },
      phone,
      { ru: 'Сайт', en: 'Website', width: 24, cell: (r) => text(r.website) },
      owner,
      created,
    ],
  },
  contacts: {
    r: contacts,
    what: { ru: 'Контакты', en: 'Contacts' },
    cols: [
      id,
      { ru: 'Имя', en: 'Name', width: 30, cell: (r) => text(r.name) },
      company,
      { ru: 'Должность', en: 'Position', width: 24, cell: (r) => text(r.position) },
      email,
      phone,
      { ru: 'ЛПР', en: 'Decision maker', width: 8, cell: yesNo('is_decision_maker') },
      owner,
      created,
    ],
  },
  leads: {
    r: leads,
    what: { ru: 'Лиды', en: 'Leads' },
    cols: [
      id,
      { ru: 'Название', en: 'Title', width: 36, cell: (r) => text(r.title) },
      { ru: 'Компания', en: 'Company', width: 28, cell: (r) => text(r.company_name) },
      { ru: 'Контакт', en: 'Contact', width: 24, cell: (r) => text(r.contact_name) },
      email,
      phone,
      { ru: 'Канал', en: 'Channel', width: 18, cell: name('channels', 'channel_id') },
      { ru: 'Статус', en: 'Status', width: 18, cell: label('status', LEAD_STATUS) },
      { ru: 'Оценка', en: 'Fit', width: 8, cell: (r) => num(r.fit_score) },
      owner,
      created,
    ],
  },
  tasks: {
    r: tasks,
    what: { ru: 'Задачи', en: 'Tasks' },
    cols: [
      id,
      { ru: 'Задача', en: 'Task', width: 40, cell: (r) => text(r.title) },
      { ru: 'Тип', en: 'Type', width: 18, cell: label('type', TASK_TYPE) },
      { ru: 'Статус', en: 'Status', width: 12, cell: label('status', TASK_STATUS) },
      { ru: 'Сделка', en: 'Deal', width: 32, cell: name('deals', 'deal_id') },
      owner,
      { ru: 'Срок', en: 'Due', width: 17, cell: (r) => time(r.due_at) },
      { ru: 'Выполнена', en: 'Done', width: 17, cell: (r) => time(r.done_at) },
      created,
    ],
  },
};

/** The names behind the ids of the rows (one statement per kind, only those referred to). */
async function namesOf(tx: Queryable, ws: number, rows: Row[]): Promise<Names> {
  const ids = (field: string) => [...new Set(rows.map((r) => r[field]).filter((v): v is number => typeof v === 'number'))];
  const load = async (table: string, col: string, list: number[]) => {
    if (list.length === 0) return new Map<number, string>();
    const found = await tx.query<{ id: number; n: string }>(
      sql`select id, ${raw(col)} as n from ${raw(table)}
           where workspace_id = ${ws} and id = any(${list}::int8[])`,
    );
    return new Map(found.map((f) => [Number(f.id), f.n]));
  };
  return {
    users: await load('users', 'name', ids('owner_id')),
    companies: await load('companies', 'name', ids('company_id')),
    contacts: await load('contacts', 'name', ids('contact_id')),
    stages: await load('stages', 'name', ids('stage_id')),
    channels: await load('channels', 'name', ids('channel_id')),
    deals: await load('deals', 'title', ids('deal_id')),
  };
}

async function workspaceOf(tx: Queryable, ws: number): Promise<{ timezone: string; currency: string }> {
  const [w] = await tx.query<{ timezone: string; currency: string }>(
    sql`select timezone, currency from workspaces where workspace_id = ${ws}`,
  );
  return w;
}

/** `lang`, else the browser's language (as the audit export): the header row and the CSV's separators follow it. */
const langOf = (req: FastifyRequest, given: string | undefined): Lang =>
  (given ?? req.headers['accept-language'] ?? '').toString().startsWith('ru') ? 'ru' : 'en';

/**
 * Every row of a list as its API object, in the list's order, read along its keyset `PAGE` rows at
 * a time, at most `max` (`truncated` when more were left).
 */
export async function exportListRows(
  tx: Queryable,
  p: Principal,
  r: Resource,
  query: Record<string, unknown>,
  max = EXPORT_MAX_ROWS,
): Promise<{ rows: Row[]; truncated: boolean }> {
  const s = r.access ? await scopeFor(tx, p, r.access, 'read') : null;
  const extra = [...(await customFilterSql(tx, p.workspaceId, r, query)), ...(s ? [visibleSql(r.table, s)] : [])];
  const rows: Row[] = [];
  let cursor: string | undefined;
  for (;;) {
    const want = Math.min(PAGE, max - rows.length);
    const page = await listRecords(tx, p.workspaceId, r, { ...query, limit: want, cursor }, extra);
    for (const j of page.items) rows.push(JSON.parse(j) as Row);
    if (page.next_cursor === null) return { rows, truncated: false };
    if (rows.length >= max) return { rows, truncated: true };
    cursor = page.next_cursor;
  }
}

const fileSchema = z.string().describe('The file: CSV (UTF-8 with BOM) or XLSX');

async function send(reply: FastifyReply, t: ExportTable, format: 'csv' | 'xlsx', file: string, truncated: boolean, count: number) {
  reply.header('x-export-rows', String(count)).header('x-export-truncated', truncated ? String(EXPORT_MAX_ROWS) : 'false');
  if (format === 'csv')
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${file}.csv"`)
      .send(tableCsv(t) as never);
  return reply
    .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    .header('content-disposition', `attachment; filename="${file}.xlsx"`)
    .send((await tableXlsx(t)) as never);
}

const DRILL_COLS: { ru: string; en: string; width: number; cell: (d: DrillItem, currency: string) => ExportCell }[] = [
  { ru: '№ сделки', en: 'Deal ID', width: 10, cell: (d) => num(d.deal_id) },
  { ru: 'Название', en: 'Title', width: 40, cell: (d) => text(d.title) },
  { ru: 'Сумма', en: 'Amount', width: 16, cell: (d, c) => ({ kind: 'money', minor: toMinor(d.amount, c), currency: c }) },
  { ru: 'Этап', en: 'Stage', width: 22, cell: (d) => text(d.stage) },
  { ru: 'Вход в этап', en: 'Entered', width: 17, cell: (d) => time(d.entered_at) },
  { ru: 'Дней в этапе', en: 'Days in stage', width: 12, cell: (d) => num(d.days_in_stage) },
  { ru: 'Ответственный', en: 'Owner', width: 24, cell: (d) => text(d.owner) },
  { ru: 'Сегмент', en: 'Segment', width: 18, cell: (d) => text(d.segment) },
  { ru: 'Канал', en: 'Channel', width: 18, cell: (d) => text(d.channel) },
  { ru: 'Регион', en: 'Region', width: 18, cell: (d) => text(d.region) },
  { ru: 'Создана', en: 'Created', width: 17, cell: (d) => time(d.created_at) },
];

export function registerExportRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  for (const [path, e] of Object.entries(EXPORTS)) {
    const { limit: _l, cursor: _c, ...listShape } = schemasOf(e.r).list.shape;
    const querystring = listQuerySchema(e.r, listShape);
    for (const format of ['csv', 'xlsx'] as const) {
      zapp.get(
        `/api/v1/export/${path}.${format}`,
        {
          schema: {
            tags: ['export'],
            summary: `Export the ${path} list (its filters and sort, every row up to ${EXPORT_MAX_ROWS}) as ${format.toUpperCase()}`,
            querystring,
            response: { 200: fileSchema, ...errorResponses },
          },
        },
        async (req, reply) => {
          const query = req.query as Record<string, unknown>;
          const lang = langOf(req, query.lang as string | undefined);
          const p = principalOf(req);
          const t = await scoped(ctx, req, async (tx) => {
            const { rows, truncated } = await exportListRows(tx, p, e.r, query);
            const names = await namesOf(tx, p.workspaceId, rows);
            const w = await workspaceOf(tx, p.workspaceId);
            return { rows, truncated, names, w };
          });
          const table: ExportTable = {
            columns: e.cols.map((c): ExportColumn => ({ header: c[lang], width: c.width })),
            rows: t.rows.map((r) => e.cols.map((c) => c.cell(r, t.names, lang))),
            timeZone: t.w.timezone,
            lang,
            title: e.what[lang],
          };
          return send(reply, table, format, `voronka-${path}`, t.truncated, t.rows.length);
        },
      );
    }
  }
  const { by: _by, ...withoutBy } = funnelParamsSchema.shape;
  for (const format of ['csv', 'xlsx'] as const) {
    zapp.get(
      `/api/v1/export/funnel-deals.${format}`,
      {
        schema: {
          tags: ['export'],
          summary: `Export the deals behind a funnel figure (the parameters of /reports/funnel/deals) as ${format.toUpperCase()}`,
          querystring: z.strictObject({
            ...withoutBy,
            metric: z.enum(DRILL_METRICS).describe('Which figure: deals_created, deals_won, … stage_* need `stage`'),
            stage: z.string().max(200).optional().describe('Stage name or id for the stage_* figures'),
          }),
          response: { 200: fileSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const { metric, stage, ...params } = req.query;
        const lang = langOf(req, params.lang);
        const t = await scoped(ctx, req, async (tx, p) => {
          const q = await funnelQueryForCaller(tx, ctx, p, params, null);
          const items: DrillItem[] = [];
          let offset: number | null = 0;
          while (offset !== null && items.length < EXPORT_MAX_ROWS) {
            const page = await funnelDeals(tx, q, metric, stage, { limit: Math.min(1000, EXPORT_MAX_ROWS - items.length), offset });
            items.push(...page.items);
            offset = page.next_offset;
          }
          return { items, truncated: offset !== null, w: await workspaceOf(tx, p.workspaceId) };
        });
        const table: ExportTable = {
          columns: DRILL_COLS.map((c) => ({ header: c[lang], width: c.width })),
          rows: t.items.map((d) => DRILL_COLS.map((c) => c.cell(d, t.w.currency))),
          timeZone: t.w.timezone,
          lang,
          title: lang === 'ru' ? 'Сделки' : 'Deals',
        };
        return send(reply, table, format, `voronka-${metric}`, t.truncated, t.items.length);
      },
    );
  }
}
