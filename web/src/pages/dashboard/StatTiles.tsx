import { useTranslation } from 'react-i18next';
import type { FunnelReport } from '../../api';
import { Stat } from '../../components';
import { estimateMoney, majorMoney, num, pct } from '../../format';
import type { Drill, OpenDrill } from './data';

/**
 * The headline figures; each opens the deals it is made of (kpi.md): Revenue, Average deal and
 * Cycle the won deals, the win rate the closed ones, the cohort win rate the cohort's won deals,
 * Velocity and the weighted pipeline the open deals, with how the figure follows from them.
 */
export function StatTiles({ r, currency, onDrill }: { r: FunnelReport; currency: string; onDrill: OpenDrill }) {
  const { t } = useTranslation();
  const cur = currency;
  const stat = (label: string, value: string, drill: Omit<Drill, 'title'>, id: string, tone?: 'good' | 'bad') => (
    <Stat label={label} value={value} tone={tone} testId={`stat-${id}`} onClick={() => onDrill({ ...drill, title: label })} />
  );
  const days = (v: number | null) => (v === null ? t('common.none') : t('format.days', { count: Math.round(v) }));
  return (
    <div className="stats" data-testid="dashboard-stats">
      {stat(t('dash.created'), num(r.deals_created), { metric: 'deals_created' }, 'deals_created')}
      {stat(t('dash.won'), num(r.deals_won), { metric: 'deals_won' }, 'deals_won', 'good')}
      {stat(t('dash.lost'), num(r.deals_lost), { metric: 'deals_lost' }, 'deals_lost')}
      {stat(t('dash.winRate'), pct(r.win_rate), { metric: 'deals_closed', note: t('figures.note.winRate') }, 'win_rate')}
      {stat(
        t('dash.cohort'),
        pct(r.cohort_win_rate),
        {
          metric: 'cohort_won',
          note: t('figures.note.cohort', {
            won: num(r.cohort_win_rate === null ? 0 : Math.round(r.cohort_win_rate * r.deals_created)),
            created: num(r.deals_created),
            rate: pct(r.cohort_win_rate),
          }),
        },
        'cohort_win_rate',
      )}
      {stat(t('dash.wonAmount'), majorMoney(r.won_amount, cur), { metric: 'deals_won' }, 'won_amount')}
      {stat(
        t('dash.avgWon'),
        estimateMoney(r.avg_won_amount, cur),
        {
          metric: 'deals_won',
          note: t('figures.note.avg', {
            amount: majorMoney(r.won_amount, cur),
            count: num(r.deals_won),
            avg: estimateMoney(r.avg_won_amount, cur),
          }),
        },
        'avg_won_amount',
      )}
      {stat(t('dash.cycle'), days(r.cycle_days.median), { metric: 'deals_won' }, 'cycle_days')}
      {stat(t('dash.open'), num(r.open_deals), { metric: 'open_deals' }, 'open_deals')}
      {stat(
        t('dash.weighted'),
        estimateMoney(r.weighted_pipeline, cur),
        { metric: 'open_deals', note: t('figures.note.weighted') },
        'weighted_pipeline',
      )}
      {stat(
        t('dash.velocity'),
        estimateMoney(r.velocity_per_day, cur),
        {
          metric: 'open_deals',
          note: t('figures.note.velocity', {
            open: num(r.open_deals),
            rate: pct(r.win_rate),
            avg: estimateMoney(r.avg_won_amount, cur),
            cycle: r.cycle_days.mean === null ? t('common.none') : t('format.days', { count: Math.round(r.cycle_days.mean) }),
            velocity: estimateMoney(r.velocity_per_day, cur),
          }),
        },
        'velocity_per_day',
      )}
      {stat(t('dash.stuck'), num(r.stuck_deals), { metric: 'stuck_deals' }, 'stuck_deals', r.stuck_deals > 0 ? 'bad' : undefined)}
    </div>
  );
}
