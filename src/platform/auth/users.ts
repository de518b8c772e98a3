import sql, { empty } from 'sql-template-tag';
import { z } from 'zod';
import { audit } from '../audit.ts';
import type { Queryable } from '../db/types.ts';
import { AppError } from '../errors.ts';
import { oneOf, readTime, requiredText, WHAT } from '../resource/fields.ts';
import type { Resource } from '../resource/resource.ts';
import { revokeApiTokens } from './auth-service.ts';
import type { Principal } from './roles.ts';
import { ROLES } from './roles.ts';
import { hashPassword } from './secrets.ts';

export const users: Resource = {
  path: 'users',
  table: 'users',
  what: WHAT.user,
  defaultSort: 'name',
  fields: {
    name: requiredText(200, { filter: 'text', sort: true }),
    email: {
      out: z.string().nullable(),
      in: z.email().max(320).nullable(),
      filter: 'text',
      sort: true,
    },
    role: { ...oneOf(ROLES), required: true },
    active: { out: z.boolean(), in: z.boolean(), filter: 'bool' },
    locale: {
      out: z.enum(['ru', 'en']).nullable(),
      in: z.enum(['ru', 'en']).nullable(),
    },
    team: {
      out: z.string().nullable(),
      in: z.string().trim().min(1).max(200).nullable(),
      filter: 'eq',
      sort: true,
      description: 'Sales team (reports break down by it)',
    },
    password: {
      out: z.string(),
      in: z.string().min(10, 'at least 10 characters').max(200),
      writeOnly: true,
      description:
        "Set or reset the password (admins only): 10 to 200 characters, hard to guess (zxcvbn score 3 or more, the person's name and e-mail count as known words); a reset ends the person's sessions and revokes their API tokens; never returned",
    },
    created_at: readTime(),
  },
  beforeWrite: async ({ values, existing }) => {
    if (typeof values.password === 'string') {
      const name = values.name === undefined ? existing?.name : values.name;
      const email = values.email === undefined ? existing?.email : values.email;
      values.password_hash = await hashPassword(values.password, [name as string | null, email as string | null]);
    }
    delete values.password;
  },
  // A password reset by an admin ends the person's sessions, revokes their API tokens (a
  // reset is what one does when a credential may be in the wrong hands) and lifts a lockout.
  // Deactivating ends sessions and revokes tokens too, in the same transaction: sign-in already
  // refuses an inactive person, but a credential left working would start working again the
  // day they are activated.
  afterUpdate: async ({ tx, ctx, principal, values, existing }) => {
    if (!existing) return;
    const reset = values.password_hash !== undefined;
    const deactivated = values.active === false && existing.active === true;
    if (!reset && !deactivated) return;
    const workspaceId = existing.workspace_id as number;
    const userId = existing.id as number;
    const at = ctx.clock.now();
    await endSessions(tx, { workspaceId, userId, by: principal.userId, at });
    await revokeApiTokens(tx, { workspaceId, userId, by: principal.userId, at });
    if (reset) await tx.query(sql`select voronka_meta.lift_sign_in_lock(${userId})`);
  },
};

/**
 * Ends a person's sessions — the one `sessionId`, or all — in the caller's transaction, each
 * recorded in the audit log (entity `sessions`, action `delete`) as done by `by`. The ids ended,
 * in order (none: no such session of that person).
 */
export async function endSessions(
  tx: Queryable,
  input: { workspaceId: number; userId: number; sessionId?: number; by: number; at: Date },
): Promise<number[]> {
  const rows = await tx.query<{ id: number }>(
    sql`delete from sessions where workspace_id = ${input.workspaceId} and user_id = ${input.userId}
               ${input.sessionId === undefined ? empty : sql`and id = ${input.sessionId}`}
        returning id`,
  );
  const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  for (const id of ids)
    await audit(tx, {
      workspaceId: input.workspaceId,
      userId: input.by,
      entity: 'sessions',
      entityId: id,
      action: 'delete',
      at: input.at,
      changes: { user_id: { from: input.userId, to: null } },
    });
  return ids;
}

/** Managing people and their passwords is an admin's job. */
export function usersGuard(p: Principal, action: 'read' | 'write') {
  if (action === 'write' && p.role !== 'admin') {
    throw new AppError('FORBIDDEN', {
      en: 'only an admin can manage users',
      ru: 'управлять пользователями может только администратор',
    });
  }
}
