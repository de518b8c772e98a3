import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { type Activity, api, type FunnelReport, type Me, type Page, type Task } from '../api';
import { Empty, ErrorState, Loading, Modal } from '../components';
import { date, estimateMoney, isoDay, majorMoney, num, pct } from '../format';
import { useTimeZone } from '../time/use-time-zone';
import { dueText } from '../time/zone';
import { DrillDown } from './DrillDown';
import './dashboard/dashboard.css';

/** A meeting or demo counts as held when it took place, or when the client accepted the invitation. */
const HELD = new Set(['held', 'accepted']);

/** A figure of the day; every one opens its records. */
function Tile({
  label,
  value,
  hint,
  tone,
  testId,
  onClick,
}: {
  label: string;
  value: string;
  hint?: string;
  tone?: 'good' | 'bad';
  testId: string;
  onClick: () => void;
}) {
  return (
    <button type="button" className="stat clickable" onClick={onClick} data-testid={`tile-${testId}`}>
      <span className="stat-label">{label}</span>
      <span className={`stat-value${tone ? ` ${tone}` : ''}`} data-testid={`y-${testId}`}>
        {value}
      </span>
      {hint && <span className="stat-hint">{hint}</span>}
    </button>
  );
}

type Records = 'meetings' | 'tasks';

