import { LRUCache } from 'lru-cache';
import type { Principal } from '../auth/roles.ts';
import type { WorkspaceWrites } from './workspace-writes.ts';

interface Entry {
  principal: Principal;
  /** When the credential itself expires (ms), or null for a token without expiry. */
  expiresAt: number | null;
  /** The clock's time when it was read from the database (ms). */
  readAt: number;
  /** The workspace's write count when it was read. */
  writes: number;
}

/**
 * Recently resolved sessions and API tokens, keyed by the secret's SHA-256, so that a burst of
 * requests with one credential reads it from the database once, not once per request. An entry is
 * used for at most `ttlMs` of the application clock (0: never) and never past the credential's own
 * expiry. Any successful write in a workspace (a sign-out, a revoked token, a changed or deactivated
 * user, a password reset …) makes that workspace's entries stale in this process (`WorkspaceWrites`);
 * another process sees such a change within `ttlMs`.
 */
export class CredentialCache {
  private readonly cache = new LRUCache<string, Entry>({ max: 10_000 });

  constructor(
    private readonly writes: WorkspaceWrites,
    readonly ttlMs: number,
  ) {}

  get(hash: string, now: number): Principal | null {
    if (this.ttlMs <= 0) return null;
    const e = this.cache.get(hash);
    if (!e) return null;
    const fresh =
      e.writes === this.writes.of(e.principal.workspaceId) &&
      now >= e.readAt &&
      now - e.readAt < this.ttlMs &&
      (e.expiresAt === null || now < e.expiresAt);
    if (!fresh) {
      this.cache.delete(hash);
      return null;
    }
    return e.principal;
  }

  set(hash: string, principal: Principal, expiresAt: number | null, now: number) {
    if (this.ttlMs <= 0) return;
    this.cache.set(hash, { principal, expiresAt, readAt: now, writes: this.writes.of(principal.workspaceId) });
  }

  clear() {
    this.cache.clear();
  }
}
