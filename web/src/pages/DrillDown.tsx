import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api, type FunnelDeals } from '../api';
import { Empty, ErrorState, Loading, Modal } from '../components';
import { majorMoney, num, pct } from '../format';
import { DrillExport } from '../lists/ListActions';

const LIMIT = 200;
const CLOSING = ['deals_won', 'deals_lost', 'deals_closed'];

/**
 * The deals behind a figure: the same parameters as the report, plus the metric. It says what the
 * listed set adds up to — the count and the sum, the won share, the cycle, the median time — the
 * server's summary of exactly the rows the figure counts, so the screen shows they are the figure's.
 */
export function DrillDown({
  params,
  metric,
  stage,
  title,
  currency,
  note,
  onClose,
}: {
  params: URLSearchParams;
  metric: string;
  stage?: string;
  title: string;
  currency: string;
  /** How the figure is made of these deals, where it is more than their count (averages, rates, velocity). */
  note?: ReactNode;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const q = new URLSearchParams(params);
  q.delete('by');
  q.set('metric', metric);
  q.set('limit', String(LIMIT));
  if (stage) q.set('stage', stage);
  const res = useQuery({
    queryKey: ['drill', q.toString()],
    queryFn: () => api<FunnelDeals>(`/reports/funnel/deals?${q.toString()}`),
  });
  const closing = CLOSING.includes(metric);
  const s = res.data?.summary;
  const days = (v: number | null | undefined) =>
    v === null || v === undefined ? t('common.none') : `${num(v, 1)} ${t('figures.drill.daysShort')}`;
  return (
    <Modal title={t('dash.dealsBehind', { what: title })} onClose={onClose} wide>
      {note && (
        <p className="drill-note" data-testid="drill-note">
          {note}
        </p>
      )}
      {res.isPending ? (
        <Loading />
      ) : res.isError ? (
        <ErrorState error={res.error} retry={() => res.refetch()} />
      ) : res.data.items.length === 0 ? (
        <Empty />
      ) : (
        <>
          <div className="drill-summary" data-testid="drill-summary">
            <p className="strong" data-testid="drill-total" data-count={res.data.total} data-amount={s?.amount}>
              {t('figures.drill.total', { count: res.data.total, amount: majorMoney(s?.amount ?? 0, currency) })}
            </p>
            {s?.won !== null && s?.won !== undefined && metric === 'deals_closed' && (
              <p data-testid="drill-won" data-won={s.won}>
                {t('figures.drill.won', { won: num(s.won), count: num(res.data.total), rate: pct(s.won / res.data.total) })}
              </p>
            )}
            {s?.cycle_days && s.cycle_days.median !== null && (
              <p data-testid="drill-cycle">
                {t('figures.drill.cycle', { median: days(s.cycle_days.median), mean: days(s.cycle_days.mean) })}
              </p>
            )}
            {s?.median_days !== null && s?.median_days !== undefined && (
              <p data-testid="drill-median">{t('figures.drill.medianDays', { median: days(s.median_days) })}</p>
            )}
            {res.data.total > res.data.items.length && (
              <p className="muted small">{t('figures.drill.first', { shown: num(res.data.items.length) })}</p>
            )}
          </div>
          <DrillExport query={q} />
          <div className="table-wrap">
            <table className="table drill-cards" data-testid="drill-table">
              <thead>
                <tr>
                  <th>{t('list.columns.title')}</th>
                  <th className="num">{t('list.columns.amount')}</th>
                  <th>{t('list.columns.stage')}</th>
                  <th className="num">{closing ? t('figures.drill.cycleCol') : t('figures.drill.daysCol')}</th>
                  <th>{t('list.columns.owner')}</th>
                </tr>
              </thead>
              <tbody>
                {res.data.items.map((d) => (
                  <tr key={`${d.deal_id}-${d.stage}-${d.entered_at}`}>
                    <td className="drill-title">
                      <Link href={`/deals/${d.deal_id}`}>{d.title}</Link>
                    </td>
                    <td className="num" data-label={t('list.columns.amount')}>
                      {majorMoney(d.amount, currency)}
                    </td>
                    <td data-label={t('list.columns.stage')}>{d.stage}</td>
                    <td className="num" data-label={closing ? t('figures.drill.cycleCol') : t('figures.drill.daysCol')}>
                      {num(closing ? d.cycle_days : d.days_in_stage, 1)}
                    </td>
                    <td data-label={t('list.columns.owner')}>{d.owner ?? t('common.none')}</td>
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
