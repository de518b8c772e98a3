import { DateTime } from 'luxon';
import sql, { empty, join, raw, type Sql } from 'sql-template-tag';
import { z } from 'zod';
import { audit, diffRows } from '../platform/audit.ts';
import { type Scope, visibleSql } from '../platform/auth/access.ts';
import type { Queryable } from '../platform/db/types.ts';
import { AppError, type FieldIssue, fieldIssue, notFound, validationError, versionConflict } from '../platform/errors.ts';
import { moneyMinor } from '../platform/resource/fields.ts';
import { idSchema } from '../platform/resource/resource.ts';
import { successorSql } from './renewal-rule.ts';
import { syncRenewalTasks } from './renewal-tasks.ts';

/**
 * Contracts (subscriptions) of a company: a product group, [start, end) as dates at 00:00 in the
 * workspace zone, a monthly recurring amount in minor units, an owner (the key-account manager) and
 * the deal that won it. A renewal is the next contract (`renews_id`), entered in one step from the
 * ending one; a contract marked churned names why and can no longer be renewed. The status is
 * derived from the dates at the moment it is read.
 */

export const WHAT_CONTRACT = { en: 'contract', ru: 'договор' };

export const CONTRACT_STATUSES = ['upcoming', 'active', 'ended', 'renewed', 'churned'] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

const day = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((s) => DateTime.fromISO(s).isValid, 'not a calendar date')
  .describe('YYYY-MM-DD (00:00 in the workspace time zone)');

export const contractSchema = z.object({
  id: idSchema,
  external_id: z.string().nullable().describe('contract_id of an imported bundle'),
  company_id: idSchema,
  company: z.string(),
  product_group_id: idSchema,
  product_group: z.string(),
  start_date: z.string().describe('Inclusive, YYYY-MM-DD'),
  end_date: z.string().describe('Exclusive, YYYY-MM-DD'),
  mrr_minor: z.number().int().describe('Monthly recurring amount, minor units of the workspace currency'),
  owner_id: idSchema.nullable(),
  owner: z.string().nullable(),
  deal_id: idSchema.nullable(),
  deal: z.string().nullable(),
  renews_id: idSchema.nullable().describe('The contract this one renews'),
  renewed_by_id: idSchema
    .nullable()
    .describe(
      'The contract of the same company and product group that renews this one (kpi.md: starts after this start and within 31 days of its end)',
    ),
  status: z.enum(CONTRACT_STATUSES).describe('Derived from the dates now: upcoming, active, ended (not renewed), renewed, churned'),
  churned_at: z.string().nullable(),
  churn_reason_id: idSchema.nullable(),
  churn_reason: z.string().nullable(),
  churn_note: z.string().nullable(),
  notes: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.number().int(),
});
export type Contract = z.infer<typeof contractSchema>;

export const contractInputSchema = z.strictObject({
  company_id: idSchema,
  product_group_id: idSchema,
  start_date: day,
  end_date: day,
  mrr_minor: moneyMinor,
  owner_id: idSchema.nullable().optional().describe('The key-account manager; defaults to the caller'),
  deal_id: idSchema.nullable().optional(),
  notes: z.string().trim().max(20_000).nullable().optional(),
});
export type ContractInput = z.infer<typeof contractInputSchema>;

export const contractPatchSchema = contractInputSchema.partial().extend({ version: z.number().int().min(1) });

export const renewInputSchema = z.strictObject({
  version: z.number().int().min(1).describe('The ending contract’s version as read'),
  start_date: day.optional().describe('Default: the ending contract’s end'),
  end_date: day.optional().describe('Default: as long as the ending contract'),
  mrr_minor: moneyMinor.optional().describe('Default: unchanged (renew); another amount: renew with a change'),
  product_group_id: idSchema.optional(),
  owner_id: idSchema.nullable().optional(),
  notes: z.string().trim().max(20_000).nullable().optional(),
});

export const churnInputSchema = z.strictObject({
  version: z.number().int().min(1),
  reason_id: idSchema.describe('A churn reason of the workspace (GET /churn-reasons)'),
  note: z.string().trim().max(2000).nullable().optional(),
});

/** YYYY-MM-DD as a Russian reader writes it: дд.мм.гггг. */
const ruDay = (d: string) => d.split('-').reverse().join('.');

