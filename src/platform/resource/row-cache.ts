import { LRUCache } from 'lru-cache';
import type { Db } from '../db/types.ts';

/**
 * Bytes an entry costs the process besides its JSON and key (string headers, the cache's
 * bookkeeping, the heap's slack), so that the budget is about what the process holds: 100,000
 * entries of 595 bytes took 1,257 bytes each of resident memory (869 of them in the heap).
 */
export const ENTRY_OVERHEAD = 640;

/**
 * API JSON that the database has confirmed unchanged, as bytes: the JSON of row versions for lists
 * (`listJson`), keyed by resource, workspace, id and the stored version of the row (`xmin` — the
 * transaction that wrote that version — and the API version); whole list pages, keyed by their
 * rows' ids and versions, limit and sort; whole deal cards, keyed by the card's stamp
 * (`dealCardSql`). PostgreSQL gives every insert and update a new `xmin`, whatever wrote it, so an
 * entry can never describe rows other than the ones it names: nothing needs to invalidate it, and
 * writes by other processes are seen at once. Bounded by bytes (least recently used go first).
 * Emptied when the pool reaches a server other than before (`Db.onServerChange`: a promoted standby
 * or a restore to a point in time may hand out the same transaction ids again).
 *
 * One cache per database handle: two databases in one process (tests) can hold the same ids
 * written by the same transaction numbers.
 *
 * An entry is UTF-8 bytes held as a one-byte string (each byte one character): compact in V8's
 * heap, and copied into the answer as it is (`latin1` — no decoding or encoding). Buffers of their
 * own took 1,391 bytes each for the same rows (one allocation apiece); buffers cut from Node's
 * shared 8 KB slabs kept whole slabs of evicted entries alive.
 */
export class RowJsonCache {
  private readonly lru: LRUCache<string, string>;

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, string>({ maxSize: maxBytes, sizeCalculation: (v, k) => v.length + k.length + ENTRY_OVERHEAD });
  }

  /**
   * `what`: the kind of entry (a resource's rows, its pages in one sort, deal cards); `n`: a row's
   * or card's id, a page's limit; `version`: what the database confirmed (a row's stored version, a
   * page's rows and versions, a card's stamp).
   */
  private static key(what: string, ws: number, n: number, version: string) {
    return `${what}:${ws}:${n}:${version}`;
  }

  /** The entry's JSON as UTF-8 bytes in a one-byte string (write it with the `latin1` encoding). */
  get(what: string, ws: number, n: number, version: string): string | undefined {
    return this.lru.get(RowJsonCache.key(what, ws, n, version));
  }

  /** Keeps `json` (a JS string) and returns it as `get` would. */
  set(what: string, ws: number, n: number, version: string, json: string): string {
    return this.keep(what, ws, n, version, Buffer.from(json));
  }

  /** Keeps bytes already encoded (a whole page) and returns them as `get` would. */
  keep(what: string, ws: number, n: number, version: string, bytes: Buffer): string {
    const held = bytes.toString('latin1');
    this.lru.set(RowJsonCache.key(what, ws, n, version), held);
    return held;
  }

  get size() {
    return this.lru.size;
  }

  clear() {
    this.lru.clear();
  }
}

const caches = new WeakMap<Db, RowJsonCache | null>();

/** Megabytes for the row cache (rows, pages, deal cards): `VORONKA_ROW_CACHE_MB` (0 turns it off), 64 by default. */
export function rowCacheMegabytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.VORONKA_ROW_CACHE_MB;
  if (v === undefined || v === '') return 64;
  const n = Number(v);
  if (!Number.isFinite(n) || (n !== 0 && n < 1))
    throw new Error(`VORONKA_ROW_CACHE_MB must be megabytes, at least 1 (0 turns the cache off), not "${v}"`);
  return n;
}

/** The row cache of a database handle (created on first use), or undefined when turned off. */
export function rowCacheOf(db: Db): RowJsonCache | undefined {
  let c = caches.get(db);
  if (c === undefined) {
    const mb = rowCacheMegabytes();
    c = mb > 0 ? new RowJsonCache(Math.round(mb * 1024 * 1024)) : null;
    caches.set(db, c);
    // Transaction ids are the key; a server that may have handed them out again starts afresh.
    if (c) db.onServerChange?.(() => c?.clear());
  }
  return c ?? undefined;
}
