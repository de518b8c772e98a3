import { randomBytes } from 'node:crypto';
import { CredentialCache } from './credential-cache.ts';
import { RowJsonCache } from './row-json-cache.ts';
import { WorkspaceCache } from './workspace-cache.ts';
import { WorkspaceWrites } from './workspace-writes.ts';

export interface CacheSettings {
  /** Memory for row JSON, list pages and deal cards (MB; 0: none). */
  rowCacheMb: number;
  /** How long a computed report, or a deal card's configuration, is reused (0: never). */
  reportCacheMs: number;
  /** How long a resolved session or token is reused (0: never). */
  authCacheMs: number;
}

/** The caches a bench may turn off and on again (`benchCacheSwitch`): what each serves. */
export const SWITCHABLE = ['rows', 'cards', 'config', 'reports', 'credentials'] as const;
export type Switchable = (typeof SWITCHABLE)[number];

/**
 * Every cache of a server, made by `buildServer` from its configuration and passed on the context;
 * nothing is cached outside a server. Two kinds, by what can tell an entry is still right:
 *
 * - what names the stored row versions it came from (`RowJsonCache`: list rows and pages, deal
 *   cards), checked by the database on every request — never stale, whoever wrote;
 * - what cannot (reports, a deal card's configuration, credentials): dropped by any write through
 *   this process in the workspace (`written`, called once per successful write before its answer
 *   leaves) and kept at most its time to live, for other processes' writes.
 */
export class Caches {
  readonly writes = new WorkspaceWrites();
  private readonly json?: RowJsonCache;
  private readonly reportCache: WorkspaceCache;
  private readonly configCache: WorkspaceCache;
  private readonly credentialCache: CredentialCache;
  private readonly none: WorkspaceCache;
  private readonly noCredentials: CredentialCache;
  private readonly off = new Set<Switchable>();
  /** Names this server process in its ETags (`etag`). */
  private readonly process = randomBytes(6).toString('base64url');

  constructor(s: CacheSettings) {
    if (!Number.isFinite(s.rowCacheMb) || s.rowCacheMb < 0) throw new Error(`rowCacheMb must be 0 or more, not ${s.rowCacheMb}`);
    this.json = s.rowCacheMb > 0 ? new RowJsonCache(Math.round(s.rowCacheMb * 1024 * 1024)) : undefined;
    this.reportCache = new WorkspaceCache(this.writes, s.reportCacheMs);
    this.configCache = new WorkspaceCache(this.writes, s.reportCacheMs, 200);
    this.credentialCache = new CredentialCache(this.writes, s.authCacheMs);
    this.none = new WorkspaceCache(this.writes, 0);
    this.noCredentials = new CredentialCache(this.writes, 0);
  }

  /** Row JSON and whole pages of lists; none when the configuration gives it no memory. */
  get rows(): RowJsonCache | undefined {
    return this.off.has('rows') ? undefined : this.json;
  }
  /** Whole deal cards (in the same memory as the rows). */
  get cards(): RowJsonCache | undefined {
    return this.off.has('cards') ? undefined : this.json;
  }
  /** Computed reports. */
  get reports(): WorkspaceCache {
    return this.off.has('reports') ? this.none : this.reportCache;
  }
  /** What a deal card shows of its pipeline (stages, requirements, blocks and fields). */
  get dealConfig(): WorkspaceCache {
    return this.off.has('config') ? this.none : this.configCache;
  }
  /** Resolved sessions and API tokens. */
  get credentials(): CredentialCache {
    return this.off.has('credentials') ? this.noCredentials : this.credentialCache;
  }

  /**
   * An ETag from the digests, written by the database, of what an answer's bytes follow from (a list
   * page's rows and versions, a deal card's stamp and configuration): no hashing here. The tag also
   * names this server process, whose code writes the bytes: after an upgrade a browser's kept answer
   * is sent again whole rather than confirmed by the same rows (each process of several behind a
   * proxy thus has tags of its own: a client that changes process gets one answer whole).
   */
  etag(...digests: string[]): string {
    return `"${this.process}.${digests.join('.')}"`;
  }

  /** After a successful write in the workspace `ws`: what cannot check itself is stale. */
  written(ws: number) {
    this.writes.written(ws);
  }

  /** Empties every cache. */
  clear() {
    this.json?.clear();
    this.reportCache.clear();
    this.configCache.clear();
    this.credentialCache.clear();
  }

  /**
   * For the bench's interleaved comparison only (`benchCacheSwitch`): turns caches off (emptied,
   * so that turning them on again starts cold, like a fresh server) or on.
   */
  switch(names: readonly Switchable[], on: boolean) {
    for (const n of names) {
      if (on) this.off.delete(n);
      else this.off.add(n);
    }
    if (!on) {
      if (names.includes('rows') || names.includes('cards')) this.json?.clear();
      if (names.includes('reports')) this.reportCache.clear();
      if (names.includes('config')) this.configCache.clear();
      if (names.includes('credentials')) this.credentialCache.clear();
    }
  }
}
