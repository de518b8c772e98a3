import sql, { raw, type Sql } from 'sql-template-tag';
import { prepared, type Queryable } from '../db/types.ts';
import { AppError, type FieldIssue, fieldIssue, type Msg, notFound, pick, validationError } from '../errors.ts';
import type { Principal, Role } from './roles.ts';

/**
 * Who may see and change what. One table, read by every route and report:
 * `all` — everything in the workspace; `scoped` — the records one owns, those of
 * one's team (team lead), and those shared with one; `none` — refused (403).
 */
export type AccessObject = 'deals' | 'companies' | 'contacts' | 'leads' | 'activities' | 'tasks' | 'reports' | 'accounts' | 'cases';
export type Level = 'all' | 'scoped' | 'none';

const A: [Level, Level] = ['all', 'all'];
const S: [Level, Level] = ['scoped', 'scoped'];
const R: [Level, Level] = ['all', 'none'];
const N: [Level, Level] = ['none', 'none'];

/** [read, write] per object and role. */
export const ACCESS: Record<AccessObject, Record<Role, [Level, Level]>> = {
  deals: { admin: A, head_of_sales: A, team_lead: S, manager: S, marketer: R, service: R },
  companies: { admin: A, head_of_sales: A, team_lead: S, manager: S, marketer: R, service: A },
  contacts: { admin: A, head_of_sales: A, team_lead: S, manager: S, marketer: R, service: A },
  leads: { admin: A, head_of_sales: A, team_lead: S, manager: S, marketer: A, service: N },
  activities: { admin: A, head_of_sales: A, team_lead: S, manager: S, marketer: ['all', 'scoped'], service: A },
  tasks: { admin: A, head_of_sales: A, team_lead: S, manager: S, marketer: S, service: S },
  reports: { admin: A, head_of_sales: A, team_lead: S, manager: S, marketer: R, service: N },
  // Contracts and the accounts report: a key-account manager (manager, team lead) their own; service sees them all.
  accounts: { admin: A, head_of_sales: A, team_lead: S, manager: S, marketer: N, service: R },
  // Service cases: everyone records them; service works them all, the others their own and those of what they see.
  cases: { admin: A, head_of_sales: A, team_lead: S, manager: S, marketer: S, service: A },
};

const WHAT: Record<AccessObject, { en: string; ru: string }> = {
  deals: { en: 'deals', ru: 'сделки' },
  companies: { en: 'companies', ru: 'компании' },
  contacts: { en: 'contacts', ru: 'контакты' },
  leads: { en: 'leads', ru: 'лиды' },
  activities: { en: 'activities', ru: 'активности' },
  tasks: { en: 'tasks', ru: 'задачи' },
  reports: { en: 'reports', ru: 'отчёты' },
  accounts: { en: 'contracts and accounts', ru: 'договоры и клиентов' },
  cases: { en: 'service cases', ru: 'обращения' },
};

/** The level of access, or 403 when the role has none. */
export function requireAccess(p: Principal, obj: AccessObject, action: 'read' | 'write'): Level {
  const level = ACCESS[obj][p.role][action === 'read' ? 0 : 1];
  if (level === 'none') {
    throw new AppError('FORBIDDEN', {
      en: `your role (${p.role}) cannot ${action === 'read' ? 'see' : 'change'} ${WHAT[obj].en}`,
      ru: `ваша роль (${p.role}) не позволяет ${action === 'read' ? 'видеть' : 'менять'} ${WHAT[obj].ru}`,
    });
  }
  return level;
}

/** The owners whose records a scoped principal sees: oneself, and one's team for a team lead. */
export interface Scope {
  userId: number;
  owners: number[];
}

export async function scopeOf(tx: Queryable, p: Principal): Promise<Scope> {
  if (p.role !== 'team_lead') return { userId: p.userId, owners: [p.userId] };
  const rows = await tx.query<{ id: number }>(
    prepared(sql`
    select id from users where workspace_id = ${p.workspaceId}
       and (id = ${p.userId} or team = (select team from users where workspace_id = ${p.workspaceId} and id = ${p.userId}))`),
  );
  return { userId: p.userId, owners: rows.map((r) => Number(r.id)) };
}

/**
 * `scopeFor` where it needs no database (everyone but a team lead, whose team is looked up):
 * the scope, null for everything, undefined when it takes a query. 403 as `requireAccess`.
 */
export function knownScope(p: Principal, obj: AccessObject, action: 'read' | 'write'): Scope | null | undefined {
  if (requireAccess(p, obj, action) === 'all') return null;
  return p.role === 'team_lead' ? undefined : { userId: p.userId, owners: [p.userId] };
}

/** The scope when the level is `scoped`, else null (everything). */
export async function scopeFor(tx: Queryable, p: Principal, obj: AccessObject, action: 'read' | 'write'): Promise<Scope | null> {
  const known = knownScope(p, obj, action);
  return known === undefined ? scopeOf(tx, p) : known;
}

