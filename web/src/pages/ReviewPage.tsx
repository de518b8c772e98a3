import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api, type Deal, type Me } from '../api';
import { Empty, ErrorState, Loading } from '../components';
import { date, money } from '../format';

type Reviewed = Deal & { atypical_reason: string | null };

/** The head of sales' queue of atypical deals. */
export function ReviewPage({ me }: { me: Me }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const queue = useQuery({ queryKey: ['review-queue'], queryFn: () => api<{ items: Reviewed[] }>('/review-queue') });
  const decide = useMutation({
    mutationFn: ({ deal, decision }: { deal: Reviewed; decision: 'typical' | 'atypical' }) =>
      api(`/deals/${deal.id}/review`, { method: 'POST', body: { decision, version: deal.version } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['review-queue'] }),
  });
  if (queue.isPending) return <Loading />;
  if (queue.isError) return <ErrorState error={queue.error} retry={() => queue.refetch()} />;
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('review.title')}</h1>
      </div>
      {queue.data.items.length === 0 ? (
        <Empty>{t('review.empty')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>{t('list.columns.title')}</th>
                <th>{t('deal.atypicalReason')}</th>
                <th className="num">{t('list.columns.amount')}</th>
                <th>{t('list.columns.created')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {queue.data.items.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link href={`/deals/${d.id}`}>{d.title}</Link>
                  </td>
                  <td>{d.atypical_reason ?? t('common.none')}</td>
                  <td className="num">{money(d.amount_minor, d.currency)}</td>
                  <td>{date(d.created_at, me.workspace.timezone)}</td>
                  <td className="actions-cell">
                    <button type="button" onClick={() => decide.mutate({ deal: d, decision: 'typical' })}>
                      {t('review.typical')}
                    </button>
                    <button type="button" onClick={() => decide.mutate({ deal: d, decision: 'atypical' })}>
                      {t('review.atypical')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