/** The workspace's today (YYYY-MM-DD) in its zone. */
export async function workspaceToday(tx: Queryable, ws: number, now: Date): Promise<{ today: string; zone: string }> {
  const [w] = await tx.query<{ timezone: string }>(sql`select timezone from workspaces where workspace_id = ${ws}`);
  return { today: DateTime.fromJSDate(now, { zone: w.timezone }).toISODate() ?? '', zone: w.timezone };
}

/** The contract's JSON as the API gives it, with names and the derived status at `today`. */
export function contractSelect(today: string): Sql {
  return sql`
    select c.id, c.external_id, c.company_id, co.name as company, c.product_group_id, pg.name as product_group,
           to_char(c.start_date, 'YYYY-MM-DD') as start_date, to_char(c.end_date, 'YYYY-MM-DD') as end_date,
           c.mrr_minor, c.owner_id, u.name as owner, c.deal_id, d.title as deal, c.renews_id,
           ${successorSql()} as renewed_by_id,
           case when c.churned_at is not null then 'churned'
                when c.start_date > ${today}::date then 'upcoming'
                when c.end_date > ${today}::date then 'active'
                when ${successorSql()} is not null then 'renewed'
                else 'ended' end as status,
           c.churned_at, c.churn_reason_id, cr.name_ru as churn_reason_ru, cr.name_en as churn_reason_en, c.churn_note, c.notes,
           c.created_at, c.updated_at, c.version
      from contracts c
      join companies co on co.workspace_id = c.workspace_id and co.id = c.company_id
      join product_groups pg on pg.workspace_id = c.workspace_id and pg.id = c.product_group_id
      left join users u on u.workspace_id = c.workspace_id and u.id = c.owner_id
      left join deals d on d.workspace_id = c.workspace_id and d.id = c.deal_id
      left join churn_reasons cr on cr.workspace_id = c.workspace_id and cr.id = c.churn_reason_id`;
}

export type ContractRow = Omit<Contract, 'churned_at' | 'created_at' | 'updated_at' | 'churn_reason'> & {
  churned_at: Date | null;
  created_at: Date;
  updated_at: Date;
  churn_reason_ru: string | null;
  churn_reason_en: string | null;
};