const OWNED = new Set(['deals', 'companies', 'contacts', 'leads', 'contracts']);

/** A condition on `table` (used as its own alias) that holds for the rows the scope sees. */
export function visibleSql(table: string, s: Scope, alias = table): Sql {
  const t = raw(alias);
  const own = sql`(${t}.owner_id = any(${s.owners}::int8[]) or ${s.userId}::int8 = any(${t}.shared_with))`;
  // A deal's company and contact are seen with the deal: its owner works with them, whoever owns
  // them (an import or the demo leaves companies without an owner).
  const ofVisibleDeal = (col: string) =>
    sql`exists (select 1 from deals vis_deal where vis_deal.workspace_id = ${t}.workspace_id and vis_deal.${raw(col)} = ${t}.id
          and (vis_deal.owner_id = any(${s.owners}::int8[]) or ${s.userId}::int8 = any(vis_deal.shared_with)))`;
  if (table === 'companies') return sql`(${own} or ${ofVisibleDeal('company_id')})`;
  if (table === 'contacts') return sql`(${own} or ${ofVisibleDeal('contact_id')})`;
  if (OWNED.has(table)) return own;
  // Activities and tasks: one's own, and those on a deal, company, contact or lead one sees.
  const via = (col: string, parent: string) =>
    sql`${t}.${raw(col)} in (select x.id from ${raw(parent)} x where x.workspace_id = ${t}.workspace_id
          and (x.owner_id = any(${s.owners}::int8[]) or ${s.userId}::int8 = any(x.shared_with)))`;
  if (table === 'tasks') return sql`(${t}.owner_id = any(${s.owners}::int8[]) or ${via('deal_id', 'deals')})`;
  // Service cases: one's own, those one recorded, and those of a deal or company one sees.
  // (A company one sees through a deal counts: its cases show on that deal's card.)
  if (table === 'service_cases')
    return sql`(${own} or ${t}.recorded_by = ${s.userId} or ${via('deal_id', 'deals')} or ${via('company_id', 'companies')}
             or ${t}.company_id in (select vis_deal.company_id from deals vis_deal where vis_deal.workspace_id = ${t}.workspace_id
                  and (vis_deal.owner_id = any(${s.owners}::int8[]) or ${s.userId}::int8 = any(vis_deal.shared_with))))`;
  return sql`(${t}.owner_id = any(${s.owners}::int8[]) or ${via('deal_id', 'deals')} or ${via('company_id', 'companies')}
             or ${via('contact_id', 'contacts')} or ${via('lead_id', 'leads')})`;
}

/** 404 (not 403: the record's existence is not disclosed) unless the scope sees the record. */
export async function assertVisible(tx: Queryable, ws: number, table: string, id: number, s: Scope | null, what: Msg) {
  if (!s) return;
  const rows = await tx.query(
    prepared(
      sql`select 1 from ${raw(table)} where ${raw(table)}.workspace_id = ${ws} and ${raw(table)}.id = ${id} and ${visibleSql(table, s)}`,
    ),
  );
  if (rows.length === 0) throw notFound(what, id);
}

const REF_TABLES: Record<string, string> = { deal_id: 'deals', company_id: 'companies', contact_id: 'contacts', lead_id: 'leads' };

/**
 * A scoped write may only point at records the writer sees and may only give a
 * record to an owner within the scope.
 */
export async function checkScopedWrite(tx: Queryable, ws: number, s: Scope | null, input: Record<string, unknown>, ownerField = true) {
  if (!s) return;
  const issues: FieldIssue[] = [];
  if (ownerField && input.owner_id !== undefined && input.owner_id !== null && !s.owners.includes(Number(input.owner_id))) {
    issues.push(
      fieldIssue('owner_id', 'you can only assign to yourself or your team', 'назначить можно только себя или свою команду', 'forbidden'),
    );
  }
  for (const [field, table] of Object.entries(REF_TABLES)) {
    const v = input[field];
    if (v === undefined || v === null || typeof v !== 'number') continue;
    const rows = await tx.query(
      prepared(
        sql`select 1 from ${raw(table)} where ${raw(table)}.workspace_id = ${ws} and ${raw(table)}.id = ${v} and ${visibleSql(table, s)}`,
      ),
    );
    if (rows.length === 0)
      issues.push(
        fieldIssue(field, `no such record ${v} among those you can see`, `нет такой записи ${v} среди доступных вам`, 'not_found'),
      );
  }
  if (issues.length > 0) {
    const forbidden = issues.find((i) => i.code === 'forbidden');
    if (forbidden)
      throw new AppError('FORBIDDEN', { en: pick(forbidden.message, 'en'), ru: pick(forbidden.message, 'ru') }, { fields: issues });
    throw validationError(issues);
  }
}
