import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useSearch } from 'wouter';
import { api, type Me, type Named, type Page } from '../api';
import { type ChartOption, EChart } from '../chart';
import { Empty, ErrorState, Loading, Stat } from '../components';
import { dashboardQueries } from '../dashboard-queries';
import { estimateMoney, majorMoney, num, pct } from '../format';
import { useUsers } from '../lookups';
import { DrillDown } from './DrillDown';

const COLORS = ['#1f4fd6', '#6d8ff0', '#b42318', '#13795b', '#b54708'];

export default function DashboardPage({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const [, navigate] = useLocation();
  const search = useSearch();
  const tz = me.workspace.timezone;
  const q = dashboardQueries(search, tz);
  const { url, from, to, params } = q;
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(search);
    if (!next.get('from')) next.set('from', from);
    if (!next.get('to')) next.set('to', to);
    if (v) next.set(k, v);
    else next.delete(k);
    navigate(`/dashboard?${next.toString()}`, { replace: true });
  };
  const [drill, setDrill] = useState<{ metric: string; stage?: string; title: string; extra?: Record<string, string> } | null>(null);
  const report = useQuery({ ...q.report, placeholderData: keepPreviousData });
  const trends = useQuery(q.trends);
  const managers = useQuery(q.managers);
  const discipline = useQuery(q.discipline);
  const segments = useQuery({ queryKey: ['segments'], queryFn: () => api<Page<Named>>('/segments?limit=100'), staleTime: 300_000 });
  const channels = useQuery({ queryKey: ['channels'], queryFn: () => api<Page<Named>>('/channels?limit=500'), staleTime: 300_000 });
  const users = useUsers();
  const r = report.data;
  const cur = r?.currency ?? me.workspace.currency;
  const ru = i18n.language === 'ru';

  const funnelOption = useMemo<ChartOption | null>(() => {
    if (!r) return null;
    const stages = r.stage_conversion.map((s) => s.stage);
    return {
      color: COLORS,
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 50, top: 36, bottom: 60 },
      xAxis: { type: 'category', data: stages, axisLabel: { interval: 0, rotate: stages.length > 6 ? 25 : 0 } },
      yAxis: [{ type: 'value' }, { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } }],
      series: [
        { name: t('dash.entered'), type: 'bar', data: r.stage_conversion.map((s) => s.entered) },
        { name: t('dash.advanced'), type: 'bar', data: r.stage_conversion.map((s) => s.advanced) },
        { name: t('dash.dropoff'), type: 'bar', data: r.stage_conversion.map((s) => s.lost) },
        {
          name: t('dash.conversion'),
          type: 'line',
          yAxisIndex: 1,
          data: r.stage_conversion.map((s) => (s.rate === null ? null : Math.round(s.rate * 1000) / 10)),
          label: { show: true, formatter: '{c}%' },
        },
      ],
    };
  }, [r, t]);
  const durationOption = useMemo<ChartOption | null>(() => {
    if (!r) return null;
    return {
      color: ['#1f4fd6', '#b54708'],
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 20, top: 36, bottom: 60 },
      xAxis: {
        type: 'category',
        data: r.stage_duration_days.map((s) => s.stage),
        axisLabel: { interval: 0, rotate: r.stage_duration_days.length > 6 ? 25 : 0 },
      },
      yAxis: { type: 'value' },
      series: [
        {
          name: t('dash.median'),
          type: 'bar',
          data: r.stage_duration_days.map((s) => (s.median === null ? null : Math.round(s.median * 10) / 10)),
        },
        { name: t('dash.p90'), type: 'bar', data: r.stage_duration_days.map((s) => (s.p90 === null ? null : Math.round(s.p90 * 10) / 10)) },
      ],
    };
  }, [r, t]);
  const trendOption = useMemo<ChartOption | null>(() => {
    if (!trends.data) return null;
    const g = trends.data.groups;
    return {
      color: ['#13795b', '#1f4fd6'],
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 50, top: 36, bottom: 30 },
      xAxis: { type: 'category', data: g.map((x) => x.key) },
      yAxis: [{ type: 'value', axisLabel: { formatter: '{value}%' } }, { type: 'value' }],
      series: [
        {
          name: t('dash.winRate'),
          type: 'line',
          data: g.map((x) => (x.win_rate === null ? null : Math.round(x.win_rate * 1000) / 10)),
          smooth: true,
        },
        {
          name: t('dash.cycleDays'),
          type: 'bar',
          yAxisIndex: 1,
          data: g.map((x) => (x.cycle_days.median === null ? null : Math.round(x.cycle_days.median))),
        },
      ],
    };
  }, [trends.data, t]);

  const stat = (label: string, value: string, metric?: string, tone?: 'good' | 'bad') => (
    <Stat
      label={label}
      value={value}
      tone={tone}
      testId={metric ? `stat-${metric}` : undefined}
      onClick={metric ? () => setDrill({ metric, title: label }) : undefined}
    />
  );
  const discByOwner = new Map((discipline.data?.groups ?? []).map((g) => [g.key_id ?? null, g]));
  return (
    <div className="page dashboard">
      <div className="page-head">
        <div>
          <h1>{t('dash.title')}</h1>
          <p className="muted">{t('dash.clickHint')}</p>
        </div>
      </div>
      <search className="filters">
        <label className="inline">
          {t('dash.from')} <input type="date" value={from} onChange={(e) => e.target.value && set('from', e.target.value)} />
        </label>
        <label className="inline">
          {t('dash.to')} <input type="date" value={to} onChange={(e) => e.target.value && set('to', e.target.value)} />
        </label>
        <label className="inline">
          {t('dash.asOf')} <input type="date" value={url.get('as_of') ?? ''} onChange={(e) => set('as_of', e.target.value)} />
        </label>
        <select value={url.get('segment') ?? ''} onChange={(e) => set('segment', e.target.value)} aria-label={t('dash.segment')}>
          <option value="">{t('dash.anySegment')}</option>
          {(segments.data?.items ?? []).map((s) => (
            <option key={s.id} value={s.name}>
              {s.name}
            </option>
          ))}
        </select>
        <select value={url.get('owner') ?? ''} onChange={(e) => set('owner', e.target.value)} aria-label={t('dash.owner')}>
          <option value="">{t('dash.anyOwner')}</option>
          {(users.data?.items ?? [])
            .filter((u) => u.role === 'manager')
            .map((u) => (
              <option key={u.id} value={String(u.id)}>
                {u.name}
              </option>
            ))}
        </select>
        <select value={url.get('channel') ?? ''} onChange={(e) => set('channel', e.target.value)} aria-label={t('dash.channel')}>
          <option value="">{t('dash.anyChannel')}</option>
          {(channels.data?.items ?? []).map((c) => (
            <option key={c.id} value={c.name}>
              {c.name}
            </option>
          ))}
        </select>
      </search>
      {report.isPending ? (
        <Loading />
      ) : report.isError ? (
        <ErrorState error={report.error} retry={() => report.refetch()} />
      ) : (
        r && (
          <>
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
            <div className="grid-2">
              <section className="panel">
                <h2>{t('dash.funnel')}</h2>
                {funnelOption && r.deals_created + r.stage_conversion.reduce((s, x) => s + x.entered, 0) > 0 ? (
                  <EChart
                    option={funnelOption}
                    label={t('dash.funnel')}
                    onClick={(p) => {
                      const metric =
                        p.seriesName === t('dash.advanced')
                          ? 'stage_advanced'
                          : p.seriesName === t('dash.dropoff')
                            ? 'stage_lost'
                            : 'stage_entered';
                      setDrill({ metric, stage: p.name, title: `${p.name}: ${p.seriesName ?? ''}` });
                    }}
                  />
                ) : (
                  <Empty>{t('dash.noData')}</Empty>
                )}
              </section>
              <section className="panel">
                <h2>{t('dash.durations')}</h2>
                {durationOption && r.stage_duration_days.some((s) => s.n > 0) ? (
                  <EChart option={durationOption} label={t('dash.durations')} />
                ) : (
                  <Empty>{t('dash.noData')}</Empty>
                )}
              </section>
            </div>
            <div className="grid-2">
              <section className="panel">
                <h2>{t('dash.trends')}</h2>
                {trendOption ? (
                  <EChart option={trendOption} label={t('dash.trends')} />
                ) : trends.isError ? (
                  <ErrorState error={trends.error} />
                ) : (
                  <Loading />
                )}
              </section>
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
                              onClick={() => setDrill({ metric, stage: s.stage, title: `${s.stage}: ${label}` })}
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
            </div>
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
                            setDrill({
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
            <p className="muted small">
              {ru ? 'Период' : 'Period'}: {from} — {to} · {ru ? 'на' : 'as of'}{' '}
              {new Date(r.as_of).toLocaleString(ru ? 'ru-RU' : 'en-US', { timeZone: tz })} · {r.time_zone}
            </p>
          </>
        )
      )}
      {drill && (
        <DrillDown
          params={(() => {
            const p = new URLSearchParams(params);
            for (const [k, v] of Object.entries(drill.extra ?? {})) p.set(k, v);
            return p;
          })()}
          metric={drill.metric}
          stage={drill.stage}
          title={drill.title}
          currency={cur}
          onClose={() => setDrill(null)}
        />
      )}
    </div>
  );
}
