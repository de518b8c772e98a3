import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { type Answer, api } from '../api';

export type SearchAnswer = Answer<'/api/v1/search', 'get'>;
export type SearchHit = SearchAnswer['items'][number];
export type SearchKind = SearchHit['kind'];

/** The order the kinds are listed in, and the card each opens (the routes of App.tsx). */
export const KINDS: readonly SearchKind[] = ['deal', 'company', 'contact', 'lead'];
export const CARD_PATH: Record<SearchKind, string> = { deal: '/deals', company: '/companies', contact: '/contacts', lead: '/leads' };
export const cardHref = (h: Pick<SearchHit, 'kind' | 'id'>) => `${CARD_PATH[h.kind]}/${h.id}`;

/** Shorter queries find half the workspace: ask from two characters on. */
export const MIN_QUERY = 2;

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setV(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return v;
}

export function searchPath(q: string, opts: { kind?: SearchKind; limit?: number } = {}) {
  const params = new URLSearchParams({ q });
  if (opts.kind) params.set('kind', opts.kind);
  if (opts.limit) params.set('limit', String(opts.limit));
  return `/search?${params}`;
}

/**
 * The search endpoint behind a field being typed into: asked 200 ms after the last key, the
 * request in flight cancelled by the next one, the last answer kept on screen meanwhile. The key
 * starts with 'search', so a write (which marks every query stale, see main.tsx) is seen in the
 * next answer.
 */
export function useSearch(text: string, opts: { kind?: SearchKind; limit?: number } = {}) {
  const q = useDebounced(text.trim(), 200);
  const enabled = q.length >= MIN_QUERY;
  const query = useQuery({
    queryKey: ['search', q, opts.kind ?? null, opts.limit ?? null],
    queryFn: ({ signal }) => api<SearchAnswer>(searchPath(q, opts), { signal }),
    enabled,
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
  const settled = enabled && text.trim() === q && !query.isFetching && !query.isPlaceholderData;
  return { q, enabled, query, settled, typing: text.trim() !== q };
}
