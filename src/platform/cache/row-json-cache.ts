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
  /**
   * The SHA-256 of the page's rows' ids and stored versions in order, as the database wrote and
   * hashed them (`PageVersions.digest`): a short key for a page of any length.
   */
  digest: string;
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
 * A row is UTF-8 bytes held as a one-byte string (each byte one character): compact in V8's heap
 * (a small Buffer of its own costs more), and copied into a page as it is (`latin1`: no decoding or
 * encoding, which for Cyrillic text costs V8 about 30 times more than for ASCII). A page or a card
 * is kept as the Buffer that is sent: a hit is written to the socket without a copy.
 */
export class RowJsonCache {
  private readonly lru: LRUCache<string, string | Buffer>;
  private server?: string;

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, string | Buffer>({
      maxSize: maxBytes,
      sizeCalculation: (v, k) => v.length + k.length + ENTRY_OVERHEAD,
    });
  }

  private static rowKey(k: RowKey) {
    return `r:${k.resource}:${k.ws}:${k.id}:${k.version}`;
  }
  private static pageKey(k: PageKey) {
    return `p:${k.resource}:${k.sort}:${k.ws}:${k.limit}:${k.digest}`;
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
    return this.lru.get(RowJsonCache.rowKey(k)) as string | undefined;
  }
  /** Keeps a row's JSON (a JS string) and returns it as `row` would. */
  keepRow(k: RowKey, json: string): string {
    const held = Buffer.from(json).toString('latin1');
    this.lru.set(RowJsonCache.rowKey(k), held);
    return held;
  }

  /** A page's bytes, to be sent as they are (not to be changed). */
  page(k: PageKey): Buffer | undefined {
    return this.lru.get(RowJsonCache.pageKey(k)) as Buffer | undefined;
  }
  keepPage(k: PageKey, bytes: Buffer): Buffer {
    this.lru.set(RowJsonCache.pageKey(k), bytes);
    return bytes;
  }

  /** A card's bytes, to be sent as they are (not to be changed). */
  card(k: CardKey): Buffer | undefined {
    return this.lru.get(RowJsonCache.cardKey(k)) as Buffer | undefined;
  }
  keepCard(k: CardKey, json: string): Buffer {
    const bytes = ownBuffer(json);
    this.lru.set(RowJsonCache.cardKey(k), bytes);
    return bytes;
  }

  get size() {
    return this.lru.size;
  }

  clear() {
    this.lru.clear();
  }
}

/**
 * A string's UTF-8 bytes in memory of their own: a small `Buffer.from` is cut from Node's shared
 * 8 KB slabs, and one kept in a cache would keep its whole slab alive.
 */
function ownBuffer(text: string): Buffer {
  const size = Buffer.byteLength(text);
  const out = Buffer.allocUnsafeSlow(size);
  out.write(text, 0, size, 'utf8');
  return out;
}
