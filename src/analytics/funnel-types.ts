/**
 * The funnel's types in one import: the query object (funnel-query.ts) and the report,
 * inferred from its zod schema (funnel-schema.ts), which the metrics registry builds.
 */
export {
  BREAKDOWNS,
  type Breakdown,
  FILTERS,
  type FilterKey,
  type FunnelQuery,
  type FunnelStage,
  type ResolvedFilter,
} from './funnel-query.ts';
export type { FunnelGroup, FunnelKpis, FunnelReport, FunnelReportMeta } from './funnel-schema.ts';
