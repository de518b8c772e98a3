import { DateTime } from 'luxon';
import sql, { raw, type Sql } from 'sql-template-tag';
import { z } from 'zod';
import type { Queryable } from '../platform/db/types.ts';
import { AppError, type FieldIssue, fieldIssue, validationError } from '../platform/errors.ts';
import { asOfCheckpoint } from './asof-source.ts';

import { BREAKDOWNS, type Breakdown, FILTERS, type FilterKey } from './report-keys.ts';

export { BREAKDOWNS, type Breakdown, FILTERS, type FilterKey };

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

/** The report parameters as they arrive (query string, CLI flags): all text. */
export const funnelParamsSchema = z.strictObject({
  from: z
    .string()
    .min(1)
    .max(64)
    .describe('Period start, inclusive: YYYY-MM-DD (midnight in the workspace time zone) or ISO 8601 with offset'),
  to: z.string().min(1).max(64).describe('Period end, exclusive: YYYY-MM-DD or ISO 8601 with offset'),
  as_of: z.string().min(1).max(64).optional().describe('Report as it would have looked at this instant (default: `to`, capped at now)'),
  segment: z.string().max(200).optional().describe('Segment name or id; `none` for deals without one'),
  owner: z.string().max(320).optional().describe('Owner name, e-mail or id; `none` for deals without one'),
  channel: z.string().max(200).optional().describe('Lead channel name or id; `none` for deals without one'),
  region: z.string().max(200).optional().describe('Region; `none` for deals without one'),
  team: z.string().max(200).optional().describe("Owner's team; `none` for owners without one"),
  by: z.enum(BREAKDOWNS).optional().describe('Break the report down into groups'),
  pipeline: z.string().max(200).optional().describe('Pipeline name or id (default: the first one)'),
  lang: z.enum(['ru', 'en']).optional(),
});
export type FunnelParams = z.infer<typeof funnelParamsSchema>;

/** `YYYY-MM-DD` → midnight in the zone; ISO 8601 must carry its offset (no silent guess). */
export function parseReportInstant(raw: string, zone: string, field: string): Date {
  const s = raw.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const d = DateTime.fromISO(s, { zone });
    if (d.isValid) return d.startOf('day').toJSDate();
  } else if (/[zZ]$|[+-]\d{2}(:?\d{2})?$/.test(s)) {
    const d = DateTime.fromISO(s, { setZone: true });
    if (d.isValid) return d.toJSDate();
  }
  throw validationError([
    fieldIssue(
      field,
      `"${raw}" is not a date: use YYYY-MM-DD (midnight in ${zone}) or an ISO 8601 timestamp with offset such as 2025-01-01T00:00:00+03:00`,
      `«${raw}» — не дата: используйте ГГГГ-ММ-ДД (полночь по ${zone}) или ISO 8601 со смещением, например 2025-01-01T00:00:00+03:00`,
    ),
  ]);
}

const NONE = 'none';

async function resolveNamed(
  tx: Queryable,
  ws: number,
  key: FilterKey,
  table: 'segments' | 'channels',
  input: string,
): Promise<ResolvedFilter> {
  if (input.trim().toLowerCase() === NONE) return { value: null, label: null };
  const rows = await tx.query<{ id: number; name: string }>(
    sql`select id, name from ${raw(table)} where workspace_id = ${ws} and (lower(name) = lower(${input.trim()}) or id::text = ${input.trim()}) order by id limit 1`,
  );
  if (rows.length === 0)
    throw unknownValue(
      key,
      input,
      (await tx.query<{ name: string }>(sql`select name from ${raw(table)} where workspace_id = ${ws} order by name`)).map((r) => r.name),
    );
  return { value: rows[0].id, label: rows[0].name };
}

function unknownValue(key: string, raw: string, known: (string | null)[]): AppError {
  const list = known.filter((k): k is string => k !== null).slice(0, 20);
  return validationError([
    fieldIssue(
      key,
      `no ${key} "${raw}" in this workspace${list.length ? ` (known: ${list.join(', ')})` : ''}`,
      `в пространстве нет значения «${raw}» для ${key}${list.length ? ` (есть: ${list.join(', ')})` : ''}`,
      'not_found',
    ),
  ]);
}

