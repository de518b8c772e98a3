import sql from 'sql-template-tag';
import { audit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import type { Queryable } from '../db/types.ts';
import { inWorkspace } from '../db/workspace-scope.ts';
import { AppError, notFound } from '../errors.ts';
import { WHAT } from '../resource/fields.ts';
import type { Principal } from './roles.ts';
import { hashPassword, newSecret, parseSecret } from './secrets.ts';

/** How long an invitation link works. */
export const INVITATION_DAYS = 7;

const gone = () =>
  new AppError('NOT_FOUND', {
    en: 'this invitation link does not work: it was used, replaced by a newer one, or has expired. Ask your admin for a new one',
    ru: 'эта ссылка-приглашение не работает: ею уже воспользовались, её заменили новой или истёк срок. Попросите администратора прислать новую',
  });

/**
 * A one-time link for a person of the workspace to set their password and sign in (an admin's
 * act). A newer link replaces the person's unused ones. Returns the link's secret once: only its
 * SHA-256 is kept.
 */
export async function createInvitation(
  tx: Queryable,
  ctx: AppContext,
  p: Principal,
  userId: number,
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
  const expires = new Date(now.getTime() + INVITATION_DAYS * 86_400_000);
  await tx.query(
    sql`insert into invitations (workspace_id, user_id, token_hash, created_by, created_at, expires_at)
        values (${p.workspaceId}, ${userId}, ${hash}, ${p.userId}, ${now}, ${expires})`,
  );
  await audit(tx, {
    workspaceId: p.workspaceId,
    userId: p.userId,
    entity: 'users',
    entityId: userId,
    action: 'update',
    at: now,
    changes: { invitation: { from: null, to: expires.toISOString() } },
  });
  return { token, expires_at: expires.toISOString(), email: u.email };
}

interface Found {
  id: number;
  user_id: number;
  name: string;
  email: string;
  workspace: string;
}

async function find(tx: Queryable, ws: number, hash: string, now: Date, lock: boolean): Promise<Found | null> {
  const rows = await tx.query<Found>(
    sql`select i.id, u.id as user_id, u.name, u.email, w.name as workspace
          from invitations i join users u on u.workspace_id = i.workspace_id and u.id = i.user_id and u.active
          join workspaces w on w.workspace_id = i.workspace_id
         where i.workspace_id = ${ws} and i.token_hash = ${hash} and i.used_at is null and i.expires_at > ${now}
         ${lock ? sql`for update of i` : sql``}`,
  );
  return rows[0] ?? null;
}

/** Whom a link invites, for its page: the workspace, the person's name and e-mail. */
export async function readInvitation(ctx: AppContext, token: string): Promise<{ workspace: string; name: string; email: string }> {
  const parsed = parseSecret(token);
  if (parsed?.kind !== 'vki') throw gone();
  const f = await inWorkspace(ctx.db, parsed.workspaceId, (tx) => find(tx, parsed.workspaceId, parsed.hash, ctx.clock.now(), false));
  if (!f) throw gone();
  return { workspace: f.workspace, name: f.name, email: f.email };
}

/**
 * Sets the invited person's password (by the rule every password is set by) and uses the link up,
 * in one transaction: a link works once. The caller then signs them in.
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
    return { workspaceId: parsed.workspaceId, userId: f.user_id, email: f.email, workspace: f.workspace };
  });
}
