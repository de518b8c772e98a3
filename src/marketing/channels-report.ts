import sql, { empty, join, type Sql } from 'sql-template-tag';
import { z } from 'zod';
import { type FunnelQuery, funnelParamsSchema } from '../analytics/funnel-query.ts';
import { reportMetaSchema } from '../analytics/funnel-schema.ts';
import { metricSets, where } from '../analytics/funnel-visits.ts';
import type { Queryable } from '../platform/db/types.ts';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { minorFactor, toMajor } from '../platform/money.ts';
import { currentIcp, hasRules } from './icp.ts';

/**
 * The `channels` report of kpi.md ("Marketing ↔ sales"): per lead channel and for the total — leads,
 * opportunities, won deals and their amount, spend and what a lead, an opportunity and a won deal
 * cost, the ICP share — and, in the total, the won amount credited to channels by four attribution
 * models. Deals are those of the request's pipeline (default: the first), as in the funnel report,
 * so that every model adds up to the funnel's `won_amount` for the same request.
 */

export const ATTRIBUTION_MODELS = ['first_touch', 'last_touch', 'linear', 'position_based'] as const;
export type AttributionModel = (typeof ATTRIBUTION_MODELS)[number];

/** The key a deal's own channel is credited under when it has none. */
export const NO_CHANNEL = 'none';

export const channelsParamsSchema = funnelParamsSchema.pick({ from: true, to: true, as_of: true, pipeline: true, lang: true });
export type ChannelsParams = z.infer<typeof channelsParamsSchema>;

const money = z.number().describe('Major units of the workspace currency');
const rate = z.number().nullable();

/** One group's (or the total's) figures, keys exactly as kpi.md names them. */
export const channelKpisSchema = z.object({
  leads: z.number().int().describe('Leads created in the period (before as-of)'),
  opportunities: z.number().int().describe('Of those leads, the ones whose deal was created before as-of'),
  lead_to_opportunity: rate.describe('opportunities / leads'),
  won: z.number().int().describe('Of those leads’ deals, the ones won at as-of (each deal once)'),
  won_amount: money.describe('Their amount, each deal once'),
  spend: money.nullable().describe('Spend of the months that begin in the period; null for a caller who sees only their own leads'),
  cost_per_lead: money.nullable(),
  cost_per_opportunity: money.nullable(),
  cost_per_won: money.nullable(),
  icp_share: rate.describe('Share of the period’s leads whose fit score is at least the ICP threshold; null without ICP rules'),
});
export type ChannelKpis = z.infer<typeof channelKpisSchema>;

export const channelGroupSchema = channelKpisSchema.extend({
  key: z.string().nullable().describe('The channel’s name; null: leads without a channel'),
  key_id: z.number().int().nullable(),
  kind: z.enum(['inbound', 'outbound', 'partner', 'other']).nullable(),
});

export const attributionSchema = z
  .object(
    Object.fromEntries(ATTRIBUTION_MODELS.map((m) => [m, z.record(z.string(), money)])) as Record<
      AttributionModel,
      z.ZodRecord<z.ZodString, typeof money>
    >,
  )
  .describe('{model: {channel: amount}}: the won amount of the period’s won deals credited to the channels of their touches');

export const channelsReportSchema = z.object({
  report: z.literal('channels'),
  // The funnel report's meta (workspace, pipeline, period, as-of, zone, currency), without its filters and breakdown.
  ...reportMetaSchema.omit({ report: true, filters: true, by: true }).shape,
  icp: z.object({ version: z.number().int(), threshold: z.number() }).nullable().describe('The ICP rules in force; null: none'),
  scope: z.enum(['all', 'own']).describe('own: a manager’s or team lead’s own (team’s) leads and deals only'),
  groups: z.array(channelGroupSchema),
  total: channelKpisSchema.extend({ attribution: attributionSchema }),
});
export type ChannelsReport = z.infer<typeof channelsReportSchema>;