async function resolveFilter(tx: Queryable, ws: number, key: FilterKey, raw: string): Promise<ResolvedFilter> {
  const v = raw.trim();
  switch (key) {
    case 'segment':
      return resolveNamed(tx, ws, key, 'segments', v);
    case 'channel':
      return resolveNamed(tx, ws, key, 'channels', v);
    case 'owner': {
      if (v.toLowerCase() === NONE) return { value: null, label: null };
      const rows = await tx.query<{ id: number; name: string }>(
        sql`select id, name from users where workspace_id = ${ws}
             and (lower(name) = lower(${v}) or lower(email) = lower(${v}) or id::text = ${v}) order by id limit 1`,
      );
      if (rows.length === 0)
        throw unknownValue(
          key,
          raw,
          (await tx.query<{ name: string }>(sql`select name from users where workspace_id = ${ws} order by name`)).map((r) => r.name),
        );
      return { value: rows[0].id, label: rows[0].name };
    }
    case 'region': {
      if (v.toLowerCase() === NONE) return { value: null, label: null };
      const rows = await tx.query<{ region: string }>(
        sql`select distinct region from deals where workspace_id = ${ws} and lower(region) = lower(${v}) limit 1`,
      );
      if (rows.length === 0)
        throw unknownValue(
          key,
          raw,
          (
            await tx.query<{ region: string }>(
              sql`select distinct region from deals where workspace_id = ${ws} and region is not null order by 1`,
            )
          ).map((r) => r.region),
        );
      return { value: rows[0].region, label: rows[0].region };
    }
    case 'team': {
      if (v.toLowerCase() === NONE) return { value: null, label: null };
      const rows = await tx.query<{ team: string }>(
        sql`select distinct team from users where workspace_id = ${ws} and lower(team) = lower(${v}) limit 1`,
      );
      if (rows.length === 0)
        throw unknownValue(
          key,
          raw,
          (
            await tx.query<{ team: string }>(
              sql`select distinct team from users where workspace_id = ${ws} and team is not null order by 1`,
            )
          ).map((r) => r.team),
        );
      return { value: rows[0].team, label: rows[0].team };
    }
  }
}

/**
 * Turns raw parameters into a validated query object before any report SQL is
 * built: dates resolved in the workspace time zone, names resolved to ids, the
 * as-of capped at now. Every problem names its parameter.
 */
export async function resolveFunnelQuery(
  tx: Queryable,
  ws: number,
  params: FunnelParams,
  now: Date,
  /** The caller's zone (platform/time-zone.ts: their own setting, else the workspace's); default the workspace's. */
  timeZone?: string,
): Promise<FunnelQuery> {
  const [w] = await tx.query<{ name: string; timezone: string; currency: string }>(
    sql`select name, timezone, currency from workspaces where workspace_id = ${ws}`,
  );
  const zone = timeZone ?? w.timezone;
  const issues: FieldIssue[] = [];
  const tryParse = (raw: string | undefined, field: string): Date | undefined => {
    if (raw === undefined) return undefined;
    try {
      return parseReportInstant(raw, zone, field);
    } catch (e) {
      if (e instanceof AppError) issues.push(...(e.details.fields ?? []));
      return undefined;
    }
  };
  const from = tryParse(params.from, 'from');
  const to = tryParse(params.to, 'to');
  const asOfRaw = tryParse(params.as_of, 'as_of');
  if (from && to && from.getTime() >= to.getTime()) {
    issues.push(
      fieldIssue('to', '"to" must be after "from" (the period is [from, to))', '«to» должно быть позже «from» (период [from, to))'),
    );
  }
  if (issues.length) throw validationError(issues);

  const filters: Partial<Record<FilterKey, ResolvedFilter>> = {};
  for (const key of FILTERS) {
    const raw = params[key];
    if (raw !== undefined) filters[key] = await resolveFilter(tx, ws, key, raw);
  }
  if (params.by && params.by !== 'month' && filters[params.by as FilterKey]) {
    throw validationError([
      fieldIssue(
        'by',
        `cannot break down by ${params.by} while filtering by it`,
        `нельзя разбивать по ${params.by} и одновременно фильтровать по нему`,
      ),
    ]);
  }

  const pipelines = await tx.query<{ id: number; name: string }>(
    params.pipeline
      ? sql`select id, name from pipelines where workspace_id = ${ws} and (lower(name) = lower(${params.pipeline}) or id::text = ${params.pipeline}) order by id limit 1`
      : sql`select id, name from pipelines where workspace_id = ${ws} and not archived order by position, id limit 1`,
  );
  if (pipelines.length === 0) {
    throw validationError([
      params.pipeline
        ? fieldIssue('pipeline', `no pipeline "${params.pipeline}" in this workspace`, `нет воронки «${params.pipeline}»`, 'not_found')
        : fieldIssue('pipeline', 'the workspace has no pipeline yet', 'в пространстве ещё нет воронки', 'not_found'),
    ]);
  }
  const stages = await tx.query<FunnelStage>(
    sql`select id, name, kind, position from stages where workspace_id = ${ws} and pipeline_id = ${pipelines[0].id} order by position`,
  );
  const requested = asOfRaw ?? (to as Date);
  const asOf = requested.getTime() > now.getTime() ? now : requested;
  const [later] = await tx.query<{ any: boolean }>(
    sql`select exists (select 1 from stage_visits where workspace_id = ${ws} and pipeline_id = ${pipelines[0].id} and entered_at >= ${asOf}) as any`,
  );
  return {
    workspaceId: ws,
    workspace: w.name,
    currency: w.currency,
    timeZone: zone,
    pipeline: pipelines[0],
    stages,
    from: from as Date,
    to: to as Date,
    asOf,
    asOfRequested: requested,
    live: !later.any,
    checkpoint: await asOfCheckpoint(tx, ws, pipelines[0].id, asOf, !later.any),
    filters,
    by: (params.by as Breakdown | undefined) ?? null,
  };
}

