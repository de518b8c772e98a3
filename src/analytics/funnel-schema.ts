import { z } from 'zod';
import { BREAKDOWNS, FILTERS, type FilterKey } from './funnel-query.ts';
import { funnelMetrics } from './metrics/funnel-metrics.ts';

/** One group's figures: the funnel metrics' schemas, declared with each metric (metrics/funnel-metrics.ts). */
export const funnelKpisSchema = funnelMetrics.schema;
/** The funnel report, keys exactly as kpi.md names them. Money in major units, rates as fractions. */
export type FunnelKpis = z.infer<typeof funnelKpisSchema>;

export const reportMetaSchema = z.object({
  report: z.literal('funnel'),
  workspace: z.string(),
  pipeline: z.object({ id: z.number().int(), name: z.string() }),
  period: z.object({ from: z.string(), to: z.string() }),
  as_of: z.string(),
  as_of_capped: z.boolean(),
  time_zone: z.string(),
  currency: z.string(),
  filters: z.object(Object.fromEntries(FILTERS.map((k) => [k, z.string().nullable()])) as Record<FilterKey, z.ZodNullable<z.ZodString>>),
  by: z.enum(BREAKDOWNS).nullable(),
});
export type FunnelReportMeta = z.infer<typeof reportMetaSchema>;

const funnelGroupSchema = funnelKpisSchema.extend({ key: z.string().nullable(), key_id: z.number().int().nullable().optional() });
export type FunnelGroup = z.infer<typeof funnelGroupSchema>;

export const funnelReportSchema = z.union([
  reportMetaSchema.extend(funnelKpisSchema.shape),
  reportMetaSchema.extend({ groups: z.array(funnelGroupSchema), total: funnelKpisSchema }),
]);
export type FunnelReport = z.infer<typeof funnelReportSchema>;
