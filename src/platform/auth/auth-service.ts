import sql, { empty } from 'sql-template-tag';
import { audit } from '../audit.ts';
import type { CredentialCache } from '../cache/credential-cache.ts';
import type { AppContext } from '../context.ts';
import type { Queryable } from '../db/types.ts';
import { inWorkspace } from '../db/workspace-scope.ts';
import { AppError } from '../errors.ts';
import type { Principal, Role } from './roles.ts';
import { newSecret, parseSecret, verifyPassword } from './secrets.ts';

interface Candidate {
  workspace_id: number;
  workspace_name: string;
  id: number;
  password_hash: string | null;
}

/**
 * Wrong passwords in a row before an e-mail locks, for how long, and after how long without
 * an attempt its count is forgotten.
 */
export const LOCKOUT = { attempts: 5, minutes: 15, forgetAfterHours: 24 };

const badLogin = () =>
  new AppError('UNAUTHENTICATED', {
    en: 'wrong e-mail or password',
    ru: 'неверный e-mail или пароль',
  });

const lockedOut = (until: Date) =>
  new AppError(
    'RATE_LIMITED',
    {
      en: `too many wrong passwords: the account is locked until ${until.toISOString()} (or ask an admin to reset the password)`,
      ru: `слишком много неверных паролей: вход заблокирован до ${until.toISOString()} (или попросите администратора сменить пароль)`,
    },
    { retry_at: until.toISOString() },
  );

/**
 * Counts the attempt and decides, in one statement, before any password is checked: the
 * attempts since the last success, per e-mail (known or not); the one past the limit locks
 * the e-mail, and while it is locked nothing is counted. Parallel attempts each get their own
 * number, so no more than `LOCKOUT.attempts` of them reach a password check.
 */
const COUNT_ATTEMPT = `
  insert into voronka_meta.sign_in_failures as f (email_key, failures, last_at, locked_until)
  values (voronka_meta.sign_in_key($1), 1, $2, null)
  on conflict (email_key) do update set
    failures = case when f.locked_until > $2 then f.failures
                    when f.locked_until is not null or f.last_at <= $2::timestamptz - $5::interval then 1
                    else f.failures + 1 end,
    locked_until = case when f.locked_until > $2 then f.locked_until
                        when f.locked_until is null and f.last_at > $2::timestamptz - $5::interval and f.failures + 1 > $3
                          then $4::timestamptz
                        end,
    last_at = case when f.locked_until > $2 then f.last_at else $2 end
  returning locked_until`;

/**
 * Password sign-in. An e-mail may belong to users of several workspaces. Whatever the
 * e-mail matches — nobody, one account, several — an attempt costs the same: one count,
 * one lookup and one argon2 verification (against a dummy hash when there is no account),
 * and a wrong password answers the same 401, so neither the answer nor its time tells
 * whether an account exists. The password is checked against the named workspace's
 * account, else the first (by workspace id); a person who proved it and has accounts in
 * other workspaces too is asked to pick one.
 */
