import sql from 'sql-template-tag';
import { audit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import type { Queryable } from '../db/types.ts';
import { inWorkspace } from '../db/workspace-scope.ts';
import { AppError, notFound } from '../errors.ts';
import { WHAT } from '../resource/fields.ts';
import { revokeApiTokens } from './auth-service.ts';
import type { Principal } from './roles.ts';
import { hashPassword, newSecret, parseSecret } from './secrets.ts';
import { endSessions } from './users.ts';

/** How long an invitation link works. */
export const INVITATION_DAYS = 7;
/** How long a password reset link works: shorter, as it replaces a password the person may still use. */
export const RESET_HOURS = 24;

/** What a link is for: the first password (an invitation) or a new one (a reset). */
export type LinkPurpose = 'invite' | 'reset';

const gone = () =>
  new AppError('NOT_FOUND', {
    en: 'this invitation link does not work: it was used, replaced by a newer one, or has expired. Ask your admin for a new one',
    ru: 'эта ссылка-приглашение не работает: ею уже воспользовались, её заменили новой или истёк срок. Попросите администратора прислать новую',
  });

/**
 * A one-time link for a person of the workspace to set their password and sign in (an admin's
 * act): an invitation (7 days) or a password reset (24 hours). A newer link of either kind
 * replaces the person's unused ones. Returns the link's secret once: only its SHA-256 is kept.
 */
export async function createInvitation(
  tx: Queryable,
  ctx: AppContext,
  p: Principal,
  userId: number,
  purpose: LinkPurpose = 'invite',
): Promise<{ token: string; expires_at: string; email: string }> {
  const [u] = await tx.query<{ email: string | null; active: boolean }>(
    sql`select email, active from users where workspace_id = ${p.workspaceId} and id = ${userId} for update`,
  );
  if (!u) throw notFound(WHAT.user, userId);
  if (!u.email) {
    throw new AppError('VALIDATION_FAILED', {
      en: 'this person has no e-mail: add one first, it is what they sign in with',
      ru: 'у этого человека нет e-mail: сначала укажите его — по нему входят в систему',
    });
  }
  if (!u.active) {
    throw new AppError('VALIDATION_FAILED', {
      en: 'this person is deactivated: activate them first',
      ru: 'этот пользователь отключён: сначала включите его',
    });
  }
  const now = ctx.clock.now();
  await tx.query(
    sql`update invitations set used_at = ${now} where workspace_id = ${p.workspaceId} and user_id = ${userId} and used_at is null`,
  );
  const { token, hash } = newSecret('vki', p.workspaceId);
  const expires = new Date(now.getTime() + (purpose === 'reset' ? RESET_HOURS * 3_600_000 : INVITATION_DAYS * 86_400_000));
  await tx.query(
    sql`insert into invitations (workspace_id, user_id, token_hash, created_by, created_at, expires_at, purpose)
        values (${p.workspaceId}, ${userId}, ${hash}, ${p.userId}, ${now}, ${expires}, ${purpose})`,
  );
  await audit(tx, {
    workspaceId: p.workspaceId,
    userId: p.userId,
    entity: 'users',
    entityId: userId,
    action: 'update',
    at: now,
    changes: { [purpose === 'reset' ? 'password_reset' : 'invitation']: { from: null, to: expires.toISOString() } },
  });
  return { token, expires_at: expires.toISOString(), email: u.email };
}

interface Found {
  id: number;
  user_id: number;
  name: string;
  email: string;
  workspace: string;
  purpose: LinkPurpose;
}

async function find(tx: Queryable, ws: number, hash: string, now: Date, lock: boolean): Promise<Found | null> {
  const rows = await tx.query<Found>(
    sql`select i.id, u.id as user_id, u.name, u.email, w.name as workspace, i.purpose
          from invitations i join users u on u.workspace_id = i.workspace_id and u.id = i.user_id and u.active
          join workspaces w on w.workspace_id = i.workspace_id
         where i.workspace_id = ${ws} and i.token_hash = ${hash} and i.used_at is null and i.expires_at > ${now}
         ${lock ? sql`for update of i` : sql``}`,
  );
  return rows[0] ?? null;
}

/** Whom a link is for, for its page: the workspace, the person's name and e-mail, and what it is for. */
export async function readInvitation(
  ctx: AppContext,
  token: string,
): Promise<{ workspace: string; name: string; email: string; purpose: LinkPurpose }> {
  const parsed = parseSecret(token);
  if (parsed?.kind !== 'vki') throw gone();
  const f = await inWorkspace(ctx.db, parsed.workspaceId, (tx) => find(tx, parsed.workspaceId, parsed.hash, ctx.clock.now(), false));
  if (!f) throw gone();
  return { workspace: f.workspace, name: f.name, email: f.email, purpose: f.purpose };
}

/**
 * Sets the person's password (by the rule every password is set by) and uses the link up, in one
 * transaction: a link works once. Like an admin's reset (users.ts), the password set ends the
 * person's sessions, revokes their API tokens and lifts a sign-in lock: whoever held the old
 * password or a token made with it is out. The caller then signs them in afresh.
 */
export async function acceptInvitation(
  ctx: AppContext,
  token: string,
  password: string,
): Promise<{ workspaceId: number; userId: number; email: string; workspace: string }> {
  const parsed = parseSecret(token);
  if (parsed?.kind !== 'vki') throw gone();
  const peek = await readInvitation(ctx, token);
  const hash = await hashPassword(password, [peek.name, peek.email]);
  return inWorkspace(ctx.db, parsed.workspaceId, async (tx) => {
    const now = ctx.clock.now();
    const f = await find(tx, parsed.workspaceId, parsed.hash, now, true);
    if (!f) throw gone();
    await tx.query(sql`update invitations set used_at = ${now} where workspace_id = ${parsed.workspaceId} and id = ${f.id}`);
    await tx.query(
      sql`update users set password_hash = ${hash}, updated_at = ${now}, version = version + 1
           where workspace_id = ${parsed.workspaceId} and id = ${f.user_id}`,
    );
    await audit(tx, {
      workspaceId: parsed.workspaceId,
      userId: f.user_id,
      entity: 'users',
      entityId: f.user_id,
      action: 'update',
      at: now,
      changes: { password_hash: { from: '***', to: '***' } },
    });
    await endSessions(tx, { workspaceId: parsed.workspaceId, userId: f.user_id, by: f.user_id, at: now });
    await revokeApiTokens(tx, { workspaceId: parsed.workspaceId, userId: f.user_id, by: f.user_id, at: now });
    await tx.query(sql`select voronka_meta.lift_sign_in_lock(${f.user_id})`);
    return { workspaceId: parsed.workspaceId, userId: f.user_id, email: f.email, workspace: f.workspace };
  });
}
