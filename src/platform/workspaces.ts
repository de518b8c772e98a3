import { IANAZone } from 'luxon';
import sql from 'sql-template-tag';
import type { Role } from './auth/roles.ts';
import { hashPassword } from './auth/secrets.ts';
import type { Db, Queryable } from './db/types.ts';
import { inWorkspace } from './db/workspace-scope.ts';
import { AppError, fieldIssue, validationError } from './errors.ts';
import { isCurrencyCode } from './money.ts';

export interface WorkspaceInput {
  name: string;
  currency?: string;
  timezone?: string;
  locale?: 'ru' | 'en';
}

export interface WorkspaceRow {
  workspace_id: number;
  name: string;
  currency: string;
  timezone: string;
  locale: 'ru' | 'en';
}

export function checkWorkspaceInput(w: WorkspaceInput) {
  const issues = [];
  if (!w.name.trim()) issues.push(fieldIssue('name', 'a workspace needs a name', 'у пространства должно быть имя', 'required'));
  // Only a code whose minor units are known (src/platform/money.ts): amounts are stored by them.
  if (w.currency !== undefined && !isCurrencyCode(w.currency))
    issues.push(
      fieldIssue(
        'currency',
        `"${w.currency}" is not an ISO 4217 currency code such as RUB, USD or JPY`,
        `«${w.currency}» — не код валюты ISO 4217 вроде RUB, USD или JPY`,
      ),
    );
  if (w.timezone !== undefined && !IANAZone.isValidZone(w.timezone))
    issues.push(
      fieldIssue(
        'timezone',
        `"${w.timezone}" is not an IANA time zone such as Europe/Moscow`,
        `«${w.timezone}» — не часовой пояс IANA вроде Europe/Moscow`,
      ),
    );
  if (issues.length) throw validationError(issues);
}

export async function findWorkspace(db: Db | Queryable, name: string): Promise<WorkspaceRow | null> {
  const rows = await db.query<WorkspaceRow>(
    sql`select workspace_id, name, currency, timezone, locale from workspaces where lower(name) = lower(${name.trim()})`,
  );
  return rows[0] ?? null;
}

export async function createWorkspace(tx: Queryable, w: WorkspaceInput, now: Date): Promise<WorkspaceRow> {
  checkWorkspaceInput(w);
  const [row] = await tx.query<WorkspaceRow>(
    sql`insert into workspaces (name, currency, timezone, locale, created_at)
        values (${w.name.trim()}, ${w.currency ?? 'RUB'}, ${w.timezone ?? 'Europe/Moscow'}, ${w.locale ?? 'ru'}, ${now})
        returning workspace_id, name, currency, timezone, locale`,
  );
  return row;
}

export async function listWorkspaces(db: Db): Promise<WorkspaceRow[]> {
  return db.query<WorkspaceRow>('select workspace_id, name, currency, timezone, locale from workspaces order by workspace_id');
}

/** Resolves `--workspace NAME`, or the only workspace there is. */
export async function resolveWorkspace(db: Db, name: string | undefined): Promise<WorkspaceRow> {
  if (name) {
    const w = await findWorkspace(db, name);
    if (!w) {
      const all = await listWorkspaces(db);
      throw new AppError('NOT_FOUND', {
        en: `no workspace "${name}"${all.length ? ` (there are: ${all.map((x) => x.name).join(', ')})` : ' (the database has none yet)'}; create one with: bin/voronka workspace create "${name}" --admin EMAIL (or config import FILE --workspace "${name}" --create --admin EMAIL)`,
        ru: `нет пространства «${name}»${all.length ? ` (есть: ${all.map((x) => x.name).join(', ')})` : ' (в базе ещё нет ни одного)'}; создать: bin/voronka workspace create "${name}" --admin EMAIL (или config import ФАЙЛ --workspace "${name}" --create --admin EMAIL)`,
      });
    }
    return w;
  }
  const all = await listWorkspaces(db);
  if (all.length === 1) return all[0];
  throw new AppError('VALIDATION_FAILED', {
    en:
      all.length === 0
        ? 'the database has no workspace yet: run "voronka demo" or "voronka import"'
        : `several workspaces exist, choose one with --workspace: ${all.map((x) => x.name).join(', ')}`,
    ru:
      all.length === 0
        ? 'в базе ещё нет пространства: выполните «voronka demo» или «voronka import»'
        : `пространств несколько, выберите одно через --workspace: ${all.map((x) => x.name).join(', ')}`,
  });
}

export async function addUser(
  db: Db,
  ws: number,
  u: {
    name: string;
    email?: string | null;
    role: Role;
    password?: string | null;
    locale?: 'ru' | 'en' | null;
  },
  now: Date,
): Promise<number> {
  const hash = u.password ? await hashPassword(u.password) : null;
  const [row] = await inWorkspace(db, ws, (tx) =>
    tx.query<{ id: number }>(
      sql`insert into users (workspace_id, name, email, role, password_hash, locale, created_at, updated_at)
          values (${ws}, ${u.name}, ${u.email ?? null}, ${u.role}, ${hash}, ${u.locale ?? null}, ${now}, ${now}) returning id`,
    ),
  );
  return row.id;
}