export async function login(
  ctx: AppContext,
  input: { email: string; password: string; workspace?: string },
): Promise<{
  token: string;
  expiresAt: Date;
  workspaceId: number;
  userId: number;
}> {
  const email = input.email.trim();
  const now = ctx.clock.now();
  const [count] = await ctx.db.query<{ locked_until: Date | null }>(COUNT_ATTEMPT, [
    email,
    now,
    LOCKOUT.attempts,
    new Date(now.getTime() + LOCKOUT.minutes * 60_000),
    `${LOCKOUT.forgetAfterHours} hours`,
  ]);
  if (count.locked_until && count.locked_until.getTime() > now.getTime()) throw lockedOut(count.locked_until);
  // Sign-in is the one lookup across workspaces: the e-mail decides which one.
  const candidates = await ctx.db.query<Candidate>(
    `select u.workspace_id, w.name as workspace_name, u.id, u.password_hash
       from users u join workspaces w on w.workspace_id = u.workspace_id
      where lower(u.email) = lower($1) and u.active
        and ($2::text is null or lower(w.name) = lower($2) or w.workspace_id::text = $2)
      order by u.workspace_id`,
    [email, input.workspace ?? null],
  );
  const who = candidates[0] as Candidate | undefined;
  if (!(await verifyPassword(who?.password_hash ?? null, input.password)) || !who) {
    // Counts idle for a day are forgotten: so are their rows.
    await ctx.db.query(`delete from voronka_meta.sign_in_failures where last_at <= $1::timestamptz - $2::interval`, [
      now,
      `${LOCKOUT.forgetAfterHours} hours`,
    ]);
    throw badLogin();
  }
  await ctx.db.query('delete from voronka_meta.sign_in_failures where email_key = voronka_meta.sign_in_key($1)', [email]);
  if (candidates.length > 1) {
    throw new AppError(
      'VALIDATION_FAILED',
      {
        en: `this account exists in several workspaces; add "workspace": one of ${candidates.map((m) => m.workspace_name).join(', ')}`,
        ru: `эта учётная запись есть в нескольких пространствах; укажите "workspace": ${candidates.map((m) => m.workspace_name).join(', ')}`,
      },
      {
        fields: [
          {
            field: 'workspace',
            code: 'ambiguous',
            message: { en: 'choose a workspace', ru: 'выберите пространство' },
          },
        ],
        workspaces: candidates.map((m) => m.workspace_name),
      },
    );
  }
  const { token, hash } = newSecret('vks', who.workspace_id);
  const opened = ctx.clock.now();
  const expiresAt = new Date(opened.getTime() + ctx.config.sessionTtlHours * 3600_000);
  await inWorkspace(ctx.db, who.workspace_id, (tx) =>
    tx.query(
      'insert into sessions (workspace_id, user_id, token_hash, created_at, expires_at, last_seen_at) values ($1, $2, $3, $4, $5, $4)',
      [who.workspace_id, who.id, hash, opened, expiresAt],
    ),
  );
  return { token, expiresAt, workspaceId: who.workspace_id, userId: who.id };
}

interface PrincipalRow {
  scopes: string[] | null;
  expires_at: Date | string | null;
  credential_id: number;
  user_id: number;
  role: Role;
  name: string;
  locale: 'ru' | 'en' | null;
}

/**
 * Resolves a session cookie or API token; null when unknown, expired or revoked. `carrier`
 * says where the secret came from: the session cookie carries sessions only, because the
 * cross-site check applies to sessions — an API token in the cookie would be a credential
 * the browser sends by itself that skips it.
 */
export async function authenticate(
  ctx: AppContext,
  secret: string,
  cache?: CredentialCache,
  carrier: 'header' | 'cookie' = 'cookie',
): Promise<Principal | null> {
  const parsed = parseSecret(secret);
  if (!parsed) return null;
  if (carrier === 'cookie' && parsed.kind !== 'vks') return null;
  // An invitation link is not a credential: it only sets a password (invitations.ts).
  if (parsed.kind === 'vki') return null;
  const now = ctx.clock.now();
  const hit = cache?.get(parsed.hash, now.getTime());
  if (hit) return hit;
  // One statement: read the credential without locking it and stamp "last seen" at most
  // once a minute, so many parallel requests with one token do not queue on its row.
  const [table, stamp] = parsed.kind === 'vks' ? ['sessions', 'last_seen_at'] : ['api_tokens', 'last_used_at'];
  const found =
    parsed.kind === 'vks'
      ? `select s.id as credential_id, u.id as user_id, u.role, u.name, u.locale, null::text[] as scopes, s.expires_at
           from sessions s join users u on u.workspace_id = s.workspace_id and u.id = s.user_id and u.active
          where s.workspace_id = $1 and s.token_hash = $2 and s.expires_at > $3`
      : `select t.id as credential_id, u.id as user_id, u.role, u.name, u.locale, t.scopes, t.expires_at
           from api_tokens t join users u on u.workspace_id = t.workspace_id and u.id = t.user_id and u.active
          where t.workspace_id = $1 and t.token_hash = $2 and t.revoked_at is null
            and (t.expires_at is null or t.expires_at > $3)`;
  const rows = await inWorkspace(ctx.db, parsed.workspaceId, (tx) =>
    tx.query<PrincipalRow>(
      `with found as (${found}),
            stamped as (update ${table} c set ${stamp} = $3 from found
                         where c.workspace_id = $1 and c.id = found.credential_id
                           and (c.${stamp} is null or c.${stamp} < $3::timestamptz - interval '1 minute'))
       select * from found`,
      [parsed.workspaceId, parsed.hash, now],
    ),
  );
  if (rows.length === 0) return null;
  const r = rows[0];
  const principal: Principal = {
    workspaceId: parsed.workspaceId,
    userId: r.user_id,
    role: r.role,
    name: r.name,
    locale: r.locale,
    via: parsed.kind === 'vks' ? 'session' : 'token',
    credentialId: r.credential_id,
    scopes: parsed.kind === 'vks' ? ['read', 'write'] : (r.scopes ?? ['read', 'write']),
  };
  cache?.set(parsed.hash, principal, r.expires_at ? new Date(r.expires_at).getTime() : null, now.getTime());
  return principal;
}

