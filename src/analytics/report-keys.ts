/**
 * The names a report request may use — breakdowns, filters, drill-down metrics — as plain lists with
 * no imports, so that the CLI can offer them as choices without loading the reports themselves.
 */
export const BREAKDOWNS = ['owner', 'segment', 'channel', 'region', 'team', 'month'] as const;
export type Breakdown = (typeof BREAKDOWNS)[number];
export const FILTERS = ['segment', 'owner', 'channel', 'region', 'team'] as const;
export type FilterKey = (typeof FILTERS)[number];
export const DISCIPLINE_BREAKDOWNS = ['owner', 'team', 'segment', 'channel', 'region', 'month'] as const;
export const DRILL_METRICS = [
  'deals_created',
  'deals_won',
  'deals_lost',
  'deals_closed',
  'cohort_won',
  'open_deals',
  'stuck_deals',
  'stage_entered',
  'stage_advanced',
  'stage_lost',
  'stage_won',
  'stage_closed',
  'stages_entered',
  'stage_finished',
] as const;
export type DrillMetric = (typeof DRILL_METRICS)[number];
