/**
 * Where a search query shows in a text, so the results can mark it. The server also finds close
 * words and other case endings (trigram similarity, Russian stems) and phone numbers by their
 * digits whatever the separators; the marks follow it as far as plain text allows: each word of
 * the query where it occurs, else its stem at the start of a word («Козлов» in «Козловой» for
 * «Козлова»), and digits across spaces, brackets and dashes («9161234» in «+7 (916) 123-45-67»).
 * Pure: no DOM, no React.
 */
export type Range = [start: number, end: number];

const WORD_CHAR = /[\p{L}\p{N}]/u;
const PHONE_SEPARATORS = /[\s()+\-.]/;

/** Digits count as a number to look for when the query is mostly one: the server's rule (src/crm/search.ts). */
export function queryDigits(query: string): string | null {
  const digits = query.replace(/\D/g, '');
  return digits.length >= 3 && digits.length >= query.replace(/[\s()+\-.]/g, '').length - 1 ? digits : null;
}

function digitRanges(text: string, digits: string): Range[] {
  const out: Range[] = [];
  for (let start = 0; start < text.length; start++) {
    if (text[start] !== digits[0]) continue;
    let i = start;
    let k = 0;
    while (i < text.length && k < digits.length) {
      if (text[i] === digits[k]) k++;
      else if (!PHONE_SEPARATORS.test(text[i])) break;
      i++;
    }
    if (k === digits.length) {
      out.push([start, i]);
      start = i - 1;
    }
  }
  return out;
}

function occurrences(lower: string, word: string, atWordStart: boolean): Range[] {
  const out: Range[] = [];
  for (let at = lower.indexOf(word); at >= 0; at = lower.indexOf(word, at + word.length)) {
    if (!atWordStart || at === 0 || !WORD_CHAR.test(lower[at - 1])) out.push([at, at + word.length]);
  }
  return out;
}

/** The ranges to mark in `text` for `query`, sorted and merged. */
export function matchRanges(text: string, query: string): Range[] {
  const q = query.trim().toLowerCase();
  if (!q || !text) return [];
  const digits = queryDigits(q);
  const found: Range[] = digits ? digitRanges(text, digits) : [];
  // toLowerCase keeps the length of Latin and Cyrillic text, so indexes carry over.
  const lower = text.toLowerCase();
  if (lower.length === text.length) {
    for (const word of q.split(/\s+/)) {
      if (digits && /^\d+$/.test(word)) continue;
      let hits = occurrences(lower, word, false);
      // Another case ending: the longest stem (dropping up to three letters, keeping four) at a word's start.
      for (let cut = word.length - 1; hits.length === 0 && cut >= Math.max(4, word.length - 3); cut--) {
        hits = occurrences(lower, word.slice(0, cut), true);
      }
      found.push(...hits);
    }
  }
  found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: Range[] = [];
  for (const r of found) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** `text` cut into plain and marked parts. */
export function splitByMatches(text: string, query: string): { text: string; mark: boolean }[] {
  const parts: { text: string; mark: boolean }[] = [];
  let at = 0;
  for (const [s, e] of matchRanges(text, query)) {
    if (s > at) parts.push({ text: text.slice(at, s), mark: false });
    parts.push({ text: text.slice(s, e), mark: true });
    at = e;
  }
  if (at < text.length) parts.push({ text: text.slice(at), mark: false });
  return parts;
}
