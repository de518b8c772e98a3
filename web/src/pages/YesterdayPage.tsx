import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type FunnelReport, type Me, type Page } from '../api';
import { ErrorState, Loading, Stat } from '../components';
import { date, estimateMoney, isoDay, majorMoney, num, pct } from '../format';
import { DrillDown } from './DrillDown';

/** Yesterday's numbers for the morning planning meeting: what happened, in one screen. */
export default function YesterdayPage({ me }: { me: Me }) {
  const { t } = useTranslation();
  const tz = me.workspace.timezone;
  const from = isoDay(tz, -1);
  const to = isoDay(tz, 0);
  const params = new URLSearchParams({ from, to });
  const [drill, setDrill] = useState<{ metric: string; title: string } | null>(null);
  const report = useQuery({
    queryKey: ['funnel', params.toString()],
    queryFn: () => api<FunnelReport>(`/reports/funnel?${params.toString()}`),
  });
  const fromIso = new Date(report.data?.period.from ?? Date.now()).toISOString();
  const toIso = new Date(report.data?.period.to ?? Date.now()).toISOString();
  const meetings = useQuery({
    queryKey: ['yesterday-meetings', fromIso],
    queryFn: () =>
      api<Page<{ outcome: string | null }>>(
        `/activities?type=meeting,demo&at_from=${encodeURIComponent(fromIso)}&at_to=${encodeURIComponent(toIso)}&limit=500`,
      ),
    enabled: !!report.data,
  });
  const tasksDone = useQuery({
    queryKey: ['yesterday-tasks', fromIso],
    queryFn: () =>
      api<Page<unknown>>(
        `/tasks?status=done&done_at_from=${encodeURIComponent(fromIso)}&done_at_to=${encodeURIComponent(toIso)}&limit=500`,
      ),
    enabled: !!report.data,
  });
  if (report.isPending) return <Loading />;
  if (report.isError) return <ErrorState error={report.error} retry={() => report.refetch()} />;
  const r = report.data;
  const moved = r.stage_conversion.reduce((s, x) => s + x.entered, 0);
  const held = (meetings.data?.items ?? []).filter((m) => m.outcome === 'held' || m.outcome === 'accepted').length;
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('yesterday.title', { date: date(r.period.from, tz) })}</h1>
      </div>
      <div className="stats big">
        <Stat
          label={t('dash.created')}
          value={num(r.deals_created)}
          onClick={() => setDrill({ metric: 'deals_created', title: t('dash.created') })}
        />
        <Stat
          label={t('dash.won')}
          value={num(r.deals_won)}
          tone="good"
          onClick={() => setDrill({ metric: 'deals_won', title: t('dash.won') })}
        />
        <Stat label={t('dash.lost')} value={num(r.deals_lost)} onClick={() => setDrill({ metric: 'deals_lost', title: t('dash.lost') })} />
        <Stat label={t('dash.wonAmount')} value={majorMoney(r.won_amount, r.currency)} />
        <Stat label={t('yesterday.movedForward')} value={num(moved)} />
        <Stat label={t('yesterday.meetings')} value={meetings.data ? `${num(held)} / ${num(meetings.data.items.length)}` : '…'} />
        <Stat label={t('yesterday.tasksDone')} value={tasksDone.data ? num(tasksDone.data.items.length) : '…'} />
        <Stat label={t('dash.open')} value={num(r.open_deals)} onClick={() => setDrill({ metric: 'open_deals', title: t('dash.open') })} />
        <Stat label={t('dash.weighted')} value={estimateMoney(r.weighted_pipeline, r.currency)} />
        <Stat
          label={t('dash.stuck')}
          value={num(r.stuck_deals)}
          tone={r.stuck_deals ? 'bad' : undefined}
          onClick={() => setDrill({ metric: 'stuck_deals', title: t('dash.stuck') })}
        />
        <Stat label={t('dash.winRate')} value={pct(r.win_rate)} />
      </div>
      {drill && (
        <DrillDown params={params} metric={drill.metric} title={drill.title} currency={r.currency} onClose={() => setDrill(null)} />
      )}
    </div>
  );
}
