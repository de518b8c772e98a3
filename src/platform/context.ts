import type { Caches } from './cache/caches.ts';
import type { Clock } from './clock.ts';
import type { Db, DbSettings } from './db/types.ts';

export interface AppConfig {
  /** Session lifetime. */
  sessionTtlHours: number;
  /** How long a computed report is reused (0: never); any write in the workspace drops it. */
  reportCacheMs: number;
  /**
   * How long a resolved session or token is reused without reading the database (0: never);
   * any successful write in the workspace drops it (docs/security.md).
   */
  authCacheMs: number;
  /** Memory for the JSON of row versions, whole list pages and deal cards (MB; 0: none). */
  rowCacheMb: number;
  /** Sign-in attempts per minute from one address for one e-mail. */
  loginAttemptsPerMinute: number;
  /**
   * The longest a report's statements may run on a PostgreSQL server (statement_timeout; 0: no
   * limit); a report cut short answers 503 REPORT_TIMEOUT. PGlite has no timer to cancel a
   * statement: there the request bounds (funnel-query.ts) keep reports small.
   */
  reportTimeoutMs: number;
  /** Marks the session cookie Secure (set behind HTTPS). */
  secureCookies: boolean;
  /**
   * Lets the process's standard input turn caches off and on (`cache off rows,cards`, `cache on`):
   * for the load bench's interleaved comparison on one server (bench/load.ts). Off by default; no
   * HTTP client can reach it.
   */
  benchCacheSwitch: boolean;
}

/** What every use case needs, passed explicitly (no globals, so tests pin the clock). */
export interface AppContext {
  db: Db;
  clock: Clock;
  config: AppConfig;
  /** The server's caches (`buildServer` makes them); absent outside a server, where nothing is cached. */
  caches?: Caches;
}

export const defaultConfig: AppConfig = {
  sessionTtlHours: 24 * 14,
  loginAttemptsPerMinute: 10,
  reportCacheMs: 30_000,
  reportTimeoutMs: 30_000,
  authCacheMs: 10_000,
  rowCacheMb: 64,
  secureCookies: false,
  benchCacheSwitch: false,
};

/** A whole number from the environment within [min, max], or `def` when unset or empty. */
function wholeNumber(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number, what: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be ${what}, not "${raw}"`);
  return n;
}

/**
 * The server's configuration from its environment (docs/operations.md lists the variables): the
 * one place, with `dbSettingsFromEnv`, where settings are read from `process.env`.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    ...defaultConfig,
    secureCookies: env.VORONKA_SECURE_COOKIES === '1',
    reportTimeoutMs: wholeNumber(
      env,
      'VORONKA_REPORT_TIMEOUT_MS',
      defaultConfig.reportTimeoutMs,
      0,
      Number.MAX_SAFE_INTEGER,
      'whole milliseconds (0: no limit)',
    ),
    rowCacheMb: rowCacheMegabytes(env),
    benchCacheSwitch: env.VORONKA_BENCH_CACHE_SWITCH === '1',
  };
}

/** `VORONKA_ROW_CACHE_MB` (0 turns the cache off), 64 by default. */
export function rowCacheMegabytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.VORONKA_ROW_CACHE_MB;
  if (v === undefined || v === '') return defaultConfig.rowCacheMb;
  const n = Number(v);
  if (!Number.isFinite(n) || (n !== 0 && n < 1))
    throw new Error(`VORONKA_ROW_CACHE_MB must be megabytes, at least 1 (0 turns the cache off), not "${v}"`);
  return n;
}

/**
 * How the process talks to its database, from the environment: `VORONKA_PG_POOL` connections per
 * process (1–200; by default twice the cores, at least 4), `VORONKA_PG_SESSION_SCOPES` (`on` by
 * default; `off` behind a pooler in transaction mode), `VORONKA_SLOW_QUERY_MS` (log statements that
 * took that long; off by default).
 */
export function dbSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): DbSettings {
  const scopes = env.VORONKA_PG_SESSION_SCOPES ?? 'on';
  if (scopes !== 'on' && scopes !== 'off' && scopes !== '') throw new Error(`VORONKA_PG_SESSION_SCOPES must be on or off, not "${scopes}"`);
  const slow = Number(env.VORONKA_SLOW_QUERY_MS ?? '');
  return {
    poolSize: env.VORONKA_PG_POOL ? wholeNumber(env, 'VORONKA_PG_POOL', 0, 1, 200, 'a whole number from 1 to 200') : undefined,
    sessionScopes: scopes !== 'off',
    slowQueryMs: Number.isFinite(slow) && slow > 0 ? slow : 0,
  };
}
