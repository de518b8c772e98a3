import { LRUCache } from 'lru-cache';
import type { WorkspaceWrites } from './workspace-writes.ts';

/**
 * Computed answers per workspace for a short while (`ttlMs`; 0: none), dropped by any write in the
 * workspace (`WorkspaceWrites`): a dashboard opened by a whole team computes each report once, and
 * live reports — whose "now" moves — expire anyway.
 */
export class WorkspaceCache {
  private readonly cache: LRUCache<string, object>;
  /** Computations under way: requests for the same answer after the same writes share one. */
  private readonly inflight = new Map<string, Promise<object>>();

  constructor(
    private readonly writes: WorkspaceWrites,
    readonly ttlMs: number,
    max = 500,
  ) {
    this.cache = new LRUCache({ max, ttl: Math.max(ttlMs, 1) });
  }

  private key(ws: number, key: string) {
    return `${ws}:${this.writes.of(ws)}:${key}`;
  }

  /**
   * The kept answer, or the one being computed after the same writes, or a new computation.
   * Sharing an in-flight computation keeps read-your-writes: a request that arrives after a write
   * has a newer count, so it never waits for a computation started before it. Without sharing, 100
   * clients with 10 % writes recomputed the same report dozens of times at once.
   */
  async get<T extends object>(ws: number, key: string, compute: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return compute();
    const k = this.key(ws, key);
    const hit = this.cache.get(k);
    if (hit) return hit as T;
    const running = this.inflight.get(k);
    if (running) return running as Promise<T>;
    const p = compute().then(
      (value) => {
        this.cache.set(k, value);
        this.inflight.delete(k);
        return value;
      },
      (e: unknown) => {
        this.inflight.delete(k);
        throw e;
      },
    );
    this.inflight.set(k, p);
    return p;
  }

  clear() {
    this.cache.clear();
  }
}