export async function logout(ctx: AppContext, p: Principal): Promise<void> {
  if (p.via !== 'session') return;
  await inWorkspace(ctx.db, p.workspaceId, (tx) =>
    tx.query('delete from sessions where workspace_id = $1 and id = $2', [p.workspaceId, p.credentialId]),
  );
}

export async function createApiToken(
  ctx: AppContext,
  p: Pick<Principal, 'workspaceId' | 'userId'>,
  input: { name: string; expires_in_days?: number | null; scopes?: ('read' | 'write')[] },
): Promise<{
  id: number;
  token: string;
  name: string;
  scopes: ('read' | 'write')[];
  expires_at: string | null;
  created_at: string;
}> {
  const { token, hash } = newSecret('vkt', p.workspaceId);
  const scopes = [...new Set(input.scopes ?? ['read', 'write'])].sort() as ('read' | 'write')[];
  const now = ctx.clock.now();
  const expires = input.expires_in_days ? new Date(now.getTime() + input.expires_in_days * 86_400_000) : null;
  const [row] = await inWorkspace(ctx.db, p.workspaceId, (tx) =>
    tx.query<{ id: number }>(
      'insert into api_tokens (workspace_id, user_id, name, token_hash, created_at, expires_at, scopes) values ($1, $2, $3, $4, $5, $6, $7) returning id',
      [p.workspaceId, p.userId, input.name, hash, now, expires, scopes],
    ),
  );
  return {
    id: row.id,
    token,
    name: input.name,
    scopes,
    expires_at: expires?.toISOString() ?? null,
    created_at: now.toISOString(),
  };
}

/**
 * Revokes a person's API tokens — the one `tokenId`, or all that still work — in the caller's
 * transaction, each recorded in the audit log as a change of `revoked_at` by `by`. The ids
 * revoked, in order (none: no such working token of that person).
 */
export async function revokeApiTokens(
  tx: Queryable,
  input: { workspaceId: number; userId: number; tokenId?: number; by: number; at: Date },
): Promise<number[]> {
  const rows = await tx.query<{ id: number }>(
    sql`update api_tokens set revoked_at = ${input.at}
         where workspace_id = ${input.workspaceId} and user_id = ${input.userId} and revoked_at is null
               ${input.tokenId === undefined ? empty : sql`and id = ${input.tokenId}`}
        returning id`,
  );
  const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  for (const id of ids)
    await audit(tx, {
      workspaceId: input.workspaceId,
      userId: input.by,
      entity: 'api_tokens',
      entityId: id,
      action: 'update',
      at: input.at,
      changes: { revoked_at: { from: null, to: input.at.toISOString() } },
    });
  return ids;
}
