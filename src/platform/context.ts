import type { Clock } from './clock.ts';
import type { Db } from './db/types.ts';

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
}

/** What every use case needs, passed explicitly (no globals, so tests pin the clock). */
export interface AppContext {
  db: Db;
  clock: Clock;
  config: AppConfig;
}

export const defaultConfig: AppConfig = {
  sessionTtlHours: 24 * 14,
  loginAttemptsPerMinute: 10,
  reportCacheMs: 30_000,
  reportTimeoutMs: 30_000,
  authCacheMs: 10_000,
  secureCookies: false,
};
