import type { UseQueryResult } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { FunnelGroups, FunnelReport } from '../../api';
import { type ChartOption, EChart } from '../../chart';
import { Empty, ErrorState, Loading } from '../../components';
import { monthLabel, numberLabel, percentLabel } from '../../time/chart-labels';
import type { OpenDrill } from './data';

const COLORS = ['#1f4fd6', '#6d8ff0', '#b42318', '#13795b', '#b54708'];

/** Entered, advanced and dropped per stage with the conversion; a bar opens its deals. */
export function FunnelChart({ r, onDrill }: { r: FunnelReport; onDrill: OpenDrill }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const option = useMemo<ChartOption>(() => {
    const stages = r.stage_conversion.map((s) => s.stage);
    return {
      color: COLORS,
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v: unknown) => numberLabel(v, lang),
      },
      legend: { top: 0 },
      grid: { left: 40, right: 50, top: 36, bottom: 60 },
      xAxis: { type: 'category', data: stages, axisLabel: { interval: 0, rotate: stages.length > 6 ? 25 : 0 } },
      yAxis: [
        { type: 'value', axisLabel: { formatter: (v: number) => numberLabel(v, lang) } },
        { type: 'value', min: 0, max: 100, axisLabel: { formatter: (v: number) => percentLabel(v, lang, 0) } },
      ],
      series: [
        { name: t('dash.entered'), type: 'bar', data: r.stage_conversion.map((s) => s.entered) },
        { name: t('dash.advanced'), type: 'bar', data: r.stage_conversion.map((s) => s.advanced) },
        { name: t('dash.dropoff'), type: 'bar', data: r.stage_conversion.map((s) => s.lost) },
        {
          name: t('dash.conversion'),
          type: 'line',
          yAxisIndex: 1,
          data: r.stage_conversion.map((s) => (s.rate === null ? null : Math.round(s.rate * 1000) / 10)),
          label: { show: true, formatter: (p: { value: unknown }) => percentLabel(p.value, lang) },
          tooltip: { valueFormatter: (v: unknown) => percentLabel(v, lang) },
        },
      ],
    };
  }, [r, t, lang]);
  return (
    <section className="panel">
      <h2>{t('dash.funnel')}</h2>
      {r.deals_created + r.stage_conversion.reduce((s, x) => s + x.entered, 0) > 0 ? (
        <EChart
          option={option}
          label={t('dash.funnel')}
          onClick={(p) => {
            const metric =
              p.seriesName === t('dash.advanced') ? 'stage_advanced' : p.seriesName === t('dash.dropoff') ? 'stage_lost' : 'stage_entered';
            onDrill({ metric, stage: p.name, title: `${p.name}: ${p.seriesName ?? ''}` });
          }}
        />
      ) : (
        <Empty>{t('dash.noData')}</Empty>
      )}
    </section>
  );
}

/** Median and 90th percentile of the days spent in each stage. */
export function DurationsChart({ r }: { r: FunnelReport }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const option = useMemo<ChartOption>(
    () => ({
      color: ['#1f4fd6', '#b54708'],
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => numberLabel(v, lang) },
      legend: { top: 0 },
      grid: { left: 40, right: 20, top: 36, bottom: 60 },
      xAxis: {
        type: 'category',
        data: r.stage_duration_days.map((s) => s.stage),
        axisLabel: { interval: 0, rotate: r.stage_duration_days.length > 6 ? 25 : 0 },
      },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => numberLabel(v, lang) } },
      series: [
        {
          name: t('dash.median'),
          type: 'bar',
          data: r.stage_duration_days.map((s) => (s.median === null ? null : Math.round(s.median * 10) / 10)),
        },
        { name: t('dash.p90'), type: 'bar', data: r.stage_duration_days.map((s) => (s.p90 === null ? null : Math.round(s.p90 * 10) / 10)) },
      ],
    }),
    [r, t, lang],
  );
  return (
    <section className="panel">
      <h2>{t('dash.durations')}</h2>
      {r.stage_duration_days.some((s) => s.n > 0) ? (
        <EChart option={option} label={t('dash.durations')} />
      ) : (
        <Empty>{t('dash.noData')}</Empty>
      )}
    </section>
  );
}

/** Win rate and median cycle for each of the last twelve months. */
export function TrendsChart({ trends }: { trends: UseQueryResult<FunnelGroups> }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const option = useMemo<ChartOption | null>(() => {
    if (!trends.data) return null;
    const g = trends.data.groups;
    return {
      color: ['#13795b', '#1f4fd6'],
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => numberLabel(v, lang) },
      legend: { top: 0 },
      grid: { left: 40, right: 50, top: 36, bottom: 30 },
      xAxis: { type: 'category', data: g.map((x) => monthLabel(x.key ?? '', lang)) },
      yAxis: [
        { type: 'value', axisLabel: { formatter: (v: number) => percentLabel(v, lang, 0) } },
        { type: 'value', axisLabel: { formatter: (v: number) => numberLabel(v, lang) } },
      ],
      series: [
        {
          name: t('dash.winRate'),
          type: 'line',
          data: g.map((x) => (x.win_rate === null ? null : Math.round(x.win_rate * 1000) / 10)),
          smooth: true,
          tooltip: { valueFormatter: (v: unknown) => percentLabel(v, lang) },
        },
        {
          name: t('dash.cycleDays'),
          type: 'bar',
          yAxisIndex: 1,
          data: g.map((x) => (x.cycle_days.median === null ? null : Math.round(x.cycle_days.median))),
        },
      ],
    };
  }, [trends.data, t, lang]);
  return (
    <section className="panel">
      <h2>{t('dash.trends')}</h2>
      {option ? <EChart option={option} label={t('dash.trends')} /> : trends.isError ? <ErrorState error={trends.error} /> : <Loading />}
    </section>
  );
}