/** Yesterday's numbers for the morning planning meeting: what happened, in one screen. */
export default function YesterdayPage({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const tz = useTimeZone(me);
  const lang = i18n.language;
  const from = isoDay(tz, -1);
  const to = isoDay(tz, 0);
  const params = new URLSearchParams({ from, to });
  const [drill, setDrill] = useState<{ metric: string; title: string; note?: string } | null>(null);
  const [records, setRecords] = useState<Records | null>(null);
  const report = useQuery({
    queryKey: ['funnel', params.toString()],
    queryFn: () => api<FunnelReport>(`/reports/funnel?${params.toString()}`),
  });
  const fromIso = new Date(report.data?.period.from ?? Date.now()).toISOString();
  const toIso = new Date(report.data?.period.to ?? Date.now()).toISOString();
  const meetings = useQuery({
    queryKey: ['yesterday-meetings', fromIso],
    queryFn: () =>
      api<Page<Activity>>(
        `/activities?type=meeting,demo&at_from=${encodeURIComponent(fromIso)}&at_to=${encodeURIComponent(toIso)}&sort=at&limit=500`,
      ),
    enabled: !!report.data,
  });
  const tasksDone = useQuery({
    queryKey: ['yesterday-tasks', fromIso],
    queryFn: () =>
      api<Page<Task>>(`/tasks?status=done&done_at_from=${encodeURIComponent(fromIso)}&done_at_to=${encodeURIComponent(toIso)}&limit=500`),
    enabled: !!report.data,
  });
  if (report.isPending) return <Loading />;
  if (report.isError) return <ErrorState error={report.error} retry={() => report.refetch()} />;
  const r = report.data;
  const moved = r.stage_conversion.reduce((s, x) => s + x.entered, 0);
  const meetingItems = meetings.data?.items ?? [];
  const held = meetingItems.filter((m) => m.outcome !== null && HELD.has(m.outcome)).length;
  const open = (metric: string, title: string, note?: string) => () => setDrill({ metric, title, note });
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('yesterday.title', { date: date(r.period.from, tz) })}</h1>
      </div>
      <div className="stats big">
        <Tile
          label={t('dash.created')}
          value={num(r.deals_created)}
          testId="deals_created"
          onClick={open('deals_created', t('dash.created'))}
        />
        <Tile label={t('dash.won')} value={num(r.deals_won)} tone="good" testId="deals_won" onClick={open('deals_won', t('dash.won'))} />
        <Tile label={t('dash.lost')} value={num(r.deals_lost)} testId="deals_lost" onClick={open('deals_lost', t('dash.lost'))} />
        <Tile
          label={t('dash.wonAmount')}
          value={majorMoney(r.won_amount, r.currency)}
          testId="won_amount"
          onClick={open('deals_won', t('dash.wonAmount'))}
        />
        <Tile
          label={t('yesterday.movedForward')}
          value={num(moved)}
          hint={t('figures.yesterday.movedHint')}
          testId="moved"
          onClick={open('stages_entered', t('yesterday.movedForward'))}
        />
        <Tile
          label={t('figures.yesterday.meetings')}
          value={meetings.data ? `${num(held)} / ${num(meetingItems.length)}` : '…'}
          hint={meetings.data ? t('figures.yesterday.meetingsHint', { held: num(held), total: num(meetingItems.length) }) : undefined}
          testId="meetings"
          onClick={() => setRecords('meetings')}
        />
        <Tile
          label={t('yesterday.tasksDone')}
          value={tasksDone.data ? num(tasksDone.data.items.length) : '…'}
          hint={t('figures.yesterday.tasksHint')}
          testId="tasks_done"
          onClick={() => setRecords('tasks')}
        />
        <Tile label={t('dash.open')} value={num(r.open_deals)} testId="open_deals" onClick={open('open_deals', t('dash.open'))} />
        <Tile
          label={t('dash.weighted')}
          value={estimateMoney(r.weighted_pipeline, r.currency)}
          testId="weighted"
          onClick={open('open_deals', t('dash.weighted'), t('figures.note.weighted'))}
        />
        <Tile
          label={t('dash.stuck')}
          value={num(r.stuck_deals)}
          tone={r.stuck_deals ? 'bad' : undefined}
          testId="stuck_deals"
          onClick={open('stuck_deals', t('dash.stuck'))}
        />
        <Tile
          label={t('dash.winRate')}
          value={pct(r.win_rate)}
          testId="win_rate"
          onClick={open('deals_closed', t('dash.winRate'), t('figures.note.winRate'))}
        />
      </div>
      {drill && (
        <DrillDown
          params={params}
          metric={drill.metric}
          title={drill.title}
          note={drill.note}
          currency={r.currency}
          onClose={() => setDrill(null)}
        />
      )}
      {records === 'meetings' && (
        <Modal title={t('figures.yesterday.meetingsTitle')} onClose={() => setRecords(null)} wide>
          <p className="strong" data-testid="meetings-summary">
            {t('figures.yesterday.meetingsHint', { held: num(held), total: num(meetingItems.length) })}
          </p>
          {meetingItems.length === 0 ? (
            <Empty />
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="meetings-table">
                <thead>
                  <tr>
                    <th>{t('figures.yesterday.at')}</th>
                    <th>{t('figures.yesterday.type')}</th>
                    <th>{t('figures.yesterday.subject')}</th>
                    <th>{t('figures.yesterday.outcome')}</th>
                  </tr>
                </thead>
                <tbody>
                  {meetingItems.map((m) => (
                    <tr key={m.id} className={m.outcome && HELD.has(m.outcome) ? 'counted' : undefined}>
                      <td>{dueText(m.at, tz, lang)}</td>
                      <td>{t(`activityType.${m.type}`)}</td>
                      <td>
                        {m.deal_id ? (
                          <Link href={`/deals/${m.deal_id}`}>{m.subject || t('tasks.deal')}</Link>
                        ) : (
                          m.subject || t('common.none')
                        )}
                      </td>
                      <td>
                        {m.outcome ? t(`outcome.${m.outcome}`) : t('figures.yesterday.noOutcome')}
                        {m.outcome && HELD.has(m.outcome) && (
                          <span className="muted small"> · {t('figures.yesterday.counted', { held: num(held) })}</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Modal>
      )}
      {records === 'tasks' && (
        <Modal title={t('figures.yesterday.tasksTitle')} onClose={() => setRecords(null)} wide>
          <p className="strong" data-testid="tasks-done-summary">
            {t('figures.tasks.total', { count: tasksDone.data?.items.length ?? 0 })}
          </p>
          {(tasksDone.data?.items ?? []).length === 0 ? (
            <Empty />
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="tasks-done-table">
                <thead>
                  <tr>
                    <th>{t('figures.tasks.task')}</th>
                    <th>{t('figures.tasks.deal')}</th>
                    <th>{t('figures.tasks.done')}</th>
                  </tr>
                </thead>
                <tbody>
                  {(tasksDone.data?.items ?? []).map((x) => (
                    <tr key={x.id}>
                      <td>{x.title}</td>
                      <td>{x.deal_id ? <Link href={`/deals/${x.deal_id}`}>{t('tasks.deal')}</Link> : t('common.none')}</td>
                      <td>{x.done_at ? dueText(x.done_at, tz, lang) : t('common.none')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Modal>
      )}
    </div>
  );
}
