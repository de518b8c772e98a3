import sql, { raw } from 'sql-template-tag';
import { z } from 'zod';
import type { Principal } from '../platform/auth/roles.ts';
import type { Queryable } from '../platform/db/types.ts';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { oneOf, readTime, ref, requiredText, text, WHAT, writeTime } from '../platform/resource/fields.ts';
import type { Resource } from '../platform/resource/resource.ts';
import { WHAT_CONTRACT } from './contracts.ts';

/**
 * Service cases: a complaint, a claim (рекламация), a question or praise of a company, recorded by
 * service or by a seller — the small problem a salesperson solves on the phone is logged in the same
 * dialog and marked resolved there, so it reaches the statistics (kpi.md: `cases_by_recorder`).
 */

export const CASE_KINDS = ['complaint', 'claim', 'question', 'praise'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];
export const CASE_SEVERITIES = ['low', 'normal', 'high', 'critical'] as const;
export const CASE_STATUSES = ['open', 'in_progress', 'resolved', 'rejected'] as const;
export const RECORDER_ROLES = ['service', 'sales'] as const;
export type RecorderRole = (typeof RECORDER_ROLES)[number];

const CLOSED = new Set(['resolved', 'rejected']);

/** Who records in which role: the service team as `service`, everyone else as `sales`. */
export const recorderRoleOf = (p: Principal): RecorderRole => (p.role === 'service' ? 'service' : 'sales');

export const WHAT_CASE = { en: 'service case', ru: 'обращение' };

export const serviceCases: Resource = {
  path: 'cases',
  table: 'service_cases',
  access: 'cases',
  what: WHAT_CASE,
  defaultSort: '-opened_at',
  fields: {
    kind: oneOf(CASE_KINDS, { required: true, description: 'complaint, claim (рекламация), question or praise' }),
    severity: oneOf(CASE_SEVERITIES, { description: 'Default normal' }),
    title: requiredText(300, { filter: 'text', sort: true, description: 'One line: what happened' }),
    description: text(20_000),
    status: oneOf(CASE_STATUSES, {
      sort: true,
      description: 'open → in_progress → resolved / rejected; resolving or rejecting stamps closed_at (now unless given)',
    }),
    company_id: ref('companies', WHAT.company, { description: 'Required unless the deal or contact names it' }),
    contact_id: ref('contacts', WHAT.contact),
    deal_id: ref('deals', WHAT.deal),
    contract_id: ref('contracts', WHAT_CONTRACT),
    opened_at: writeTime({ description: 'When the customer raised it; default now' }),
    closed_at: writeTime({ description: 'When it was resolved or rejected; only with those statuses' }),
    recorder_role: oneOf(RECORDER_ROLES, {
      updatable: false,
      description: 'service or sales; default: service for the service role, sales for everyone else',
    }),
    recorded_by: { out: z.number().int().nullable(), filter: 'eq', description: 'Who logged it (the caller)' },
    owner_id: ref('users', WHAT.user, { description: 'Who works on it; defaults to the caller' }),
    created_at: readTime(),
    updated_at: readTime(),
  },
  beforeWrite: async ({ tx, ctx, principal, values, existing }) => {
    const ws = principal.workspaceId;
    const now = ctx.clock.now();
    if (!existing) {
      values.recorded_by = principal.userId;
      values.recorder_role ??= recorderRoleOf(principal);
      if (values.owner_id === undefined) values.owner_id = principal.userId;
      if (values.opened_at === undefined || values.opened_at === null) values.opened_at = now;
      values.status ??= 'open';
      values.severity ??= 'normal';
    }
    // The company comes with the deal, contract or contact when not given; one that disagrees is refused.
    const company = values.company_id !== undefined ? values.company_id : existing?.company_id;
    const implied: { field: string; company: number | null }[] = [];
    for (const [field, table] of [
      ['deal_id', 'deals'],
      ['contract_id', 'contracts'],
      ['contact_id', 'contacts'],
    ] as const) {
      const id = values[field] !== undefined ? values[field] : existing?.[field];
      if (id === undefined || id === null) continue;
      const [r] = await tx.query<{ company_id: number | null }>(
        sql`select company_id from ${raw(table)} where workspace_id = ${ws} and id = ${id as number}`,
      );
      if (r) implied.push({ field, company: r.company_id === null ? null : Number(r.company_id) });
    }
    if (company === undefined || company === null) {
      const first = implied.find((i) => i.company !== null);
      if (!first)
        throw validationError([
          fieldIssue(
            'company_id',
            'a case belongs to a company: give company_id (or a deal with one)',
            'укажите компанию обращения',
            'required',
          ),
        ]);
      values.company_id = first.company;
    } else {
      const other = implied.find((i) => i.company !== null && i.company !== Number(company));
      if (other)
        throw validationError([
          fieldIssue(
            other.field,
            `${other.field} belongs to company ${other.company}, not to the case's company ${company}`,
            `${other.field} относится к компании ${other.company}, а не к компании обращения ${company}`,
          ),
        ]);
    }
    const status = (values.status ?? existing?.status ?? 'open') as string;
    const openedAt = new Date((values.opened_at ?? existing?.opened_at) as string | Date);
    if (CLOSED.has(status)) {
      if (values.closed_at === undefined || values.closed_at === null)
        values.closed_at = existing && CLOSED.has(existing.status as string) ? existing.closed_at : now;
    } else if (values.closed_at !== undefined && values.closed_at !== null) {
      throw validationError([
        fieldIssue(
          'closed_at',
          'only a resolved or rejected case has closed_at',
          'дата закрытия бывает только у решённого или отклонённого обращения',
        ),
      ]);
    } else {
      values.closed_at = null;
    }
    const closedAt = (values.closed_at ?? null) as string | Date | null;
    if (closedAt !== null && new Date(closedAt).getTime() < openedAt.getTime())
      throw validationError([
        fieldIssue(
          'closed_at',
          `closed_at (${new Date(closedAt).toISOString()}) is before opened_at (${openedAt.toISOString()})`,
          `дата закрытия (${new Date(closedAt).toISOString()}) раньше даты обращения (${openedAt.toISOString()})`,
          'closed_before_opened',
        ),
      ]);
    values.status = status;
  },
};

