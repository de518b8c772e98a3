import { createHash } from 'node:crypto';

/**
 * An ETag from what identifies an answer's bytes exactly (a list page's rows and versions, a deal
 * card's stamp), so that an answer from a cache costs no hashing of its body: hashing 33 KB took
 * 0.15 ms here, more than the rest of a cached list.
 */
export function etagOf(seed: string): string {
  return `"${createHash('sha1').update(seed).digest('base64url')}"`;
}
