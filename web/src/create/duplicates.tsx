import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api } from '../api';
import { cardHref, type SearchAnswer, type SearchHit, searchPath, useDebounced } from '../search/use-search';

/**
 * "Possible duplicate" before a record is saved: a company with the same INN, a contact with the
 * same e-mail or phone. Found by the search endpoint limited to the kind, then kept only when the
 * value is the same exactly (the search also finds INN prefixes and parts of numbers). The
 * subtitle is where the search answer names a record's INN, e-mail and phone, ' · ' between them.
 */
export type DuplicateKey = 'inn' | 'email' | 'phone';

/** A phone's national number: +7 916 123-45-67, 8 (916) 123 45 67 and 9161234567 are one. */
export function phoneKey(phone: string): string {
  const d = phone.replace(/\D/g, '');
  return d.length === 11 && (d[0] === '7' || d[0] === '8') ? d.slice(1) : d;
}

function lookup(key: DuplicateKey, value: string): { kind: 'company' | 'contact'; q: string; same: (part: string) => boolean } | null {
  const v = value.trim();
  if (key === 'inn') return /^\d{10}(\d{2})?$/.test(v) ? { kind: 'company', q: v, same: (p) => p === v } : null;
  if (key === 'email') {
    const lower = v.toLowerCase();
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? { kind: 'contact', q: lower, same: (p) => p.toLowerCase() === lower } : null;
  }
  const k = phoneKey(v);
  return k.length >= 7 ? { kind: 'contact', q: k, same: (p) => /\d/.test(p) && phoneKey(p) === k } : null;
}

export function useDuplicates(key: DuplicateKey, value: string): SearchHit[] {
  const settled = useDebounced(value, 400);
  const l = lookup(key, settled);
  const found = useQuery({
    queryKey: ['search', 'duplicate', key, l?.q ?? ''],
    queryFn: ({ signal }) => api<SearchAnswer>(searchPath(l?.q ?? '', { kind: l?.kind, limit: 10 }), { signal }),
    enabled: !!l,
    staleTime: 10_000,
  });
  if (!l || !found.data || settled !== value) return [];
  return found.data.items.filter((h) => (h.subtitle ?? '').split(' · ').some(l.same));
}

/** The warning under the field; the record is still created if the person goes on. */
export function DuplicateWarning({ hits, by, onOpen }: { hits: SearchHit[]; by: DuplicateKey; onOpen: () => void }) {
  const { t } = useTranslation();
  if (hits.length === 0) return null;
  return (
    <div className="duplicate" role="status" data-testid={`duplicate-${by}`}>
      <strong>{t('header.create.duplicate.title')}:</strong>{' '}
      {hits.slice(0, 3).map((h, i) => (
        <span key={`${h.kind}-${h.id}`}>
          {i > 0 && ', '}
          <Link href={cardHref(h)} onClick={onOpen}>
            {h.title}
          </Link>
        </span>
      ))}{' '}
      {t(`header.create.duplicate.${by}`)}. <span className="muted">{t('header.create.duplicate.hint')}</span>
    </div>
  );
}
