import type { UseQueryResult } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { DisciplineGroups, FunnelGroups } from '../../api';
import { ErrorState, Loading } from '../../components';
import { majorMoney, num, pct } from '../../format';
import type { OpenDrill } from './data';
import type { TaskDrillSpec } from './TaskDrill';

/** Each manager's outcome figures beside their discipline; the counts open the manager's deals. */
export function ManagersTable({
  managers,
  discipline,
  currency,
  params,
  onDrill,
  onTasks,
}: {
  managers: UseQueryResult<FunnelGroups>;
  discipline: DisciplineGroups | undefined;
  currency: string;
  /** The report's period and filters, for the tasks behind a discipline figure. */
  params: URLSearchParams;
  onDrill: OpenDrill;
  onTasks: (s: TaskDrillSpec) => void;
}) {
  const { t } = useTranslation();
  const cur = currency;
  const discByOwner = new Map((discipline?.groups ?? []).map((g) => [g.key_id ?? null, g]));
  return (
    <section className="panel">
      <h2>{t('dash.managers')}</h2>
      {managers.isPending ? (
        <Loading />
      ) : managers.isError ? (
        <ErrorState error={managers.error} />
      ) : (
        <div className="table-wrap fig-scroll">
          <table className="table compact" data-testid="managers-table">
            <thead>
              <tr>
                <th className="sticky-col">{t('dash.owner')}</th>
                <th className="num">{t('dash.created')}</th>
                <th className="num">{t('dash.won')}</th>
                <th className="num">{t('dash.winRate')}</th>
                <th className="num">{t('dash.wonAmount')}</th>
                <th className="num">{t('dash.open')}</th>
                <th className="num">{t('dash.stuck')}</th>
                <th className="num">{t('dash.discipline')}</th>
                <th className="num">{t('dash.onTime')}</th>
                <th className="num">{t('dash.completeness')}</th>
                <th className="num">{t('dash.overdue')}</th>
              </tr>
            </thead>
            <tbody>
              {managers.data.groups
                .filter((g) => g.deals_created + g.open_deals + g.deals_won + g.deals_lost > 0)
                .map((g) => {
                  const d = discByOwner.get(g.key_id ?? null);
                  const who = g.key ?? t('common.notSet');
                  const owner = g.key_id ? { owner: String(g.key_id) } : { owner: 'none' };
                  const cell = (metric: string, label: string, value: string, note?: string) => (
                    <td className="num">
                      <button
                        type="button"
                        className="link"
                        aria-label={`${who}, ${label}: ${value}`}
                        data-testid={`mgr-${metric}-${g.key_id ?? 'none'}`}
                        onClick={() => onDrill({ metric, title: `${who}: ${label}`, extra: owner, note })}
                      >
                        {value}
                      </button>
                    </td>
                  );
                  const taskCell = (metric: TaskDrillSpec['metric'], label: string, value: string, title: string, tone = '') => (
                    <td className={`num${tone}`}>
                      {d && g.key_id ? (
                        <button
                          type="button"
                          className="link"
                          aria-label={`${who}, ${label}: ${value}`}
                          data-testid={`mgr-${metric}-${g.key_id}`}
                          onClick={() => {
                            const p = new URLSearchParams(params);
                            p.set('owner', String(g.key_id));
                            onTasks({ metric, title, params: p });
                          }}
                        >
                          {value}
                        </button>
                      ) : (
                        value
                      )}
                    </td>
                  );
                  return (
                    <tr key={g.key_id ?? 'none'}>
                      <th scope="row" className="sticky-col">
                        {who}
                      </th>
                      {cell('deals_created', t('dash.created'), num(g.deals_created))}
                      {cell('deals_won', t('dash.won'), num(g.deals_won))}
                      {cell('deals_closed', t('dash.winRate'), pct(g.win_rate), t('figures.note.winRate'))}
                      {cell('deals_won', t('dash.wonAmount'), majorMoney(g.won_amount, cur))}
                      {cell('open_deals', t('dash.open'), num(g.open_deals))}
                      {cell('stuck_deals', t('dash.stuck'), num(g.stuck_deals))}
                      <td
                        className={`num strong ${d?.discipline_score !== null && d?.discipline_score !== undefined && d.discipline_score < 0.7 ? 'bad' : ''}`}
                      >
                        {pct(d?.discipline_score)}
                      </td>
                      {taskCell('tasks_due', t('dash.onTime'), pct(d?.on_time_rate), t('figures.tasks.dueOf', { who }))}
                      {taskCell('card_completeness', t('dash.completeness'), pct(d?.card_completeness), t('figures.entries.of', { who }))}
                      {taskCell(
                        'overdue_open',
                        t('dash.overdue'),
                        num(d?.overdue_open),
                        t('figures.tasks.overdueOf', { who }),
                        d?.overdue_open ? ' bad' : '',
                      )}
                    </tr>
                  );
                })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
