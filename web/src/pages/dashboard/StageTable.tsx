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
      <div className="table-wrap fig-scroll">
        <table className="table compact" data-testid="stage-table">
          <thead>
            <tr>
              <th className="sticky-col">{t('list.columns.stage')}</th>
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
              const cell = (metric: string, value: string, label: string, note?: string, id = metric) => (
                <td className="num">
                  <button
                    type="button"
                    className="link"
                    data-testid={`${id}-${s.stage}`}
                    aria-label={`${s.stage}, ${label}: ${value}`}
                    onClick={() => onDrill({ metric, stage: s.stage, title: `${s.stage}: ${label}`, note })}
                  >
                    {value}
                  </button>
                </td>
              );
              return (
                <tr key={s.stage}>
                  <th scope="row" className="sticky-col">
                    {s.stage}
                  </th>
                  {cell('stage_entered', num(s.entered), t('dash.entered'))}
                  {cell('stage_advanced', num(s.advanced), t('dash.advanced'))}
                  {cell('stage_lost', num(s.lost), t('dash.dropoff'))}
                  {cell(
                    'stage_advanced',
                    pct(s.rate),
                    t('dash.conversion'),
                    t('figures.note.conversion', { stage: s.stage, advanced: num(s.advanced), entered: num(s.entered), rate: pct(s.rate) }),
                    'stage_rate',
                  )}
                  {dur && dur.n > 0 ? (
                    cell('stage_finished', dur.median == null ? t('common.none') : num(dur.median, 1), t('dash.medianDays'))
                  ) : (
                    <td className="num">{t('common.none')}</td>
                  )}
                  {prob && prob.closed > 0 ? (
                    cell(
                      'stage_won',
                      pct(prob.p),
                      t('dash.probability'),
                      t('figures.note.probability', { stage: s.stage, won: num(prob.won), closed: num(prob.closed) }),
                    )
                  ) : (
                    <td className="num">{pct(prob?.p ?? null)}</td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
