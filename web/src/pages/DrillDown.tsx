import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api } from '../api';
import { Empty, ErrorState, Loading, Modal } from '../components';
import { majorMoney, num } from '../format';
import { DrillExport } from '../lists/ListActions';

interface DrillRow {
  deal_id: number;
  title: string;
  amount: number;
  stage: string;
  days_in_stage: number | null;
  owner: string | null;
}

/** The deals behind a figure: the same parameters as the report, plus the metric. */
export function DrillDown({
  params,
  metric,
  stage,
  title,
  currency,
  onClose,
}: {
  params: URLSearchParams;
  metric: string;
  stage?: string;
  title: string;
  currency: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const q = new URLSearchParams(params);
  q.delete('by');
  q.set('metric', metric);
  q.set('limit', '200');
  if (stage) q.set('stage', stage);
  const res = useQuery({
    queryKey: ['drill', q.toString()],
    queryFn: () => api<{ total: number; items: DrillRow[] }>(`/reports/funnel/deals?${q.toString()}`),
  });
  return (
    <Modal title={t('dash.dealsBehind', { what: title })} onClose={onClose} wide>
      {res.isPending ? (
        <Loading />
      ) : res.isError ? (
        <ErrorState error={res.error} retry={() => res.refetch()} />
      ) : res.data.items.length === 0 ? (
        <Empty />
      ) : (
        <>
          <p className="muted">{t('format.deals', { count: res.data.total })}</p>
          <DrillExport query={q} />
          <div className="table-wrap">
            <table className="table" data-testid="drill-table">
              <thead>
                <tr>
                  <th>{t('list.columns.title')}</th>
                  <th className="num">{t('list.columns.amount')}</th>
                  <th>{t('list.columns.stage')}</th>
                  <th className="num">{t('list.columns.age')}</th>
                  <th>{t('list.columns.owner')}</th>
                </tr>
              </thead>
              <tbody>
                {res.data.items.map((d) => (
                  <tr key={`${d.deal_id}-${d.stage}`}>
                    <td>
                      <Link href={`/deals/${d.deal_id}`}>{d.title}</Link>
                    </td>
                    <td className="num">{majorMoney(d.amount, currency)}</td>
                    <td>{d.stage}</td>
                    <td className="num">{num(d.days_in_stage, 1)}</td>
                    <td>{d.owner ?? t('common.none')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Modal>
  );
}
