import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useSearch } from 'wouter';
import type { Me } from '../api';
import { ErrorState, Loading } from '../components';
import { DrillDown } from './DrillDown';
import { DurationsChart, FunnelChart, TrendsChart } from './dashboard/Charts';
import { type Drill, useDashboardData } from './dashboard/data';
import { DashboardFilters } from './dashboard/Filters';
import { ManagersTable } from './dashboard/ManagersTable';
import { StageTable } from './dashboard/StageTable';
import { StatTiles } from './dashboard/StatTiles';
import { TaskDrill, type TaskDrillSpec } from './dashboard/TaskDrill';
import './dashboard/dashboard.css';
import { useTimeZone } from '../time/use-time-zone';
import { clockIn, dayText, isoDayText, zoneLabel } from '../time/zone';

/** The funnel dashboard: filters in the URL, and every figure opens the deals behind it. */
export default function DashboardPage({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const [, navigate] = useLocation();
  const search = useSearch();
  const tz = useTimeZone(me);
  const { q, report, trends, managers, discipline, segments, channels, users } = useDashboardData(search, tz);
  const { url, from, to, params } = q;
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(search);
    if (!next.get('from')) next.set('from', from);
    if (!next.get('to')) next.set('to', to);
    if (v) next.set(k, v);
    else next.delete(k);
    navigate(`/dashboard?${next.toString()}`, { replace: true });
  };
  const [drill, setDrill] = useState<Drill | null>(null);
  const [tasks, setTasks] = useState<TaskDrillSpec | null>(null);
  const r = report.data;
  const cur = r?.currency ?? me.workspace.currency;
  const lang = i18n.language;
  return (
    <div className="page dashboard">
      <div className="page-head">
        <div>
          <h1>{t('dash.title')}</h1>
          <p className="muted">{t('dash.clickHint')}</p>
        </div>
      </div>
      <DashboardFilters
        url={url}
        from={from}
        to={to}
        set={set}
        segments={segments.data?.items ?? []}
        owners={(users.data?.items ?? []).filter((u) => u.role === 'manager')}
        channels={channels.data?.items ?? []}
      />
      {report.isPending ? (
        <Loading />
      ) : report.isError ? (
        <ErrorState error={report.error} retry={() => report.refetch()} />
      ) : (
        r && (
          <>
            <StatTiles r={r} currency={cur} onDrill={setDrill} />
            <div className="grid-2">
              <FunnelChart r={r} onDrill={setDrill} />
              <DurationsChart r={r} />
            </div>
            <div className="grid-2 trends-stages">
              <TrendsChart trends={trends} />
              <StageTable r={r} onDrill={setDrill} />
            </div>
            <ManagersTable
              managers={managers}
              discipline={discipline.data}
              currency={cur}
              params={params}
              onDrill={setDrill}
              onTasks={setTasks}
            />
            <p className="muted small" data-testid="dashboard-footer">
              {t('figures.footer', {
                from: isoDayText(from, lang),
                to: isoDayText(to, lang),
                asOf: `${dayText(r.as_of, r.time_zone, lang)}, ${clockIn(r.as_of, r.time_zone)}`,
                zone: `${zoneLabel(r.time_zone, lang, Date.parse(r.as_of))} (${r.time_zone})`,
              })}
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
          note={drill.note}
          onClose={() => setDrill(null)}
        />
      )}
      {tasks && <TaskDrill spec={tasks} zone={tz} onClose={() => setTasks(null)} />}
    </div>
  );
}
