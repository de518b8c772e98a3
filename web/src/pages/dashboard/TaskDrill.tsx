import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api, type DisciplineEntries, type DisciplineTasks } from '../../api';
import { Empty, ErrorState, Loading, Modal } from '../../components';
import { num, pct } from '../../format';
import { dueText } from '../../time/zone';
import './dashboard.css';

/** Which tasks a discipline figure counts: `overdue_open` (the Overdue column), `tasks_due` (on time is a share of these). */
export interface TaskDrillSpec {
  metric: 'overdue_open' | 'tasks_due' | 'tasks_on_time' | 'tasks_late' | 'card_completeness';
  title: string;
  /** The report's parameters (period, filters, the manager as `owner`). */
  params: URLSearchParams;
}

/** The stage entries behind card completeness: what each entry had filled of what its stage requires. */
function EntryDrill({ spec, zone, onClose }: { spec: TaskDrillSpec; zone: string; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const q = new URLSearchParams(spec.params);
  q.delete('by');
  q.set('limit', '500');
  const res = useQuery({
    queryKey: ['discipline-entries', q.toString()],
    queryFn: () => api<DisciplineEntries>(`/reports/discipline/entries?${q.toString()}`),
  });
  return (
    <Modal title={spec.title} onClose={onClose} wide>
      {res.isPending ? (
        <Loading />
      ) : res.isError ? (
        <ErrorState error={res.error} retry={() => res.refetch()} />
      ) : res.data.items.length === 0 ? (
        <Empty />
      ) : (
        <>
          <p className="strong" data-testid="entry-drill-total" data-count={res.data.total}>
            {t('figures.entries.total', {
              count: res.data.total,
              filled: num(res.data.required_filled),
              required: num(res.data.required_total),
              rate: pct(res.data.required_filled / res.data.required_total),
            })}
          </p>
          <div className="table-wrap">
            <table className="table drill-cards" data-testid="entry-drill-table">
              <thead>
                <tr>
                  <th>{t('figures.tasks.deal')}</th>
                  <th>{t('list.columns.stage')}</th>
                  <th>{t('figures.entries.at')}</th>
                  <th>{t('list.columns.owner')}</th>
                  <th className="num">{t('figures.entries.filled')}</th>
                </tr>
              </thead>
              <tbody>
                {res.data.items.map((x) => (
                  <tr key={`${x.deal_id}-${x.entered_at}-${x.stage}`}>
                    <td className="drill-title">
                      <Link href={`/deals/${x.deal_id}`}>{x.deal}</Link>
                    </td>
                    <td data-label={t('list.columns.stage')}>{x.stage}</td>
                    <td data-label={t('figures.entries.at')}>{dueText(x.entered_at, zone, i18n.language)}</td>
                    <td data-label={t('list.columns.owner')}>{x.owner ?? t('common.none')}</td>
                    <td className="num" data-label={t('figures.entries.filled')}>
                      {num(x.required_filled)} / {num(x.required_total)}
                    </td>
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

/** The tasks behind a discipline figure, from the same task sets the report counts (or the stage entries, for completeness). */
export function TaskDrill({ spec, zone, onClose }: { spec: TaskDrillSpec; zone: string; onClose: () => void }) {
  if (spec.metric === 'card_completeness') return <EntryDrill spec={spec} zone={zone} onClose={onClose} />;
  return <TaskList spec={spec} zone={zone} onClose={onClose} />;
}

function TaskList({ spec, zone, onClose }: { spec: TaskDrillSpec; zone: string; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const q = new URLSearchParams(spec.params);
  q.delete('by');
  q.set('metric', spec.metric);
  q.set('limit', '500');
  const res = useQuery({
    queryKey: ['discipline-tasks', q.toString()],
    queryFn: () => api<DisciplineTasks>(`/reports/discipline/tasks?${q.toString()}`),
  });
  return (
    <Modal title={spec.title} onClose={onClose} wide>
      {res.isPending ? (
        <Loading />
      ) : res.isError ? (
        <ErrorState error={res.error} retry={() => res.refetch()} />
      ) : res.data.items.length === 0 ? (
        <Empty />
      ) : (
        <>
          <div className="drill-summary">
            <p className="strong" data-testid="task-drill-total" data-count={res.data.total}>
              {t('figures.tasks.total', { count: res.data.total })}
            </p>
            {spec.metric === 'tasks_due' && (
              <p data-testid="task-drill-on-time">
                {t('figures.tasks.onTime', {
                  onTime: num(res.data.on_time),
                  count: num(res.data.total),
                  rate: pct(res.data.on_time / res.data.total),
                })}
              </p>
            )}
          </div>
          <div className="table-wrap">
            <table className="table drill-cards" data-testid="task-drill-table">
              <thead>
                <tr>
                  <th>{t('figures.tasks.task')}</th>
                  <th>{t('figures.tasks.deal')}</th>
                  <th>{t('list.columns.owner')}</th>
                  <th>{t('figures.tasks.due')}</th>
                  <th>{t('figures.tasks.done')}</th>
                  <th className="num">{t('figures.tasks.delay')}</th>
                </tr>
              </thead>
              <tbody>
                {res.data.items.map((x) => (
                  <tr key={x.task_id}>
                    <td className="drill-title">{x.title}</td>
                    <td data-label={t('figures.tasks.deal')}>
                      <Link href={`/deals/${x.deal_id}`}>{x.deal}</Link>
                    </td>
                    <td data-label={t('list.columns.owner')}>{x.owner ?? t('common.none')}</td>
                    <td data-label={t('figures.tasks.due')}>{dueText(x.due_at, zone, i18n.language)}</td>
                    <td data-label={t('figures.tasks.done')}>
                      {x.done_at ? dueText(x.done_at, zone, i18n.language) : t('figures.tasks.notDone')}
                    </td>
                    <td className="num" data-label={t('figures.tasks.delay')}>
                      {num(x.delay_days, 1)}
                    </td>
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
