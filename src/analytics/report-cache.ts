import type { FastifyInstance } from 'fastify';
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
  /** Computations under way: requests for the same report in the same generation share one. */
  private readonly inflight = new Map<string, Promise<object>>();

  constructor(
    max = 500,
    readonly ttlMs = 30_000,
  ) {
    this.cache = new LRUCache({ max, ttl: ttlMs });
  }

  private key(ws: number, key: string) {
    return `${ws}:${this.generation.get(ws) ?? 0}:${key}`;
  }

  /**
   * The cached report, or the one being computed for the same workspace generation, or a new
   * computation. Sharing an in-flight computation keeps read-your-writes: a request that arrives
   * after a write has a newer generation, so it never waits for a computation started before it.
   * Without sharing, 100 clients with 10 % writes recomputed the same report dozens of times at once.
   */
  async get<T extends object>(ws: number, key: string, compute: () => Promise<T>): Promise<T> {
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

  /** Called after a successful write: later reads of this workspace recompute. */
  invalidate(ws: number) {
    this.generation.set(ws, (this.generation.get(ws) ?? 0) + 1);
  }
}

/**
 * A cache of the app (`ttlMs` 0: none) whose workspace entries any successful write of that
 * workspace drops — before the write's answer leaves, so a client that reads right after its
 * write's answer never gets what was there before it.
 */
export function workspaceCache(app: FastifyInstance, ttlMs: number, max = 500) {
  const cache = new ReportCache(max, ttlMs);
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.principal && !['GET', 'HEAD', 'OPTIONS'].includes(req.method) && reply.statusCode < 400)
      cache.invalidate(req.principal.workspaceId);
    return payload;
  });
  return <T extends object>(ws: number, key: string, compute: () => Promise<T>): Promise<T> =>
    ttlMs > 0 ? cache.get(ws, key, compute) : compute();
}