/**
 * What one report request may ask, so that no request can hold the server: the period's
 * length, the months of a monthly breakdown, the groups of any other breakdown. A larger
 * request is refused before any report SQL runs, with the limit in the message.
 */
export const REPORT_LIMITS = { periodYears: 50, months: 120, groups: 500 } as const;

/**
 * The group a row falls in for a breakdown other than by month, over a table `alias` that carries
 * the deal's attributes (`deals`, or `stage_visits`, which copies them): one definition for the
 * report's grouping and for counting its groups in advance.
 */
export function dimensionSql(by: Exclude<Breakdown, 'month'>, alias: 'd' | 'v'): Sql {
  switch (by) {
    case 'owner':
      return raw(`${alias}.owner_id::text`);
    case 'segment':
      return raw(`${alias}.segment_id::text`);
    case 'channel':
      return raw(`${alias}.channel_id::text`);
    case 'region':
      return raw(`${alias}.region`);
    case 'team':
      return raw(`(select u.team from users u where u.workspace_id = ${alias}.workspace_id and u.id = ${alias}.owner_id)`);
  }
}

export async function checkReportSize(tx: Queryable, q: FunnelQuery, by: string | null): Promise<void> {
  const start = DateTime.fromJSDate(q.from, { zone: q.timeZone });
  if (DateTime.fromJSDate(q.to, { zone: q.timeZone }) > start.plus({ years: REPORT_LIMITS.periodYears })) {
    throw validationError([
      fieldIssue(
        'to',
        `the period may span at most ${REPORT_LIMITS.periodYears} years`,
        `период может охватывать не более ${REPORT_LIMITS.periodYears} лет`,
        'too_big',
      ),
    ]);
  }
  if (by === 'month') {
    const months = monthsOf(q).length;
    if (months > REPORT_LIMITS.months)
      throw validationError([
        fieldIssue(
          'by',
          `a monthly breakdown covers at most ${REPORT_LIMITS.months} months; this period has ${months}: shorten the period`,
          `помесячная разбивка охватывает не более ${REPORT_LIMITS.months} месяцев, а в периоде ${months}: сократите период`,
          'too_big',
        ),
      ]);
    return;
  }
  if (!by || !(BREAKDOWNS as readonly string[]).includes(by)) return;
  const key = dimensionSql(by as Exclude<Breakdown, 'month'>, 'd');
  const [{ n }] = await tx.query<{ n: number }>(sql`
    select count(distinct ${key}) + (count(*) filter (where ${key} is null) > 0)::int as n
      from deals d where d.workspace_id = ${q.workspaceId} and d.pipeline_id = ${q.pipeline.id}`);
  if (Number(n) > REPORT_LIMITS.groups)
    throw validationError([
      fieldIssue(
        'by',
        `a breakdown by ${by} would give ${n} groups; the limit is ${REPORT_LIMITS.groups}: filter first`,
        `разбивка по ${by} дала бы ${n} групп при пределе ${REPORT_LIMITS.groups}: сначала отфильтруйте`,
        'too_big',
      ),
    ]);
}

/** The months a period touches, in the workspace zone: [start, end) clipped to the period. */
export function monthsOf(q: Pick<FunnelQuery, 'from' | 'to' | 'timeZone'>): { key: string; from: Date; to: Date }[] {
  const out: { key: string; from: Date; to: Date }[] = [];
  let m = DateTime.fromJSDate(q.from, { zone: q.timeZone }).startOf('month');
  while (m.toMillis() < q.to.getTime()) {
    const next = m.plus({ months: 1 });
    out.push({
      key: m.toFormat('yyyy-MM'),
      from: new Date(Math.max(m.toMillis(), q.from.getTime())),
      to: new Date(Math.min(next.toMillis(), q.to.getTime())),
    });
    m = next;
  }
  return out;
}