export function contractOut(r: ContractRow, locale: 'ru' | 'en'): Contract {
  const { churn_reason_ru, churn_reason_en, ...rest } = r;
  return {
    ...rest,
    id: Number(r.id),
    company_id: Number(r.company_id),
    product_group_id: Number(r.product_group_id),
    mrr_minor: Number(r.mrr_minor),
    owner_id: r.owner_id === null ? null : Number(r.owner_id),
    deal_id: r.deal_id === null ? null : Number(r.deal_id),
    renews_id: r.renews_id === null ? null : Number(r.renews_id),
    renewed_by_id: r.renewed_by_id === null ? null : Number(r.renewed_by_id),
    churn_reason_id: r.churn_reason_id === null ? null : Number(r.churn_reason_id),
    churn_reason: locale === 'ru' ? churn_reason_ru : churn_reason_en,
    churned_at: r.churned_at ? r.churned_at.toISOString() : null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

/** The visibility of a contract (alias `c`) to a scoped caller: their (team’s) own or shared with them, as every owned record. */
export function contractVisibleSql(s: Scope): Sql {
  return visibleSql('contracts', s, 'c');
}

export const contractListQuery = z.strictObject({
  company_id: z.coerce.number().int().positive().optional(),
  owner_id: z.coerce.number().int().positive().optional(),
  product_group_id: z.coerce.number().int().positive().optional(),
  status: z.enum(CONTRACT_STATUSES).optional(),
  ending_within: z.coerce.number().int().min(1).max(3660).optional().describe('Only contracts ending from today within this many days'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  lang: z.enum(['ru', 'en']).optional(),
});

export async function listContracts(
  tx: Queryable,
  ws: number,
  now: Date,
  scope: Scope | null,
  q: z.infer<typeof contractListQuery>,
  locale: 'ru' | 'en',
): Promise<{ items: Contract[]; total: number }> {
  const { today } = await workspaceToday(tx, ws, now);
  const conds: Sql[] = [sql`c.workspace_id = ${ws}`];
  if (scope) conds.push(contractVisibleSql(scope));
  if (q.company_id) conds.push(sql`c.company_id = ${q.company_id}`);
  if (q.owner_id) conds.push(sql`c.owner_id = ${q.owner_id}`);
  if (q.product_group_id) conds.push(sql`c.product_group_id = ${q.product_group_id}`);
  if (q.ending_within) conds.push(sql`c.end_date >= ${today}::date and c.end_date < ${today}::date + ${q.ending_within}::int`);
  const inner = sql`${contractSelect(today)} where ${join(conds, ' and ')}`;
  const statusCond = q.status ? sql`where x.status = ${q.status}` : empty;
  const rows = await tx.query<ContractRow & { total: number }>(sql`
    select x.*, count(*) over () as total from (${inner}) x ${statusCond}
     order by x.end_date, x.id limit ${q.limit} offset ${q.offset}`);
  return { items: rows.map((r) => contractOut(r, locale)), total: rows.length ? Number(rows[0].total) : 0 };
}

export async function getContract(tx: Queryable, ws: number, id: number, now: Date, locale: 'ru' | 'en', lock = false): Promise<Contract> {
  const { today } = await workspaceToday(tx, ws, now);
  if (lock) await tx.query(sql`select 1 from contracts where workspace_id = ${ws} and id = ${id} for update`);
  const [row] = await tx.query<ContractRow>(sql`${contractSelect(today)} where c.workspace_id = ${ws} and c.id = ${id}`);
  if (!row) throw notFound(WHAT_CONTRACT, id);
  return contractOut(row, locale);
}

export async function assertContractVisible(tx: Queryable, ws: number, id: number, scope: Scope | null) {
  const rows = await tx.query(
    sql`select 1 from contracts c where c.workspace_id = ${ws} and c.id = ${id} ${scope ? sql`and ${contractVisibleSql(scope)}` : empty}`,
  );
  if (rows.length === 0) throw notFound(WHAT_CONTRACT, id);
}

/** Checks what the database cannot say by name: references, dates in order, an owner in the writer's scope. */
async function contractIssues(
  tx: Queryable,
  ws: number,
  v: Partial<ContractInput>,
  scope: Scope | null,
  merged: { start_date: string; end_date: string },
): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  const exists = async (table: string, id: number | null | undefined, field: string, what: { en: string; ru: string }) => {
    if (id === undefined || id === null) return;
    const rows = await tx.query(sql`select 1 from ${raw(table)} where workspace_id = ${ws} and id = ${id}`);
    if (rows.length === 0)
      issues.push(fieldIssue(field, `no ${what.en} ${id} in this workspace`, `в этом пространстве нет: ${what.ru} ${id}`, 'not_found'));
  };
  await exists('companies', v.company_id, 'company_id', { en: 'company', ru: 'компания' });
  await exists('product_groups', v.product_group_id, 'product_group_id', { en: 'product group', ru: 'продуктовая группа' });
  await exists('users', v.owner_id, 'owner_id', { en: 'user', ru: 'пользователь' });
  await exists('deals', v.deal_id, 'deal_id', { en: 'deal', ru: 'сделка' });
  if (merged.end_date <= merged.start_date)
    issues.push(
      fieldIssue(
        'end_date',
        `the end (${merged.end_date}) must be after the start (${merged.start_date})`,
        `окончание (${ruDay(merged.end_date)}) должно быть позже начала (${ruDay(merged.start_date)})`,
        'end_before_start',
      ),
    );
  if (scope && v.owner_id !== undefined && v.owner_id !== null && !scope.owners.includes(v.owner_id))
    issues.push(
      fieldIssue(
        'owner_id',
        'you can only give a contract to yourself (or your team)',
        'договор можно назначить только себе (или своей команде)',
        'forbidden',
      ),
    );
  return issues;
}

const auditable = (c: Contract) => ({
  company_id: c.company_id,
  product_group_id: c.product_group_id,
  start_date: c.start_date,
  end_date: c.end_date,
  mrr_minor: c.mrr_minor,
  owner_id: c.owner_id,
  deal_id: c.deal_id,
  renews_id: c.renews_id,
  churned_at: c.churned_at,
  churn_reason_id: c.churn_reason_id,
  churn_note: c.churn_note,
  notes: c.notes,
});

/** The audit entry of a contract's change: what it was (none for a new one) and what it is. */
function auditContract(tx: Queryable, ws: number, by: Writer, before: Contract | null, after: Contract) {
  return audit(tx, {
    workspaceId: ws,
    userId: by.userId,
    entity: 'contracts',
    entityId: after.id,
    action: before ? 'update' : 'create',
    at: by.at,
    changes: diffRows(before ? auditable(before) : {}, auditable(after)),
    version: after.version,
  });
}

export interface Writer {
  userId: number | null;
  at: Date;
  scope: Scope | null;
  locale: 'ru' | 'en';
}

/** Inserts a contract (every path that creates one: the API, a renewal, the bundle import) and keeps its renewal tasks. */
export async function insertContract(
  tx: Queryable,
  ws: number,
  v: ContractInput & { renews_id?: number | null; external_id?: string | null },
  by: Writer,
  opts: { tasks?: boolean; audit?: boolean } = {},
): Promise<number> {
  const issues = await contractIssues(tx, ws, v, by.scope, v);
  if (issues.length) throw validationError(issues);
  const owner = v.owner_id === undefined ? by.userId : v.owner_id;
  const [row] = await tx.query<{ id: number }>(sql`
    insert into contracts (workspace_id, external_id, company_id, product_group_id, start_date, end_date, mrr_minor, owner_id, deal_id,
                           renews_id, notes, created_by, created_at, updated_at)
    values (${ws}, ${v.external_id ?? null}, ${v.company_id}, ${v.product_group_id}, ${v.start_date}::date, ${v.end_date}::date,
            ${v.mrr_minor}, ${owner}, ${v.deal_id ?? null}, ${v.renews_id ?? null}, ${v.notes ?? null}, ${by.userId}, ${by.at}, ${by.at})
    returning id`);
  const id = Number(row.id);
  if (opts.audit !== false) {
    const c = await getContract(tx, ws, id, by.at, by.locale);
    await auditContract(tx, ws, by, null, c);
  }
  if (opts.tasks !== false) await syncRenewalTasks(tx, ws, by.at, { companyId: v.company_id, productGroupId: v.product_group_id });
  return id;
}

async function lockedForWrite(tx: Queryable, ws: number, id: number, version: number, by: Writer): Promise<Contract> {
  await assertContractVisible(tx, ws, id, by.scope);
  const cur = await getContract(tx, ws, id, by.at, by.locale, true);
  if (cur.version !== version) throw versionConflict(WHAT_CONTRACT, id, cur.version, version);
  return cur;
}

/** Changes a contract (version-checked, audited) and re-keeps the renewal tasks of its company and product group(s). */
export async function updateContract(
  tx: Queryable,
  ws: number,
  id: number,
  patch: z.infer<typeof contractPatchSchema>,
  by: Writer,
): Promise<Contract> {
  const { version, ...v } = patch;
  const cur = await lockedForWrite(tx, ws, id, version, by);
  const issues = await contractIssues(tx, ws, v, by.scope, {
    start_date: v.start_date ?? cur.start_date,
    end_date: v.end_date ?? cur.end_date,
  });
  if (issues.length) throw validationError(issues);
  const sets: Sql[] = [];
  const col = (name: string, value: unknown, cast = '') => sets.push(sql`${raw(name)} = ${value}${raw(cast)}`);
  if (v.company_id !== undefined) col('company_id', v.company_id);
  if (v.product_group_id !== undefined) col('product_group_id', v.product_group_id);
  if (v.start_date !== undefined) col('start_date', v.start_date, '::date');
  if (v.end_date !== undefined) col('end_date', v.end_date, '::date');
  if (v.mrr_minor !== undefined) col('mrr_minor', v.mrr_minor);
  if (v.owner_id !== undefined) col('owner_id', v.owner_id);
  if (v.deal_id !== undefined) col('deal_id', v.deal_id);
  if (v.notes !== undefined) col('notes', v.notes);
  if (sets.length === 0) return cur;
  await tx.query(sql`update contracts set ${join(sets, ', ')}, updated_at = ${by.at}, version = version + 1
                      where workspace_id = ${ws} and id = ${id}`);
  const next = await getContract(tx, ws, id, by.at, by.locale);
  await auditContract(tx, ws, by, cur, next);
  await syncRenewalTasks(tx, ws, by.at, { companyId: cur.company_id, productGroupId: cur.product_group_id });
  if (next.company_id !== cur.company_id || next.product_group_id !== cur.product_group_id)
    await syncRenewalTasks(tx, ws, by.at, { companyId: next.company_id, productGroupId: next.product_group_id });
  return next;
}

/**
 * Renews a contract: the next one starts at its end (by default), as long, with the same amount
 * (renew) or another (renew with a change). A churned contract, or one already renewed, is refused.
 */
export async function renewContract(
  tx: Queryable,
  ws: number,
  id: number,
  input: z.infer<typeof renewInputSchema>,
  by: Writer,
): Promise<number> {
  const cur = await lockedForWrite(tx, ws, id, input.version, by);
  if (cur.churned_at)
    throw new AppError('CONFLICT', {
      en: `contract ${id} was marked churned (${cur.churn_reason ?? 'no reason'}): it cannot be renewed — enter a new contract instead`,
      ru: `договор ${id} отмечен как отток (${cur.churn_reason ?? 'без причины'}): продлить его нельзя — заведите новый договор`,
    });
  const [explicit] = await tx.query<{ id: number }>(sql`select id from contracts where workspace_id = ${ws} and renews_id = ${id}`);
  if (explicit)
    throw new AppError('CONFLICT', {
      en: `contract ${id} is already renewed by contract ${explicit.id}`,
      ru: `договор ${id} уже продлён договором ${explicit.id}`,
    });
  const start = input.start_date ?? cur.end_date;
  const len = DateTime.fromISO(cur.end_date).diff(DateTime.fromISO(cur.start_date), 'days').days;
  const end = input.end_date ?? DateTime.fromISO(start).plus({ days: len }).toISODate() ?? start;
  if (start <= cur.start_date)
    throw validationError([
      fieldIssue(
        'start_date',
        `a renewal starts after the contract it renews (${cur.start_date})`,
        `продление начинается позже начала продлеваемого договора (${ruDay(cur.start_date)})`,
      ),
    ]);
  const newId = await insertContract(
    tx,
    ws,
    {
      company_id: cur.company_id,
      product_group_id: input.product_group_id ?? cur.product_group_id,
      start_date: start,
      end_date: end,
      mrr_minor: input.mrr_minor ?? cur.mrr_minor,
      owner_id: input.owner_id === undefined ? cur.owner_id : input.owner_id,
      deal_id: cur.deal_id,
      notes: input.notes ?? null,
      renews_id: id,
    },
    by,
  );
  // A renewal into another product group still closes the ending contract's renewal task.
  await syncRenewalTasks(tx, ws, by.at, { companyId: cur.company_id, productGroupId: cur.product_group_id });
  return newId;
}

/** Marks a contract churned with a reason: it keeps its dates (the figures come from them) and its renewal task is cancelled. */
export async function churnContract(
  tx: Queryable,
  ws: number,
  id: number,
  input: z.infer<typeof churnInputSchema>,
  by: Writer,
): Promise<Contract> {
  const cur = await lockedForWrite(tx, ws, id, input.version, by);
  if (cur.churned_at)
    throw new AppError('CONFLICT', { en: `contract ${id} is already marked churned`, ru: `договор ${id} уже отмечен как отток` });
  if (cur.renewed_by_id !== null)
    throw new AppError('CONFLICT', {
      en: `contract ${id} is renewed by contract ${cur.renewed_by_id}: it did not churn`,
      ru: `договор ${id} продлён договором ${cur.renewed_by_id}: оттока не было`,
    });
  const [reason] = await tx.query(sql`select 1 from churn_reasons where workspace_id = ${ws} and id = ${input.reason_id}`);
  if (!reason)
    throw validationError([
      fieldIssue('reason_id', `no churn reason ${input.reason_id} in this workspace`, `нет причины оттока ${input.reason_id}`, 'not_found'),
    ]);
  await tx.query(sql`update contracts set churned_at = ${by.at}, churned_by = ${by.userId}, churn_reason_id = ${input.reason_id},
                            churn_note = ${input.note ?? null}, updated_at = ${by.at}, version = version + 1
                      where workspace_id = ${ws} and id = ${id}`);
  const next = await getContract(tx, ws, id, by.at, by.locale);
  await auditContract(tx, ws, by, cur, next);
  await syncRenewalTasks(tx, ws, by.at, { companyId: cur.company_id, productGroupId: cur.product_group_id });
  return next;
}

/** Contracts by id, in the order given (drill-downs). */
export async function contractsByIds(tx: Queryable, ws: number, ids: number[], now: Date, locale: 'ru' | 'en'): Promise<Contract[]> {
  if (ids.length === 0) return [];
  const { today } = await workspaceToday(tx, ws, now);
  const rows = await tx.query<ContractRow>(sql`${contractSelect(today)} where c.workspace_id = ${ws} and c.id = any(${ids}::int8[])`);
  const byId = new Map(rows.map((r) => [Number(r.id), contractOut(r, locale)]));
  return ids.map((id) => byId.get(id)).filter((c): c is Contract => c !== undefined);
}
