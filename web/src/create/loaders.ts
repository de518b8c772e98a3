import type { QueryClient } from '@tanstack/react-query';
import { type Answer, api, type Named, type Page } from '../api';
import { MIN_QUERY, type SearchAnswer, type SearchKind, searchPath } from '../search/use-search';
import type { Choice } from './picker';

/**
 * What the reference pickers offer: typed text goes to the search endpoint (limited to the kind),
 * an empty field suggests from a list — the newest companies, deals and leads, or the chosen
 * company's contacts — so a record created a minute ago is one click away.
 */
type Company = Answer<'/api/v1/companies/{id}', 'get'>;
type Contact = Answer<'/api/v1/contacts/{id}', 'get'>;
type Deal = Answer<'/api/v1/deals/{id}', 'get'>;
type Lead = Answer<'/api/v1/leads/{id}', 'get'>;

const join = (...parts: (string | null | undefined)[]) => parts.filter(Boolean).join(' · ') || null;

async function searchKind(kind: SearchKind, q: string, signal: AbortSignal): Promise<Choice[]> {
  const r = await api<SearchAnswer>(searchPath(q, { kind, limit: 10 }), { signal });
  return r.items.map((h) => ({ id: h.id, title: h.title, subtitle: h.subtitle }));
}

export function loadCompanies(q: string, signal: AbortSignal): Promise<Choice[]> {
  if (q.length >= MIN_QUERY) return searchKind('company', q, signal);
  return api<Page<Company>>('/companies?sort=-created_at&limit=8', { signal }).then((p) =>
    p.items.map((c) => ({ id: c.id, title: c.name, subtitle: join(c.inn, c.city) })),
  );
}

/** Contacts; with a company chosen and nothing typed, that company's. */
export function loadContacts(companyId: number | null) {
  return (q: string, signal: AbortSignal): Promise<Choice[]> => {
    if (q.length >= MIN_QUERY) return searchKind('contact', q, signal);
    const filter = companyId ? `company_id=${companyId}&sort=name&limit=20` : 'sort=-created_at&limit=8';
    return api<Page<Contact>>(`/contacts?${filter}`, { signal }).then((p) =>
      p.items.map((c) => ({ id: c.id, title: c.name, subtitle: join(c.position, c.email, c.phone) })),
    );
  };
}

export function loadDeals(q: string, signal: AbortSignal): Promise<Choice[]> {
  if (q.length >= MIN_QUERY) return searchKind('deal', q, signal);
  return api<Page<Deal>>('/deals?status=open&sort=-created_at&limit=8', { signal }).then((p) =>
    p.items.map((d) => ({ id: d.id, title: d.title })),
  );
}

export function loadLeads(q: string, signal: AbortSignal): Promise<Choice[]> {
  if (q.length >= MIN_QUERY) return searchKind('lead', q, signal);
  return api<Page<Lead>>('/leads?sort=-created_at&limit=8', { signal }).then((p) =>
    p.items.map((l) => ({ id: l.id, title: l.title, subtitle: join(l.company_name, l.contact_name) })),
  );
}

type User = Named & { role: string; active: boolean };

/** The team (the list every screen shares, ['users']), filtered as typed; me first. */
export function loadUsers(qc: QueryClient, meId: number) {
  return async (q: string): Promise<Choice[]> => {
    const page = await qc.ensureQueryData({
      queryKey: ['users'],
      queryFn: () => api<Page<User>>('/users?limit=500'),
      staleTime: 300_000,
    });
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    return page.items
      .filter((u) => u.active && words.every((w) => u.name.toLowerCase().includes(w)))
      .sort((a, b) => Number(b.id === meId) - Number(a.id === meId) || a.name.localeCompare(b.name))
      .map((u) => ({ id: u.id, title: u.name }));
  };
}