/** `attribution: false`: the figures only (the months of channelsByMonth need no credits). */
export interface ChannelsReportOptions {
  attribution?: boolean;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

interface GroupRow {
  channel_id: number | null;
  leads: number;
  opportunities: number;
  fit: number;
  won: number;
  won_minor: number;
  spend_minor: number;
}

/** The period's leads the caller sees (alias `l`): created in [from, min(to, as-of)). */
export function periodLeadsWhere(q: FunnelQuery): Sql {
  const end = new Date(Math.min(q.to.getTime(), q.asOf.getTime()));
  return sql`l.workspace_id = ${q.workspaceId} and l.created_at >= ${q.from} and l.created_at < ${end}
    ${q.ownerScope ? sql`and l.owner_id = any(${q.ownerScope}::int8[])` : empty}`;
}

/** The deals of the leads: created before as-of (an opportunity) and their status and amount at as-of. */
export function leadDealsSql(q: FunnelQuery): Sql {
  return sql`
    select l.id as lead_id, l.channel_id, l.fit_score, l.deal_id,
           (c.deal_id is not null) as opportunity, (s.stage_kind = 'won') as won, s.amount_minor
      from leads l
      left join stage_visits c on c.workspace_id = l.workspace_id and c.deal_id = l.deal_id and c.visit_no = 1
            and c.pipeline_id = ${q.pipeline.id} and c.entered_at < ${q.asOf}
      left join stage_visits s
             on s.workspace_id = l.workspace_id and s.deal_id = c.deal_id and s.entered_at < ${q.asOf}
            and ${q.live ? sql`s.exited_at is null` : sql`(s.exited_at is null or s.exited_at >= ${q.asOf})`}
     where ${periodLeadsWhere(q)}`;
}

export async function channelsReport(tx: Queryable, q: FunnelQuery, opts: ChannelsReportOptions = {}): Promise<ChannelsReport> {
  const ws = q.workspaceId;
  const icp = await currentIcp(tx, ws);
  const threshold = hasRules(icp) ? icp.rules.threshold : null;
  const [wz] = await tx.query<{ timezone: string }>(sql`select timezone from workspaces where workspace_id = ${ws}`);
  const scoped = q.ownerScope !== undefined;

  // As the funnel report: hashes and sorts of a year of leads stay in memory (the default 4 MB spilled
  // them to disk), and JIT compilation cost more than it saved on these statements (0.03–0.4 s).
  await tx.exec(tx.engine === 'pglite' ? `set local work_mem = '32MB'` : `set local work_mem = '256MB'; set local jit = off`);

  // Per channel: the period's leads, their opportunities and fit; won deals once per channel. The
  // total's won deals (each once, whichever channels its leads came from) in the same statement,
  // from the same rows, on every row. The leads are first counted per (channel, deal) — a deal's
  // won and amount are the same on each of its leads — in a subquery read once, which PostgreSQL
  // may run in parallel (a CTE read three times is materialized, and then runs on one core); the
  // ~100,000 groups of a year of a million leads are then summed per channel and, per deal, for the total.
  const rows = await tx.query<GroupRow & { total_won: number; total_won_minor: number }>(sql`
    with x as (
      select ld.channel_id, ld.deal_id, count(*)::int8 as leads, count(*) filter (where ld.opportunity)::int8 as opportunities,
             count(*) filter (where ld.fit_score >= ${threshold ?? 0})::int8 as fit, bool_or(ld.won) as won,
             max(ld.amount_minor) as amount_minor
        from (${leadDealsSql(q)}) ld
       group by ld.channel_id, ld.deal_id),
    per as (
      select channel_id, sum(leads)::int8 as leads, sum(opportunities)::int8 as opportunities, sum(fit)::int8 as fit,
             count(*) filter (where won)::int8 as won, coalesce(sum(amount_minor) filter (where won), 0)::int8 as won_minor
        from x group by channel_id),
    tot as (
      select count(*)::int8 as won, coalesce(sum(amount_minor), 0)::int8 as won_minor
        from (select distinct deal_id, amount_minor from x where won) d),
    spend as (
      select channel_id, sum(amount_minor)::int8 as spend_minor from marketing_spend
       where workspace_id = ${ws} and (month::timestamp at time zone ${wz.timezone}) >= ${q.from}
         and (month::timestamp at time zone ${wz.timezone}) < ${q.to}
       group by channel_id),
    keys as (select channel_id from per union select channel_id from spend)
    select k.channel_id, coalesce(per.leads, 0) as leads, coalesce(per.opportunities, 0) as opportunities, coalesce(per.fit, 0) as fit,
           coalesce(per.won, 0) as won, coalesce(per.won_minor, 0) as won_minor, coalesce(spend.spend_minor, 0) as spend_minor,
           tot.won as total_won, tot.won_minor as total_won_minor
      from keys k
      cross join tot
      left join per on per.channel_id is not distinct from k.channel_id
      left join spend on spend.channel_id is not distinct from k.channel_id`);
  // No row: no lead in the period (and no spend), so no won deal either.
  const tot = { won: Number(rows[0]?.total_won ?? 0), won_minor: Number(rows[0]?.total_won_minor ?? 0) };
  const attribution =
    opts.attribution === false
      ? { byId: Object.fromEntries(ATTRIBUTION_MODELS.map((m) => [m, {}])) as Record<AttributionModel, Record<string, number>> }
      : await attributionOf(tx, q);
  const credited = new Set(ATTRIBUTION_MODELS.flatMap((m) => Object.keys(attribution.byId[m])));

  const channels = await tx.query<{ id: number; name: string; kind: ChannelGroup['kind'] }>(
    sql`select id, name, kind from channels where workspace_id = ${ws}`,
  );
  const byId = new Map(channels.map((c) => [Number(c.id), c]));
  const m = (minor: number) => toMajor(Number(minor), q.currency);
  const figures = (r: Omit<GroupRow, 'channel_id'>): ChannelKpis => {
    const spend = scoped ? null : m(r.spend_minor);
    const per = (n: number) => (spend === null || n === 0 ? null : spend / n);
    return {
      leads: Number(r.leads),
      opportunities: Number(r.opportunities),
      lead_to_opportunity: ratio(Number(r.opportunities), Number(r.leads)),
      won: Number(r.won),
      won_amount: m(r.won_minor),
      spend,
      cost_per_lead: per(Number(r.leads)),
      cost_per_opportunity: per(Number(r.opportunities)),
      cost_per_won: per(Number(r.won)),
      icp_share: threshold === null ? null : ratio(Number(r.fit), Number(r.leads)),
    };
  };
  const groups: ChannelGroup[] = rows
    .filter((r) => !scoped || Number(r.leads) > 0 || Number(r.won) > 0 || (r.channel_id !== null && credited.has(String(r.channel_id))))
    .map((r) => {
      const c = r.channel_id === null ? null : byId.get(Number(r.channel_id));
      return { key: c?.name ?? null, key_id: c ? Number(c.id) : null, kind: c?.kind ?? null, ...figures(r) };
    });
  // A channel credited by attribution but with no lead or spend in the period still gets its row.
  for (const id of credited) {
    if (id === NO_CHANNEL || groups.some((g) => String(g.key_id) === id)) continue;
    const c = byId.get(Number(id));
    if (c)
      groups.push({
        key: c.name,
        key_id: Number(c.id),
        kind: c.kind,
        ...figures({ leads: 0, opportunities: 0, fit: 0, won: 0, won_minor: 0, spend_minor: 0 }),
      });
  }
  groups.sort((a, b) => b.leads - a.leads || b.won_amount - a.won_amount || (a.key ?? '').localeCompare(b.key ?? ''));
  const sum = (k: keyof GroupRow) => rows.reduce((s, r) => s + Number(r[k]), 0);
  const total = figures({
    leads: sum('leads'),
    opportunities: sum('opportunities'),
    fit: sum('fit'),
    won: Number(tot.won),
    won_minor: Number(tot.won_minor),
    // Every channel with spend in the period has its row (keys): the rows' spend is the period's.
    spend_minor: sum('spend_minor'),
  });
  const named = (model: AttributionModel) =>
    Object.fromEntries(
      Object.entries(attribution.byId[model])
        .map(
          ([id, minor]) => [id === NO_CHANNEL ? NO_CHANNEL : (byId.get(Number(id))?.name ?? id), minor / minorFactor(q.currency)] as const,
        )
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    );
  return {
    report: 'channels',
    workspace: q.workspace,
    pipeline: q.pipeline,
    period: { from: q.from.toISOString(), to: q.to.toISOString() },
    as_of: q.asOf.toISOString(),
    as_of_capped: q.asOf.getTime() !== q.asOfRequested.getTime(),
    time_zone: q.timeZone,
    currency: q.currency,
    icp: hasRules(icp) ? { version: icp.version, threshold: icp.rules.threshold } : null,
    scope: scoped ? 'own' : 'all',
    groups,
    total: {
      ...total,
      attribution: Object.fromEntries(ATTRIBUTION_MODELS.map((mdl) => [mdl, named(mdl)])) as ChannelsReport['total']['attribution'],
    },
  };
}
type ChannelGroup = z.infer<typeof channelGroupSchema>;

/**
 * Attribution (kpi.md): for each deal won in the period — the funnel's `deals_won`, the same visit
 * set — the touches of its leads before its closing, or its own channel at its creation; its amount
 * credited by each model. Credits are in minor units as fractions (1/3 of a kopeck stays 1/3).
 *
 * One statement, each relation read once (so PostgreSQL may run it in parallel): the closing visits
 * of the won deals, each left-joined to the touches of its leads as one join, so that a deal without
 * such a touch keeps one row — its own channel (the visit's copy of the deal's) at its creation;
 * each deal's rows numbered (k of n, ordered as kpi.md orders them) and the credits summed per
 * channel, so only a row per channel leaves the database, not one per touch (350,000 for a year of
 * a million leads). A model's weights (`first_touch`: 1 to k = 1; `last_touch`: 1 to
 * k = n; `linear`: 1/n each; `position_based`: all for n = 1, half each for n = 2, else 0.4 to the
 * first and the last and 0.2 shared by the n − 2 between) are double precision, as are the sums.
 * A channel is credited under a model when one of its touches has a weight there (`*_n`).
 */
export async function attributionOf(tx: Queryable, q: FunnelQuery): Promise<{ byId: Record<AttributionModel, Record<string, number>> }> {
  const sets = metricSets(q);
  const won = { from: sets.closing.from, where: [...sets.closing.where, sql`v.stage_kind = 'won'`] };
  const w = where(q, [...won.where, ...(q.ownerScope ? [sql`v.owner_id = any(${q.ownerScope}::int8[])`] : [])]);
  const rows = await tx.query<{
    channel_id: number | null;
    first_n: number;
    first_touch: number;
    last_n: number;
    last_touch: number;
    linear: number;
    position_based: number;
  }>(sql`
    with seq as (
      select a.channel_id, a.amount_minor,
             row_number() over (partition by a.deal_id order by a.at, ch.name, a.channel_id) as k,
             count(*) over (partition by a.deal_id) as n
        from (select v.deal_id, v.amount_minor, coalesce(t.channel_id, v.channel_id) as channel_id, coalesce(t.at, v.created_at) as at
                from ${won.from}
                left join (leads l join touches t on t.workspace_id = l.workspace_id and t.lead_id = l.id)
                       on l.workspace_id = ${q.workspaceId} and l.deal_id = v.deal_id and l.created_at < ${q.asOf} and t.at < v.entered_at
               where ${w}) a
        -- The names order touches at one instant: joined once to the ten-odd channels (a hash), not per touch.
        left join channels ch on ch.workspace_id = ${q.workspaceId} and ch.id = a.channel_id)
    select channel_id,
           count(*) filter (where k = 1) as first_n, coalesce(sum(amount_minor) filter (where k = 1), 0)::float8 as first_touch,
           count(*) filter (where k = n) as last_n, coalesce(sum(amount_minor) filter (where k = n), 0)::float8 as last_touch,
           sum(amount_minor * (1::float8 / n)) as linear,
           sum(amount_minor * case when n = 1 then 1::float8 when n = 2 then 0.5::float8
                                   when k = 1 or k = n then 0.4::float8 else 0.2::float8 / (n - 2) end) as position_based
      from seq group by channel_id`);
  const byId = Object.fromEntries(ATTRIBUTION_MODELS.map((m) => [m, {} as Record<string, number>])) as Record<
    AttributionModel,
    Record<string, number>
  >;
  for (const r of rows) {
    const key = r.channel_id === null ? NO_CHANNEL : String(r.channel_id);
    if (Number(r.first_n) > 0) byId.first_touch[key] = Number(r.first_touch);
    if (Number(r.last_n) > 0) byId.last_touch[key] = Number(r.last_touch);
    byId.linear[key] = Number(r.linear);
    byId.position_based[key] = Number(r.position_based);
  }
  return { byId };
}

export const CHANNEL_LEAD_METRICS = ['leads', 'opportunities', 'won', 'icp_fit'] as const;
export type ChannelLeadMetric = (typeof CHANNEL_LEAD_METRICS)[number];

export const channelLeadItem = z.object({
  lead_id: z.number().int(),
  title: z.string(),
  channel: z.string().nullable(),
  created_at: z.string(),
  status: z.string(),
  fit_score: z.number().int().nullable(),
  owner: z.string().nullable(),
  deal_id: z.number().int().nullable(),
  deal_title: z.string().nullable(),
  won: z.boolean().describe('Its deal is won at as-of'),
  amount: z.number().nullable().describe('Its deal’s amount at as-of, major units'),
});

/**
 * The leads behind a figure of the channels report — the same rows the report counts
 * (leadDealsSql): all the period's leads, those with an opportunity, those whose deal is won, or
 * those that fit the ICP; of one channel (`channelId`; null: leads without one) or of all.
 */
export async function channelLeads(
  tx: Queryable,
  q: FunnelQuery,
  opts: { channelId?: number | null; metric: ChannelLeadMetric; limit: number; offset: number },
): Promise<{
  metric: ChannelLeadMetric;
  total: number;
  deals: number;
  amount: number;
  items: z.infer<typeof channelLeadItem>[];
  next_offset: number | null;
}> {
  const icp = await currentIcp(tx, q.workspaceId);
  const threshold = hasRules(icp) ? icp.rules.threshold : null;
  const cond: Sql[] = [];
  if (opts.channelId !== undefined)
    cond.push(opts.channelId === null ? sql`ld.channel_id is null` : sql`ld.channel_id = ${opts.channelId}`);
  if (opts.metric === 'opportunities') cond.push(sql`ld.opportunity`);
  if (opts.metric === 'won') cond.push(sql`ld.won`);
  if (opts.metric === 'icp_fit') cond.push(threshold === null ? sql`false` : sql`ld.fit_score >= ${threshold}`);
  const w = cond.length ? sql`where ${join(cond, ' and ')}` : empty;
  const [agg] = await tx.query<{ n: number; deals: number; amount: number }>(sql`
    with ld as (${leadDealsSql(q)})
    select count(*)::int8 as n, (select count(*) from (select distinct deal_id from ld ${w} ${cond.length ? sql`and` : sql`where`} ld.won) x)::int8 as deals,
           (select coalesce(sum(amount_minor), 0) from (select distinct deal_id, amount_minor from ld ${w} ${cond.length ? sql`and` : sql`where`} ld.won) y)::int8 as amount
      from ld ${w}`);
  const rows = await tx.query<Record<string, unknown>>(sql`
    with ld as (${leadDealsSql(q)})
    select l.id, l.title, c.name as channel, l.created_at, l.status, l.fit_score, u.name as owner,
           case when ld.opportunity then ld.deal_id end as deal_id, d.title as deal_title, coalesce(ld.won, false) as won, ld.amount_minor
      from ld join leads l on l.workspace_id = ${q.workspaceId} and l.id = ld.lead_id
      left join channels c on c.workspace_id = l.workspace_id and c.id = l.channel_id
      left join users u on u.workspace_id = l.workspace_id and u.id = l.owner_id
      left join deals d on d.workspace_id = l.workspace_id and d.id = ld.deal_id and ld.opportunity
      ${w}
     order by l.created_at desc, l.id desc
     limit ${opts.limit} offset ${opts.offset}`);
  const items = rows.map((r) => ({
    lead_id: Number(r.id),
    title: r.title as string,
    channel: (r.channel as string | null) ?? null,
    created_at: (r.created_at as Date).toISOString(),
    status: r.status as string,
    fit_score: (r.fit_score as number | null) ?? null,
    owner: (r.owner as string | null) ?? null,
    deal_id: r.deal_id === null ? null : Number(r.deal_id),
    deal_title: (r.deal_title as string | null) ?? null,
    won: r.won === true,
    amount:
      r.amount_minor === null || r.amount_minor === undefined || r.deal_id === null ? null : toMajor(Number(r.amount_minor), q.currency),
  }));
  const total = Number(agg.n);
  return {
    metric: opts.metric,
    total,
    deals: Number(agg.deals),
    amount: toMajor(Number(agg.amount), q.currency),
    items,
    next_offset: opts.offset + items.length < total ? opts.offset + items.length : null,
  };
}

export const channelMonthSchema = z.object({
  month: z.string().describe('YYYY-MM (workspace time zone)'),
  leads: z.number().int(),
  opportunities: z.number().int(),
  won: z.number().int(),
  won_amount: money,
  spend: money.nullable(),
  cost_per_opportunity: money.nullable(),
  icp_share: rate,
});

/** The total of the report for each calendar month of the period (clipped to it), with the same as-of. */
export async function channelsByMonth(tx: Queryable, q: FunnelQuery): Promise<z.infer<typeof channelMonthSchema>[]> {
  const [w] = await tx.query<{ timezone: string }>(sql`select timezone from workspaces where workspace_id = ${q.workspaceId}`);
  const months = await tx.query<{ start: Date; key: string }>(sql`
    select m as start, to_char(m at time zone ${w.timezone}, 'YYYY-MM') as key
      from generate_series(date_trunc('month', ${q.from}::timestamptz, ${w.timezone}), ${q.to}::timestamptz - interval '1 microsecond',
                           interval '1 month') m`);
  if (months.length > 36)
    throw validationError([
      fieldIssue(
        'from',
        `${months.length} months: choose a period of at most 36`,
        `${months.length} мес.: выберите период не длиннее 36 месяцев`,
      ),
    ]);
  const out: z.infer<typeof channelMonthSchema>[] = [];
  for (const [i, m] of months.entries()) {
    const start = new Date(Math.max(m.start.getTime(), q.from.getTime()));
    const next = months[i + 1]?.start ?? q.to;
    const r = await channelsReport(
      tx,
      { ...q, from: start, to: new Date(Math.min(next.getTime(), q.to.getTime())) },
      { attribution: false },
    );
    out.push({
      month: m.key,
      leads: r.total.leads,
      opportunities: r.total.opportunities,
      won: r.total.won,
      won_amount: r.total.won_amount,
      spend: r.total.spend,
      cost_per_opportunity: r.total.cost_per_opportunity,
      icp_share: r.total.icp_share,
    });
  }
  return out;
}

export const segmentKindSchema = z.object({
  segment: z.string().nullable().describe('The segment of the lead’s deal; null: no deal (yet) or no segment'),
  kind: z.enum(['inbound', 'outbound', 'partner', 'other']).nullable().describe('The lead channel’s kind; null: no channel'),
  leads: z.number().int(),
  opportunities: z.number().int(),
  won: z.number().int(),
  won_amount: money,
});

/** Inbound vs outbound (the channel's kind) by the segment of the lead's deal: the period's leads as the report counts them. */
export async function channelKindsBySegment(tx: Queryable, q: FunnelQuery): Promise<z.infer<typeof segmentKindSchema>[]> {
  const rows = await tx.query<{
    segment: string | null;
    kind: string | null;
    leads: number;
    opportunities: number;
    won: number;
    won_minor: number;
  }>(sql`
    with ld as (${leadDealsSql(q)}),
    x as (
      select ld.*, sg.name as segment, ch.kind
        from ld
        left join channels ch on ch.workspace_id = ${q.workspaceId} and ch.id = ld.channel_id
        left join deals d on d.workspace_id = ${q.workspaceId} and d.id = ld.deal_id and ld.opportunity
        left join segments sg on sg.workspace_id = ${q.workspaceId} and sg.id = d.segment_id),
    per as (select segment, kind, count(*)::int8 as leads, count(*) filter (where opportunity)::int8 as opportunities from x group by segment, kind),
    wd as (select segment, kind, count(*)::int8 as won, coalesce(sum(amount_minor), 0)::int8 as won_minor
             from (select distinct segment, kind, deal_id, amount_minor from x where won) d group by segment, kind)
    select per.segment, per.kind, per.leads, per.opportunities, coalesce(wd.won, 0) as won, coalesce(wd.won_minor, 0) as won_minor
      from per left join wd on wd.segment is not distinct from per.segment and wd.kind is not distinct from per.kind
     order by per.segment nulls last, per.kind nulls last`);
  return rows.map((r) => ({
    segment: r.segment,
    kind: r.kind as z.infer<typeof segmentKindSchema>['kind'],
    leads: Number(r.leads),
    opportunities: Number(r.opportunities),
    won: Number(r.won),
    won_amount: toMajor(Number(r.won_minor), q.currency),
  }));
}
