import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { money } from '../format';
import type { Kind } from './filters';

interface TotalsAnswer {
  count: number;
  amount_minor?: number;
  currency?: string;
  by_status?: Record<string, number>;
}

/**
 * The totals of the filtered list from `GET /api/v1/{list}/totals` — the list's own predicate and
 * the caller's scope on the server, so the count is of exactly the rows the list pages through:
 * «128 сделок · 45 600 000 ₽», then the count per status. Kept under the list's query key, so a bulk
 * change refreshes it with the rows.
 */
export function Totals({ kind, query }: { kind: Kind; query: URLSearchParams }) {
  const { t } = useTranslation();
  const q = new URLSearchParams(query);
  q.delete('limit');
  q.delete('cursor');
  const totals = useQuery({
    queryKey: ['list', kind, 'totals', q.toString()],
    queryFn: ({ signal }) => api<TotalsAnswer>(`/${kind}/totals?${q.toString()}`, { signal }),
  });
  if (!totals.data)
    return (
      <p className="list-totals muted" aria-hidden="true">
        &nbsp;
      </p>
    );
  const d = totals.data;
  const words = kind === 'deals' ? 'dealStatus' : 'leadStatus';
  const statuses = Object.entries(d.by_status ?? {}).filter(([, n]) => n > 0);
  return (
    <p className="list-totals" data-testid="list-totals" role="status">
      <strong data-testid="list-total">
        {t(`lists.total.${kind}`, { count: d.count })}
        {d.amount_minor !== undefined && d.currency ? ` · ${money(d.amount_minor, d.currency)}` : ''}
      </strong>
      {statuses.length > 1 && (
        <span className="list-statuses" data-testid="list-statuses">
          {statuses.map(([s, n]) => (
            <span key={s}>
              {t(`lists.${words}.${s}`)}: {n}
            </span>
          ))}
        </span>
      )}
    </p>
  );
}
