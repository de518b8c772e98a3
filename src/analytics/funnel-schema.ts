import { z } from 'zod';
import { BREAKDOWNS } from './funnel-types.ts';

const nn = z.number().nullable();
export const funnelKpisSchema = z.object({
  deals_created: z.number().int(),
  deals_won: z.number().int(),
  deals_lost: z.number().int(),
  won_amount: z.number().describe('Major units'),
  win_rate: nn.describe('deals_won / (deals_won + deals_lost)'),
  cohort_win_rate: nn,
  avg_won_amount: nn,
  cycle_days: z.object({ mean: nn, median: nn, p90: nn }),
  stage_conversion: z.array(
    z.object({ stage: z.string(), entered: z.number().int(), advanced: z.number().int(), lost: z.number().int(), rate: nn }),
  ),
  stage_duration_days: z.array(z.object({ stage: z.string(), n: z.number().int(), median: nn, p90: nn })),
  open_deals: z.number().int(),
  open_amount: z.number(),
  stage_win_probability: z.array(z.object({ stage: z.string(), won: z.number().int(), closed: z.number().int(), raw: nn, p: nn })),
  weighted_pipeline: nn,
  velocity_per_day: nn,
  stuck_deals: z.number().int(),
});

export const reportMetaSchema = z.object({
  report: z.literal('funnel'),
  workspace: z.string(),
  pipeline: z.object({ id: z.number().int(), name: z.string() }),
  period: z.object({ from: z.string(), to: z.string() }),
  as_of: z.string(),
  as_of_capped: z.boolean(),
  time_zone: z.string(),
  currency: z.string(),
  filters: z.object({
    segment: z.string().nullable(),
    owner: z.string().nullable(),
    channel: z.string().nullable(),
    region: z.string().nullable(),
    team: z.string().nullable(),
  }),
  by: z.enum(BREAKDOWNS).nullable(),
});

export const funnelReportSchema = z.union([
  reportMetaSchema.extend(funnelKpisSchema.shape),
  reportMetaSchema.extend({
    groups: z.array(funnelKpisSchema.extend({ key: z.string().nullable(), key_id: z.number().int().nullable().optional() })),
    total: funnelKpisSchema,
  }),
]);
