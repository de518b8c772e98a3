import { useTranslation } from 'react-i18next';
import type { FunnelReport } from '../../api';
import { num, pct } from '../../format';
import type { OpenDrill } from './data';

/** Per stage: entered, advanced, dropped (each opens its deals), conversion, median days, win probability. */
export function StageTable({ r, onDrill }: { r: FunnelReport; onDrill: OpenDrill }) {
  const { t } = useTranslation();
  return (
    <section className="panel">
      <h2>{t('dash.stages')}</h2>
      <div className="table-wrap">
        <table className="table compact" data-testid="stage-table">
          <thead>
            <tr>
              <th>{t('list.columns.stage')}</th>
              <th className="num">{t('dash.entered')}</th>
              <th className="num">{t('dash.advanced')}</th>
              <th className="num">{t('dash.dropoff')}</th>
              <th className="num">{t('dash.conversion')}</th>
              <th className="num">{t('dash.medianDays')}</th>
              <th className="num">{t('dash.probability')}</th>
            </tr>
          </thead>
          <tbody>
            {r.stage_conversion.map((s) => {
              const dur = r.stage_duration_days.find((x) => x.stage === s.stage);
              const prob = r.stage_win_probability.find((x) => x.stage === s.stage);
              const cell = (metric: string, value: number, label: string) => (
                <td className="num">
                  <button
                    type="button"
                    className="link"
                    data-testid={`${metric}-${s.stage}`}
                    onClick={() => onDrill({ metric, stage: s.stage, title: `${s.stage}: ${label}` })}
                  >
                    {num(value)}
                  </button>
                </td>
              );
              return (
                <tr key={s.stage}>
                  <th scope="row">{s.stage}</th>
                  {cell('stage_entered', s.entered, t('dash.entered'))}
                  {cell('stage_advanced', s.advanced, t('dash.advanced'))}
                  {cell('stage_lost', s.lost, t('dash.dropoff'))}
                  <td className="num">{pct(s.rate)}</td>
                  <td className="num">{dur?.median == null ? t('common.none') : num(dur.median, 1)}</td>
                  <td className="num" title={prob ? `${num(prob.won)} / ${num(prob.closed)}` : undefined}>
                    {pct(prob?.p ?? null)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
