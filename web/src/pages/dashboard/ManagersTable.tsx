import type { UseQueryResult } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { DisciplineGroups, FunnelGroups } from '../../api';
import { ErrorState, Loading } from '../../components';
import { majorMoney, num, pct } from '../../format';
import type { OpenDrill } from './data';

/** Each manager's outcome figures beside their discipline; the counts open the manager's deals. */
export function ManagersTable({
  managers,
  discipline,
  currency,
  onDrill,
}: {
  managers: UseQueryResult<FunnelGroups>;
  discipline: DisciplineGroups | undefined;
  currency: string;
  onDrill: OpenDrill;
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
        <div className="table-wrap">
          <table className="table" data-testid="managers-table">
            <thead>
              <tr>
                <th>{t('dash.owner')}</th>
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
                  const drillFor = (metric: string, title: string) => () =>
                    onDrill({
                      metric,
                      title: `${g.key ?? t('common.notSet')}: ${title}`,
                      extra: g.key_id ? { owner: String(g.key_id) } : undefined,
                    });
                  return (
                    <tr key={g.key_id ?? 'none'}>
                      <td>{g.key ?? t('common.notSet')}</td>
                      <td className="num">
                        <button type="button" className="link" onClick={drillFor('deals_created', t('dash.created'))}>
                          {num(g.deals_created)}
                        </button>
                      </td>
                      <td className="num">
                        <button type="button" className="link" onClick={drillFor('deals_won', t('dash.won'))}>
                          {num(g.deals_won)}
                        </button>
                      </td>
                      <td className="num">{pct(g.win_rate)}</td>
                      <td className="num">{majorMoney(g.won_amount, cur)}</td>
                      <td className="num">{num(g.open_deals)}</td>
                      <td className="num">
                        <button type="button" className="link" onClick={drillFor('stuck_deals', t('dash.stuck'))}>
                          {num(g.stuck_deals)}
                        </button>
                      </td>
                      <td
                        className={`num strong ${d?.discipline_score !== null && d?.discipline_score !== undefined && d.discipline_score < 0.7 ? 'bad' : ''}`}
                      >
                        {pct(d?.discipline_score)}
                      </td>
                      <td className="num">{pct(d?.on_time_rate)}</td>
                      <td className="num">{pct(d?.card_completeness)}</td>
                      <td className="num">{num(d?.overdue_open)}</td>
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
