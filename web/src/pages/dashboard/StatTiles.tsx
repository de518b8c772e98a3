import { useTranslation } from 'react-i18next';
import type { FunnelReport } from '../../api';
import { Stat } from '../../components';
import { estimateMoney, majorMoney, num, pct } from '../../format';
import type { OpenDrill } from './data';

/** The headline figures; those with a metric open the deals behind them. */
export function StatTiles({ r, currency, onDrill }: { r: FunnelReport; currency: string; onDrill: OpenDrill }) {
  const { t } = useTranslation();
  const cur = currency;
  const stat = (label: string, value: string, metric?: string, tone?: 'good' | 'bad') => (
    <Stat
      label={label}
      value={value}
      tone={tone}
      testId={metric ? `stat-${metric}` : undefined}
      onClick={metric ? () => onDrill({ metric, title: label }) : undefined}
    />
  );
  return (
    <div className="stats" data-testid="dashboard-stats">
      {stat(t('dash.created'), num(r.deals_created), 'deals_created')}
      {stat(t('dash.won'), num(r.deals_won), 'deals_won', 'good')}
      {stat(t('dash.lost'), num(r.deals_lost), 'deals_lost')}
      {stat(t('dash.winRate'), pct(r.win_rate))}
      {stat(t('dash.cohort'), pct(r.cohort_win_rate))}
      {stat(t('dash.wonAmount'), majorMoney(r.won_amount, cur))}
      {stat(t('dash.avgWon'), estimateMoney(r.avg_won_amount, cur))}
      {stat(
        t('dash.cycle'),
        r.cycle_days.median === null ? t('common.none') : t('format.days', { count: Math.round(r.cycle_days.median) }),
      )}
      {stat(t('dash.open'), num(r.open_deals), 'open_deals')}
      {stat(t('dash.weighted'), estimateMoney(r.weighted_pipeline, cur), 'open_deals')}
      {stat(t('dash.velocity'), estimateMoney(r.velocity_per_day, cur))}
      {stat(t('dash.stuck'), num(r.stuck_deals), 'stuck_deals', r.stuck_deals > 0 ? 'bad' : undefined)}
    </div>
  );
}
