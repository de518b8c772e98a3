import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { api, type Named, type Page } from '../../api';
import { dashboardQueries } from '../../dashboard-queries';
import { useUsers } from '../../lookups';

/** The deals behind one figure: what the drill-down asks for and the title it shows. */
export interface Drill {
  metric: string;
  stage?: string;
  title: string;
  extra?: Record<string, string>;
  /** How the figure is made of the listed deals (rates, averages, velocity). */
  note?: ReactNode;
}
export type OpenDrill = (d: Drill) => void;

/**
 * Every request of the dashboard, made here in one place and in one order — the main funnel
 * first, the filters' lists last — so splitting the page into parts does not reorder them.
 */
export function useDashboardData(search: string, timeZone: string) {
  const q = dashboardQueries(search, timeZone);
  const report = useQuery({ ...q.report, placeholderData: keepPreviousData });
  const trends = useQuery(q.trends);
  const managers = useQuery(q.managers);
  const discipline = useQuery(q.discipline);
  const segments = useQuery({ queryKey: ['segments'], queryFn: () => api<Page<Named>>('/segments?limit=100'), staleTime: 300_000 });
  const channels = useQuery({ queryKey: ['channels'], queryFn: () => api<Page<Named>>('/channels?limit=500'), staleTime: 300_000 });
  const users = useUsers();
  return { q, report, trends, managers, discipline, segments, channels, users };
}
