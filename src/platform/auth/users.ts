import sql from 'sql-template-tag';
import { z } from 'zod';
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
  afterUpdate: async ({ tx, ctx, principal, values, existing }) => {
    if (values.password_hash === undefined || !existing) return;
    const workspaceId = existing.workspace_id as number;
    const userId = existing.id as number;
    await tx.query(sql`delete from sessions where workspace_id = ${workspaceId} and user_id = ${userId}`);
    await revokeApiTokens(tx, { workspaceId, userId, by: principal.userId, at: ctx.clock.now() });
    await tx.query(sql`select voronka_meta.lift_sign_in_lock(${existing.id as number})`);
  },
};

/** Managing people and their passwords is an admin's job. */
export function usersGuard(p: Principal, action: 'read' | 'write') {
  if (action === 'write' && p.role !== 'admin') {
    throw new AppError('FORBIDDEN', {
      en: 'only an admin can manage users',
      ru: 'управлять пользователями может только администратор',
    });
  }
}