/** A case as lists and drill-downs show it: with the names of its company, deal and recorder. */
export const caseItemSchema = z.object({
  id: z.number().int(),
  kind: z.enum(CASE_KINDS),
  severity: z.enum(CASE_SEVERITIES),
  title: z.string(),
  status: z.enum(CASE_STATUSES),
  company_id: z.number().int(),
  company: z.string(),
  deal_id: z.number().int().nullable(),
  deal: z.string().nullable(),
  contract_id: z.number().int().nullable(),
  opened_at: z.string(),
  closed_at: z.string().nullable(),
  recorder_role: z.enum(RECORDER_ROLES),
  recorded_by: z.number().int().nullable(),
  recorder: z.string().nullable(),
  version: z.number().int(),
});
export type CaseItem = z.infer<typeof caseItemSchema>;

export const caseItemSql = sql`
  select k.id, k.kind, k.severity, k.title, k.status, k.company_id, co.name as company, k.deal_id, d.title as deal, k.contract_id,
         k.opened_at, k.closed_at, k.recorder_role, k.recorded_by, u.name as recorder, k.version
    from service_cases k
    join companies co on co.workspace_id = k.workspace_id and co.id = k.company_id
    left join deals d on d.workspace_id = k.workspace_id and d.id = k.deal_id
    left join users u on u.workspace_id = k.workspace_id and u.id = k.recorded_by`;

type CaseItemRow = Omit<CaseItem, 'opened_at' | 'closed_at'> & { opened_at: Date; closed_at: Date | null };

export const caseItemOut = (r: CaseItemRow): CaseItem => ({
  ...r,
  id: Number(r.id),
  company_id: Number(r.company_id),
  deal_id: r.deal_id === null ? null : Number(r.deal_id),
  contract_id: r.contract_id === null ? null : Number(r.contract_id),
  recorded_by: r.recorded_by === null ? null : Number(r.recorded_by),
  opened_at: r.opened_at.toISOString(),
  closed_at: r.closed_at ? r.closed_at.toISOString() : null,
});

/** Cases by id, in the order given. */
export async function casesByIds(tx: Queryable, ws: number, ids: number[]): Promise<CaseItem[]> {
  if (ids.length === 0) return [];
  const rows = await tx.query<CaseItemRow>(sql`${caseItemSql} where k.workspace_id = ${ws} and k.id = any(${ids}::int8[])`);
  const byId = new Map(rows.map((r) => [Number(r.id), caseItemOut(r)]));
  return ids.map((id) => byId.get(id)).filter((c): c is CaseItem => c !== undefined);
}
