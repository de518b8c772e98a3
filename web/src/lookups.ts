import { useQuery } from '@tanstack/react-query';
import { api, type Named, type Page, type Pipeline } from './api';

/** Small reference lists every screen needs to show names instead of ids. */
export function useUsers() {
  return useQuery({
    queryKey: ['users'],
    queryFn: () => api<Page<Named & { role: string; active: boolean }>>('/users?limit=500'),
    staleTime: 300_000,
  });
}

export function usePipelines() {
  return useQuery({ queryKey: ['pipelines'], queryFn: () => api<Page<Pipeline>>('/pipelines'), staleTime: 300_000 });
}

/** Names of the companies behind a page of records, fetched in one request. */
export function useCompanyNames(ids: (number | null)[]) {
  const unique = [...new Set(ids.filter((x): x is number => x !== null))].sort((a, b) => a - b);
  return useQuery({
    queryKey: ['company-names', unique.join(',')],
    queryFn: async () => {
      const map = new Map<number, string>();
      for (let i = 0; i < unique.length; i += 400) {
        const chunk = unique.slice(i, i + 400);
        const page = await api<Page<Named>>(`/companies?limit=500&id=${chunk.join(',')}`);
        for (const c of page.items) map.set(c.id, c.name);
      }
      return map;
    },
    enabled: unique.length > 0,
    staleTime: 300_000,
  });
}
