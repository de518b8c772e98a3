import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { checkPassword } from './password-strength.ts';

/**
 * A new password, checked (`checkPassword`: a 400 naming `password` when too short or easy to
 * guess; `userInputs` — the person's name, e-mail — count as known words) and hashed with
 * argon2id at the library's defaults (OWASP-recommended memory and time costs). Every place
 * that sets a password comes through here, so one rule applies everywhere.
 */
export async function hashPassword(password: string, userInputs: readonly (string | null | undefined)[] = []): Promise<string> {
  checkPassword(password, userInputs);
  return hash(password);
}

let verifications = 0;
/** argon2 verifications run by this process so far: sign-in's work, counted (tests read it). */
export const argon2Verifications = () => verifications;

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  verifications++;
  if (!stored) {
    // Spend the same time as a real check so response times do not reveal accounts.
    await verify(DUMMY_HASH, password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$H802ZnZrjYe9qkX4jQfBWTQtJnmj6Noz+sJrSQ8gzOM';

export type SecretKind = 'vks' | 'vkt' | 'vki';

/**
 * Session cookies (`vks_`), API tokens (`vkt_`) and invitation links (`vki_`) carry their workspace id, so
 * the lookup is by (workspace_id, hash) — the shard key first — and only the
 * SHA-256 of the secret is stored (the secret has 256 bits of entropy: no slow
 * hash needed).
 */
export function newSecret(kind: SecretKind, workspaceId: number): { token: string; hash: string } {
  const token = `${kind}_${workspaceId}_${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256(token) };
}

export function parseSecret(token: string): { kind: SecretKind; workspaceId: number; hash: string } | null {
  const m = /^(vks|vkt|vki)_([1-9][0-9]{0,15})_[A-Za-z0-9_-]{43}$/.exec(token);
  if (!m) return null;
  const workspaceId = Number(m[2]);
  // Sixteen digits can exceed what a JavaScript number holds exactly: no such workspace.
  if (!Number.isSafeInteger(workspaceId)) return null;
  return {
    kind: m[1] as SecretKind,
    workspaceId,
    hash: sha256(token),
  };
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
