import { LRUCache } from 'lru-cache';

/**
 * Finished reports, per workspace, for a short while: a dashboard opened by a whole
 * team computes each report once. Any successful write in the workspace drops its
 * entries (one process; with several processes an entry lives at most `ttlMs`), and
 * live reports — whose "now" moves — expire after `ttlMs` anyway.
 */
export class ReportCache {
  private readonly cache: LRUCache<string, object>;
  private readonly generation = new Map<number, number>();

  constructor(
    max = 500,
    readonly ttlMs = 30_000,
  ) {
    this.cache = new LRUCache({ max, ttl: ttlMs });
  }

  private key(ws: number, key: string) {
    return `${ws}:${this.generation.get(ws) ?? 0}:${key}`;
  }

  async get<T extends object>(ws: number, key: string, compute: () => Promise<T>): Promise<T> {
    const k = this.key(ws, key);
    const hit = this.cache.get(k);
    if (hit) return hit as T;
    const value = await compute();
    this.cache.set(k, value);
    return value;
  }

  /** Called after a successful write: later reads of this workspace recompute. */
  invalidate(ws: number) {
    this.generation.set(ws, (this.generation.get(ws) ?? 0) + 1);
  }
}
