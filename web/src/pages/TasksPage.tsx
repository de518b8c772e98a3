import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api, type Deal, type DisciplineGroups, type Me, type Page, type Task } from '../api';
import { Empty, ErrorState, Loading } from '../components';
import { isoDay, num, pct } from '../format';
import { useTimeZone } from '../time/use-time-zone';
import { bucketOf, differsFromBrowser, dueText, zoneLabel } from '../time/zone';
import { TaskDrill, type TaskDrillSpec } from './dashboard/TaskDrill';

/**
 * For those who lead a team: who is behind right now, beside their task discipline over 30 days.
 * Each manager's overdue count opens those tasks (the discipline report's own set: playbook tasks
 * past due and not done), and so does the team's total.
 */
function TeamPanel({ zone }: { zone: string }) {
  const { t } = useTranslation();
  const tz = zone;
  const [drill, setDrill] = useState<TaskDrillSpec | null>(null);
  const params = new URLSearchParams({ from: isoDay(tz, -30), to: isoDay(tz, 1), by: 'owner' });
  const team = useQuery({
    queryKey: ['discipline', params.toString()],
    queryFn: () => api<DisciplineGroups>(`/reports/discipline?${params.toString()}`),
  });
  if (team.isPending) return <Loading />;
  if (team.isError) return <ErrorState error={team.error} retry={() => team.refetch()} />;
  const rows = team.data.groups
    .filter((g) => g.key_id && (g.tasks_due > 0 || g.overdue_open > 0))
    .sort((a, b) => b.overdue_open - a.overdue_open || (a.discipline_score ?? 1) - (b.discipline_score ?? 1));
  const open = (owner: number | null, who: string, metric: TaskDrillSpec['metric'] = 'overdue_open') => {
    const p = new URLSearchParams(params);
    p.delete('by');
    if (owner) p.set('owner', String(owner));
    const title =
      metric === 'overdue_open'
        ? t('figures.tasks.overdueOf', { who })
        : metric === 'card_completeness'
          ? t('figures.entries.of', { who })
          : t('figures.tasks.dueOf', { who });
    setDrill({ metric, title, params: p });
  };
  const share = (v: number | null, owner: number | null, who: string, metric: TaskDrillSpec['metric'], label: string) =>
    v === null ? (
      pct(v)
    ) : (
      <button type="button" className="link" aria-label={`${who}, ${label}: ${pct(v)}`} onClick={() => open(owner, who, metric)}>
        {pct(v)}
      </button>
    );
  const overdue = (n: number, owner: number | null, who: string) =>
    n > 0 ? (
      <button
        type="button"
        className="link"
        aria-label={`${who}, ${t('tasks.overdueNow')}: ${num(n)}`}
        data-testid={`team-overdue-${owner ?? 'all'}`}
        onClick={() => open(owner, who)}
      >
        {num(n)}
      </button>
    ) : (
      num(n)
    );
  return (
    <section className="panel" aria-label={t('tasks.team')}>
      <h2>{t('tasks.team')}</h2>
      <p className="muted small">{t('tasks.teamHint')}</p>
      {rows.length === 0 ? (
        <Empty>{t('common.empty')}</Empty>
      ) : (
        <div className="table-wrap fig-scroll">
          <table className="table compact" data-testid="team-table">
            <thead>
              <tr>
                <th className="sticky-col">{t('dash.owner')}</th>
                <th className="num">{t('tasks.overdueNow')}</th>
                <th className="num">{t('dash.onTime')}</th>
                <th className="num">{t('dash.completeness')}</th>
                <th className="num">{t('dash.discipline')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((g) => (
                <tr key={g.key_id}>
                  <th scope="row" className="sticky-col">
                    <Link href={`/dashboard?owner=${g.key_id}`}>{g.key}</Link>
                  </th>
                  <td className={`num${g.overdue_open > 0 ? ' bad' : ''}`}>{overdue(g.overdue_open, g.key_id ?? null, g.key ?? '')}</td>
                  <td className="num">{share(g.on_time_rate, g.key_id ?? null, g.key ?? '', 'tasks_due', t('dash.onTime'))}</td>
                  <td className="num">
                    {share(g.card_completeness, g.key_id ?? null, g.key ?? '', 'card_completeness', t('dash.completeness'))}
                  </td>
                  <td className="num">{pct(g.discipline_score)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" className="sticky-col">
                  {t('figures.team.total')}
                </th>
                <td className={`num${team.data.total.overdue_open > 0 ? ' bad' : ''}`}>
                  {overdue(team.data.total.overdue_open, null, t('figures.team.total'))}
                </td>
                <td className="num">{pct(team.data.total.on_time_rate)}</td>
                <td className="num">{pct(team.data.total.card_completeness)}</td>
                <td className="num">{pct(team.data.total.discipline_score)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
      {drill && <TaskDrill spec={drill} zone={tz} onClose={() => setDrill(null)} />}
    </section>
  );
}

/** My open tasks: overdue first, then today's, then the coming week. */
export function TasksPage({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const zone = useTimeZone(me);
  const lang = i18n.language;
  const qc = useQueryClient();
  const tasks = useQuery({
    queryKey: ['my-tasks', me.user.id],
    queryFn: () => api<Page<Task>>(`/tasks?owner_id=${me.user.id}&status=open&sort=due_at&limit=500`),
  });
  const dealIds = [...new Set((tasks.data?.items ?? []).map((x) => x.deal_id).filter((x): x is number => x !== null))];
  const deals = useQuery({
    queryKey: ['deal-titles', dealIds.join(',')],
    queryFn: () => api<Page<Deal>>(`/deals?limit=500&id=${dealIds.slice(0, 400).join(',')}`),
    enabled: dealIds.length > 0,
  });
  const done = useMutation({
    mutationFn: (task: Task) => api<Task>(`/tasks/${task.id}`, { method: 'PATCH', body: { version: task.version, status: 'done' } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['my-tasks'] }),
  });
  if (tasks.isPending) return <Loading />;
  if (tasks.isError) return <ErrorState error={tasks.error} retry={() => tasks.refetch()} />;
  const title = new Map((deals.data?.items ?? []).map((d) => [d.id, d.title]));
  // Buckets by the day in the person's zone (their setting, else the workspace's), never the browser's.
  const now = Date.now();
  const items = tasks.data.items;
  const overdue = items.filter((x) => bucketOf(x.due_at, zone, now) === 'overdue');
  const today = items.filter((x) => bucketOf(x.due_at, zone, now) === 'today');
  const upcoming = items.filter((x) => bucketOf(x.due_at, zone, now) === 'upcoming');
  const section = (testId: string, name: string, list: Task[], emptyText: string, tone?: string) => (
    <section className="panel" aria-label={name} data-testid={`tasks-${testId}`}>
      <h2 className={tone}>
        {name} <span className="count">{list.length}</span>
      </h2>
      {list.length === 0 ? (
        <Empty>{emptyText}</Empty>
      ) : (
        <ul className="task-list">
          {list.map((x) => (
            <li key={x.id}>
              <button
                type="button"
                className="check"
                onClick={() => done.mutate(x)}
                disabled={done.isPending}
                aria-label={`${t('tasks.done')}: ${x.title}`}
              >
                ✓
              </button>
              <div className="task-main">
                <span className="task-title">{x.title}</span>
                <span className="muted">
                  {t(`taskType.${x.type}`)} · {t('tasks.due')}{' '}
                  <span data-testid="task-due">{x.due_at ? dueText(x.due_at, zone, lang, now) : t('common.none')}</span>
                  {x.deal_id && (
                    <>
                      {' · '}
                      <Link href={`/deals/${x.deal_id}`}>{title.get(x.deal_id) ?? t('tasks.deal')}</Link>
                    </>
                  )}
                </span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('tasks.title')}</h1>
        {differsFromBrowser(zone, now) && (
          <p className="muted small" data-testid="zone-note">
            {t('figures.zone.shownIn', { zone: `${zoneLabel(zone, lang, now)} (${zone})` })}
          </p>
        )}
      </div>
      <div className="grid-2">
        {section('overdue', t('tasks.overdue'), overdue, t('tasks.emptyOverdue'), overdue.length ? 'bad' : undefined)}
        {section('today', t('tasks.today'), today, t('tasks.emptyToday'))}
      </div>
      {upcoming.length > 0 && section('upcoming', t('tasks.upcoming'), upcoming, '')}
      {['admin', 'head_of_sales', 'team_lead'].includes(me.user.role) && <TeamPanel zone={zone} />}
    </div>
  );
}
