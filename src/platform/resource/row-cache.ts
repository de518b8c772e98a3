import { LRUCache } from 'lru-cache';
import type { Db } from '../db/types.ts';

/**
 * The API JSON of row versions, as bytes, for lists (`listJson`): keyed by resource, workspace, id
 * and the stored version of the row (`xmin` — the transaction that wrote that version — and the
 * API version). PostgreSQL gives every insert and update a new `xmin`, whatever wrote it, so an
 * entry can never describe a row other than the one it names: nothing needs to invalidate it, and
 * writes by other processes are seen at once. Bounded by bytes (least recently used go first).
 *
 * One cache per database handle: two databases in one process (tests) can hold the same ids
 * written by the same transaction numbers.
 */
export class RowJsonCache {
  private readonly lru: LRUCache<string, Buffer>;

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, Buffer>({ maxSize: maxBytes, sizeCalculation: (v, k) => v.length + k.length + 128 });
  }

  private static key(what: string, ws: number, id: number, version: string) {
    return `${what}:${ws}:${id}:${version}`;
  }

  get(what: string, ws: number, id: number, version: string): Buffer | undefined {
    return this.lru.get(RowJsonCache.key(what, ws, id, version));
  }

  set(what: string, ws: number, id: number, version: string, json: string): Buffer {
    // Its own memory: `Buffer.from` would cut small buffers out of shared 8 KB slabs, and one
    // entry still cached would keep a whole slab of evicted ones alive.
    const b = Buffer.allocUnsafeSlow(Buffer.byteLength(json));
    b.write(json);
    this.lru.set(RowJsonCache.key(what, ws, id, version), b);
    return b;
  }

  get size() {
    return this.lru.size;
  }
}

const caches = new WeakMap<Db, RowJsonCache | null>();

/** Megabytes for the row cache of lists: `VORONKA_ROW_CACHE_MB` (0 turns it off), 64 by default. */
export function rowCacheMegabytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.VORONKA_ROW_CACHE_MB;
  if (v === undefined || v === '') return 64;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`VORONKA_ROW_CACHE_MB must be megabytes (0 turns the cache off), not "${v}"`);
  return n;
}

/** The row cache of a database handle (created on first use), or undefined when turned off. */
export function rowCacheOf(db: Db): RowJsonCache | undefined {
  let c = caches.get(db);
  if (c === undefined) {
    const mb = rowCacheMegabytes();
    c = mb > 0 ? new RowJsonCache(Math.round(mb * 1024 * 1024)) : null;
    caches.set(db, c);
  }
  return c ?? undefined;
}
