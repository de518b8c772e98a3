/** The funnel report, keys exactly as kpi.md names them. Money in major units, rates as fractions. */
export interface FunnelKpis {
  deals_created: number;
  deals_won: number;
  deals_lost: number;
  won_amount: number;
  win_rate: number | null;
  cohort_win_rate: number | null;
  avg_won_amount: number | null;
  cycle_days: { mean: number | null; median: number | null; p90: number | null };
  stage_conversion: { stage: string; entered: number; advanced: number; lost: number; rate: number | null }[];
  stage_duration_days: { stage: string; n: number; median: number | null; p90: number | null }[];
  open_deals: number;
  open_amount: number;
  stage_win_probability: { stage: string; won: number; closed: number; raw: number | null; p: number | null }[];
  weighted_pipeline: number | null;
  velocity_per_day: number | null;
  stuck_deals: number;
}

export const BREAKDOWNS = ['owner', 'segment', 'channel', 'region', 'team', 'month'] as const;
export type Breakdown = (typeof BREAKDOWNS)[number];
export const FILTERS = ['segment', 'owner', 'channel', 'region', 'team'] as const;
export type FilterKey = (typeof FILTERS)[number];

/** A resolved filter: the id (or text for region/team) to match; null matches "not set". */
export interface ResolvedFilter {
  value: number | string | null;
  label: string | null;
}

export interface FunnelStage {
  id: number;
  name: string;
  kind: 'open' | 'won' | 'lost';
  position: number;
}

/** The validated query object every report is computed from. */
export interface FunnelQuery {
  workspaceId: number;
  workspace: string;
  currency: string;
  timeZone: string;
  pipeline: { id: number; name: string };
  stages: FunnelStage[];
  from: Date;
  to: Date;
  /** Effective as-of: the requested one (default `to`) capped at now. */
  asOf: Date;
  asOfRequested: Date;
  /** Nothing entered at or after as-of: the report may read what is maintained for "now". */
  live: boolean;
  /** Past as-of: the monthly checkpoint the report starts from (analytics/asof-source.ts); null or absent: none. */
  checkpoint?: Date | null;
  filters: Partial<Record<FilterKey, ResolvedFilter>>;
  by: Breakdown | null;
  /** Only deals and tasks of these owners (a manager's or team lead's own report); absent: all. */
  ownerScope?: number[];
}

export interface FunnelGroup extends FunnelKpis {
  key: string | null;
  key_id?: number | null;
}

export interface FunnelReportMeta {
  report: 'funnel';
  workspace: string;
  pipeline: { id: number; name: string };
  period: { from: string; to: string };
  as_of: string;
  as_of_capped: boolean;
  time_zone: string;
  currency: string;
  filters: Record<FilterKey, string | null>;
  by: Breakdown | null;
}

export type FunnelReport = FunnelReportMeta & (FunnelKpis | { groups: FunnelGroup[]; total: FunnelKpis });
