import type { QueryClient } from '@tanstack/react-query';
import { api, type DisciplineGroups, type FunnelGroups, type FunnelReport, type Me, type Page, type Prefs } from './api';
import { isoDay } from './format';

/** A report's query: cached under the report's name and its query string. */
const report = <T>(name: 'funnel' | 'discipline', params: URLSearchParams) => ({
  queryKey: [name, params.toString()],
  queryFn: () => api<T>(`/reports/${name}?${params.toString()}`),
});

/**
 * The dashboard's reports, described once: the page reads them, and the app shell starts
 * fetching them as soon as the session is known when the dashboard is opened directly (a shared
 * link, a bookmark), while the chart code is still loading. Part of the first bundle, so small.
 */
export function dashboardQueries(search: string, timeZone: string) {
  const url = new URLSearchParams(search);
  const from = url.get('from') ?? isoDay(timeZone, -90);
  const to = url.get('to') ?? isoDay(timeZone, 1);
  const params = new URLSearchParams({ from, to });
  for (const k of ['as_of', 'segment', 'owner', 'channel']) {
    const v = url.get(k);
    if (v) params.set(k, v);
  }
  // Trends: twelve calendar months back from the period's end, same filters.
  const trendParams = new URLSearchParams(params);
  const [ty, tm] = to.split('-').map(Number);
  const trendStart = new Date(Date.UTC(ty, tm - 1 - 11, 1));
  trendParams.set('from', `${trendStart.getUTCFullYear()}-${String(trendStart.getUTCMonth() + 1).padStart(2, '0')}-01`);
  trendParams.set('by', 'month');
  const byOwnerParams = new URLSearchParams(params);
  byOwnerParams.delete('owner');
  byOwnerParams.set('by', 'owner');
  return {
    url,
    from,
    to,
    /** The period and filters, as the drill-down asks for the deals behind a figure. */
    params,
    report: report<FunnelReport>('funnel', params),
    trends: report<FunnelGroups>('funnel', trendParams),
    managers: report<FunnelGroups>('funnel', byOwnerParams),
    discipline: report<DisciplineGroups>('discipline', byOwnerParams),
  };
}

/** Starts the dashboard's requests (the main funnel first) if the dashboard is what is being opened. */
export function prefetchDashboard(qc: QueryClient, me: Me) {
  if (!window.location.pathname.startsWith('/dashboard')) return;
  // The person's own zone when the preferences have arrived (they are asked for alongside the session), as the page will use.
  const zone = qc.getQueryData<Prefs>(['prefs'])?.time_zone || me.workspace.timezone;
  const q = dashboardQueries(window.location.search, zone);
  for (const x of [q.report, q.trends, q.managers, q.discipline]) void qc.prefetchQuery(x as Parameters<QueryClient['prefetchQuery']>[0]);
  void qc.prefetchQuery({ queryKey: ['users'], queryFn: () => api<Page<unknown>>('/users?limit=500') });
}
