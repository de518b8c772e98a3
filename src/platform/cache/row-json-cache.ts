import { LRUCache } from 'lru-cache';

/**
 * Bytes an entry costs the process besides its JSON and key (string headers, the cache's
 * bookkeeping, the heap's slack), so that the budget is about what the process holds.
 */
export const ENTRY_OVERHEAD = 640;

/** A row as the database confirmed it: its id and stored version (`xmin` and the API version, as one token). */
export interface RowKey {
  resource: string;
  ws: number;
  id: number;
  version: string;
}

/** A whole page of a list: the rows, in order, that the database answered for it, under a sort and a limit. */
export interface PageKey {
  resource: string;
  sort: string;
  ws: number;
  limit: number;
  /** The page's rows' ids and stored versions in order, as the database wrote them (`PageVersions.entries`). */
  entries: string;
}

/** A whole deal card: the digest of every row it shows and of its configuration. */
export interface CardKey {
  ws: number;
  id: number;
  stamp: string;
}

/**
 * API JSON that the database has confirmed unchanged, as bytes: row versions for lists, whole list
 * pages, whole deal cards. Each key names stored row versions (`xmin`: PostgreSQL gives every
 * insert and update a new one, whatever wrote it), so an entry can never describe rows other than
 * the ones it names: nothing needs to invalidate it, and writes by other processes show at once.
 * Transaction ids repeat only on another server (a promoted standby, a restore to a point in time):
 * `sameServer` empties the cache when the statements report another start time. Bounded by bytes,
 * least recently used first.
 *
 * An entry is UTF-8 bytes held as a one-byte string (each byte one character): compact in V8's heap,
 * and copied into the answer as it is (`latin1`: no decoding or encoding, which for Cyrillic text
 * costs V8 about 30 times more than for ASCII).
 */
export class RowJsonCache {
  private readonly lru: LRUCache<string, string>;
  private server?: string;

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, string>({ maxSize: maxBytes, sizeCalculation: (v, k) => v.length + k.length + ENTRY_OVERHEAD });
  }

  private static rowKey(k: RowKey) {
    return `r:${k.resource}:${k.ws}:${k.id}:${k.version}`;
  }
  private static pageKey(k: PageKey) {
    return `p:${k.resource}:${k.sort}:${k.ws}:${k.limit}:${k.entries}`;
  }
  private static cardKey(k: CardKey) {
    return `c:${k.ws}:${k.id}:${k.stamp}`;
  }

  /** Empties the cache when the database reports a server started at another time than before. */
  sameServer(startedAt: string) {
    if (this.server !== undefined && this.server !== startedAt) this.lru.clear();
    this.server = startedAt;
  }

  /** The row's JSON as UTF-8 bytes in a one-byte string (write it with the `latin1` encoding). */
  row(k: RowKey): string | undefined {
    return this.lru.get(RowJsonCache.rowKey(k));
  }
  /** Keeps a row's JSON (a JS string) and returns it as `row` would. */
  keepRow(k: RowKey, json: string): string {
    return this.keep(RowJsonCache.rowKey(k), Buffer.from(json));
  }

  page(k: PageKey): string | undefined {
    return this.lru.get(RowJsonCache.pageKey(k));
  }
  keepPage(k: PageKey, bytes: Buffer): string {
    return this.keep(RowJsonCache.pageKey(k), bytes);
  }

  card(k: CardKey): string | undefined {
    return this.lru.get(RowJsonCache.cardKey(k));
  }
  keepCard(k: CardKey, json: string): string {
    return this.keep(RowJsonCache.cardKey(k), Buffer.from(json));
  }

  private keep(key: string, bytes: Buffer): string {
    const held = bytes.toString('latin1');
    this.lru.set(key, held);
    return held;
  }

  get size() {
    return this.lru.size;
  }

  clear() {
    this.lru.clear();
  }
}
