import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { type FunnelParams, resolveFunnelQuery } from '../src/analytics/funnel-query.ts';
import type { FunnelQuery } from '../src/analytics/funnel-types.ts';
import { importBundle } from '../src/imports/bundle-import.ts';
import { ATTRIBUTION_MODELS, type ChannelsReport, channelsReport } from '../src/marketing/channels-report.ts';
import { saveIcpRules } from '../src/marketing/icp.ts';
import { withBulkLoad } from '../src/platform/db/bulk-load.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { openDb } from '../src/platform/db/open-db.ts';
import type { Db } from '../src/platform/db/types.ts';
import { inWorkspace, scopeTo } from '../src/platform/db/workspace-scope.ts';
import { END, generateBundle } from './generate-bundle.ts';
import { freshPgDatabase, median, printTable } from './support.ts';

/**
 * The `channels` report (kpi.md "Marketing ↔ sales", issue 18) on a PostgreSQL server at scale:
 * by default 1,000,000 leads, 3,000,000 touches and 200,000 deals with their stage history.
 *
 * Data. The deals are the funnel bench's deterministic histories (bench/generate-bundle.ts,
 * seed 42: ~7.4 stage entries per deal, won, lost and reopened deals over two years), imported
 * through the product's bundle import, so the deals' visits, counters and checkpoints are the
 * product's own. The marketing side is then written by set-based SQL (generate_series, one
 * statement per table) from a hash of the row number and a fixed seed — deterministic, no client
 * round trip per row: ten channels (the bundle's six and four more), the ICP rules (saved first,
 * so the database's trigger scores every lead as it is written), the leads — 1–3 per deal,
 * created days before it and converted into it, the rest unconverted over ~25 months, each with a
 * profile (industry, employees, region, company, campaign) — the touches (a fifth on converted
 * leads, the rest on any lead; before and after closings), and spend per channel and month.
 * Channels differ in volume, conversion and cost.
 *
 * Timing. Each variant (a year, live; a past year seen as of a later instant) is computed by
 * `channelsReport` — the function the API and the CLI call — in a workspace-scoped transaction
 * with the query resolved as they resolve it, and by one plain DuckDB statement over the same
 * rows exported from PostgreSQL (COPY to CSV, read into in-process DuckDB: that load is timed
 * separately and not in the ratio). DuckDB computes every figure of the report — per channel and
 * in total the leads, opportunities, won deals and amount, spend, the costs, the ICP share, and
 * the four attribution models — from the raw stage entries (a deal's creation and its status at
 * as-of are aggregates of its entries before as-of), not from Voronka's derived visits. Rounds are
 * interleaved: round 0 warms both up and is not counted, then every round runs each variant on
 * both in a rotating order; medians of the counted rounds. Figures are compared key by key.
 */

export interface ChannelsSizes {
  leads: number;
  touches: number;
  deals: number;
}

export const DEFAULT_SIZES: ChannelsSizes = { leads: 1_000_000, touches: 3_000_000, deals: 200_000 };

const SEED = 18;
const DAY_S = 86_400;
/** The leads reach about 25 months back from the end of the deals' history. */
const LEAD_DAYS = 760;

/**
 * Ten channels: the bundle's six (deals carry them) and four more; weights of the lead volume, of
 * the converted leads and of the touches; monthly spend in roubles per 100,000 leads; the touch's
 * kind; `fit`: how far its leads' industries lean to the ICP's (an exponent, 1: not at all).
 */
const CHANNELS: {
  name: string;
  kind: 'inbound' | 'outbound' | 'partner';
  leads: number;
  converted: number;
  touches: number;
  spend: number;
  touch: string;
  fit: number;
}[] = [
  { name: 'Контекст', kind: 'inbound', leads: 22, converted: 8, touches: 14, spend: 1_800_000, touch: 'ad_click', fit: 0.8 },
  { name: 'Сайт', kind: 'inbound', leads: 18, converted: 14, touches: 16, spend: 200_000, touch: 'form', fit: 1.1 },
  { name: 'SEO', kind: 'inbound', leads: 14, converted: 10, touches: 10, spend: 400_000, touch: 'visit', fit: 1.0 },
  { name: 'Соцсети', kind: 'inbound', leads: 12, converted: 5, touches: 10, spend: 700_000, touch: 'ad_click', fit: 0.6 },
  { name: 'E-mail', kind: 'outbound', leads: 9, converted: 8, touches: 22, spend: 150_000, touch: 'email', fit: 1.0 },
  { name: 'Холодные звонки', kind: 'outbound', leads: 9, converted: 8, touches: 8, spend: 600_000, touch: 'call', fit: 1.2 },
  { name: 'Вебинары', kind: 'inbound', leads: 6, converted: 11, touches: 10, spend: 250_000, touch: 'webinar', fit: 1.3 },
  { name: 'Выставки', kind: 'outbound', leads: 4, converted: 12, touches: 4, spend: 900_000, touch: 'event', fit: 1.5 },
  { name: 'Партнёры', kind: 'partner', leads: 3, converted: 12, touches: 3, spend: 300_000, touch: 'referral', fit: 1.7 },
  { name: 'Рекомендации', kind: 'partner', leads: 3, converted: 12, touches: 3, spend: 50_000, touch: 'referral', fit: 1.8 },
];
const INDUSTRIES = ['IT', 'Производство', 'Логистика', 'Финансы', 'Строительство', 'Медицина', 'Образование', 'Розница'];
const REGIONS = ['Москва', 'Санкт-Петербург', 'Екатеринбург', 'Новосибирск', 'Казань', 'Краснодар', 'Самара', 'Пермь'];
const ICP = {
  threshold: 50,
  rules: [
    { field: 'industry', in: ['IT', 'Производство', 'Логистика'], points: 30 },
    { field: 'employees', min: 50, max: 5000, points: 30 },
    { field: 'region', in: ['Москва', 'Санкт-Петербург'], points: 20 },
    { field: 'campaign', in: ['Кампания 1', 'Кампания 2', 'Кампания 3'], points: 10 },
    { field: 'industry', in: ['Розница'], points: -20 },
  ],
};

/** A request of the bench: the API's parameters. */
export const CHANNEL_VARIANTS: { name: string; params: FunnelParams }[] = [
  { name: 'year', params: { from: '2025-11-01', to: '2026-11-01' } },
  { name: 'year_2025_as_of_feb', params: { from: '2025-01-01', to: '2026-01-01', as_of: '2026-02-01' } },
];

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const arr = (xs: readonly string[]) => `array[${xs.map(lit).join(', ')}]::text[]`;

/** Uniform in [0, 1) from a row number and a stream number: the same on every run. */
const u = (i: string, k: number) =>
  `(((hashint8extended(${i}, ${SEED * 1000 + k}) >> 11) & 9007199254740991)::float8 / 9007199254740992.0)`;
/** Standard normal (Box–Muller) from two streams. */
const normal = (i: string, k: number) => `(sqrt(-2 * ln(1 - ${u(i, k)})) * cos(2 * pi() * ${u(i, k + 1)}))`;
/** An index 1…n drawn with the given weights. */
function weighted(i: string, k: number, weights: readonly number[]): string {
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  const cuts = weights.slice(0, -1).map((w) => {
    acc += w;
    return (acc / total).toFixed(6);
  });
  return `(width_bucket(${u(i, k)}, array[${cuts.join(', ')}]::float8[]) + 1)`;
}

export interface GeneratedChannels {
  workspaceId: number;
  sizes: ChannelsSizes;
  stageEntries: number;
  wonDeals: number;
  convertedLeads: number;
  spendRows: number;
  seconds: { deals_bundle_import: number; marketing_sql: number; analyze: number };
}

/** The deals through the bundle import, then the marketing rows by set-based SQL; counts what it wrote. */
export async function generateChannels(db: Db, sizes: ChannelsSizes, now: Date, log: (m: string) => void): Promise<GeneratedChannels> {
  const gen = await generateBundle(join('bench', 'data', `b${sizes.deals}`), sizes.deals);
  log(`importing ${sizes.deals} deals (${gen.entries} stage entries) through the bundle import…`);
  let t = performance.now();
  const rep = await importBundle(db, gen.dir, { workspace: 'Bench', now });
  const importSeconds = (performance.now() - t) / 1000;
  const [{ workspace_id: ws }] = await db.query<{ workspace_id: number }>(`select workspace_id from workspaces where name = 'Bench'`);

  t = performance.now();
  const endS = END.getTime() / 1000;
  const startS = endS - LEAD_DAYS * DAY_S;
  const chanNames = arr(CHANNELS.map((c) => c.name));
  const counts = await db.transaction(async (tx) => {
    await scopeTo(tx, ws);
    // The bundle's six channels get their kind; four more are created.
    for (const c of CHANNELS)
      await tx.query(
        `insert into channels (workspace_id, name, kind, created_at, updated_at) values ($1, $2, $3, $4, $4)
         on conflict (workspace_id, lower(name)) do update set kind = excluded.kind`,
        [ws, c.name, c.kind, now],
      );
    // Saved before the leads: the trigger scores every lead as it is written, as on every write path.
    await saveIcpRules(tx, ws, ICP, { userId: null, at: now });
    const at = () => `${((performance.now() - t) / 1000).toFixed(1)} s`;
    log(`channels and ICP rules written (${at()}); leads…`);
    // The channels in CHANNELS' order and the users, as arrays: a draw is an index into them.
    await tx.query(`create temp table bench_ref on commit drop as
      select (select array_agg(ch.id order by c.ord) from unnest(${chanNames}) with ordinality as c(name, ord)
                join channels ch on ch.workspace_id = ${ws} and ch.name = c.name) as ch,
             (select array_agg(id order by id) from users where workspace_id = ${ws}) as us`);
    const industry = (i: string, k: number, bias: string) =>
      `(${arr(INDUSTRIES)})[1 + floor(power(${u(i, k)}, ${bias}) * ${INDUSTRIES.length})::int]`;
    const profile = (i: string, bias: string) => `
      case when ${u(i, 30)} < 0.08 then null else ${industry(i, 31, bias)} end,
      case when ${u(i, 32)} < 0.1 then null else greatest(1, round(exp(ln(80) + 1.4 * ${normal(i, 33)})))::int end,
      case when ${u(i, 35)} < 0.05 then null else (${arr(REGIONS)})[${weighted(i, 36, [30, 14, 8, 7, 7, 6, 5, 5])}] end,
      'Компания ' || (1 + floor(${u(i, 37)} * 300000)::int)`;
    // Campaigns and UTM tags on the four digital channels (Контекст, Сайт, SEO, Соцсети).
    const tags = (i: string, ci: string) => `
      case when ${ci} <= 4 and ${u(i, 38)} < 0.8 then 'Кампания ' || (1 + floor(power(${u(i, 39)}, 1.5) * 12)::int) end,
      case when ${ci} <= 4 then (array['yandex', 'site', 'search', 'vk'])[${ci}] end,
      case when ${ci} in (1, 4) then 'cpc' when ${ci} in (2, 3) then 'organic' end`;
    const fitOf = (ci: string) => `(array[${CHANNELS.map((c) => c.fit).join(', ')}]::float8[])[${ci}]`;
    const leadCols = `workspace_id, title, created_at, updated_at, channel_id, owner_id, status, deal_id, converted_at,
                      industry, employees, region, company_name, campaign, utm_source, utm_medium`;
    // Drawn into a scratch table first, then written to leads in the order they arrived
    // (created_at), as a CRM receives them: ids and the table's pages follow time.
    await tx.query(`create temp table bench_new_leads on commit drop as select ${leadCols} from leads limit 0`);
    // Converted leads: one per deal, a second for 12 %, a third for 3 %, created days before the
    // deal (log-normal, median 6 days), the first mostly of the deal's own channel; bounded by
    // the leads asked for. Their profiles lean to the ICP's industries.
    const converted = await tx.run(`
      insert into bench_new_leads (${leadCols})
      select ${ws}, 'Лид ' || x.n, x.created_at, x.created_at, r.ch[x.ci], x.owner_id, 'converted', x.deal_id, x.deal_created,
             ${profile('x.n', `1.4 * ${fitOf('x.ci')}`)}, ${tags('x.n', 'x.ci')}
        from (select row_number() over (order by d.id, k) as n, d.id as deal_id, d.created_at as deal_created, d.owner_id,
                     d.created_at - make_interval(secs => round(exp(ln(6 * ${DAY_S}) + 0.8 * ${normal('d.id * 4 + k', 10)}))) as created_at,
                     case when k = 1 and d.channel_id is not null and ${u('d.id', 12)} < 0.6 then array_position(r.ch, d.channel_id)
                          else ${weighted(
                            'd.id * 4 + k',
                            13,
                            CHANNELS.map((c) => c.converted),
                          )} end as ci
                from deals d cross join bench_ref r
                cross join lateral generate_series(1, 1 + (${u('d.id', 14)} < 0.12)::int + (${u('d.id', 15)} < 0.03)::int) k
               where d.workspace_id = ${ws}
               order by d.id, k
               limit ${sizes.leads}) x
        cross join bench_ref r`);
    // The rest: not converted, uniform over the ~25 months, by the channels' lead volume.
    const rest = Math.max(0, sizes.leads - converted);
    await tx.run(`
      insert into bench_new_leads (${leadCols})
      select ${ws}, 'Лид ' || x.j, x.created_at, x.created_at, r.ch[x.ci],
             r.us[1 + floor(${u('x.j', 40)} * cardinality(r.us))::int],
             (array['new', 'working', 'qualified', 'disqualified'])[${weighted('x.j', 41, [15, 20, 15, 50])}], null, null,
             ${profile('x.j', fitOf('x.ci'))}, ${tags('x.j', 'x.ci')}
        from (select ${converted} + i as j, to_timestamp(${startS} + floor(${u('i', 20)} * ${endS - startS})) as created_at,
                     ${weighted(
                       'i',
                       21,
                       CHANNELS.map((c) => c.leads),
                     )} as ci
                from generate_series(1, ${rest}) i) x
        cross join bench_ref r`);
    log(`leads drawn (${at()}); writing them…`);

    // A fifth of the touches on the converted leads, the rest on any lead; from three days before
    // the lead to two months after it (never after the history's end), so some fall after their
    // deal's closing; a touch is of the lead's own channel for 45 %, else of a channel drawn by its
    // touch weight; written in time order. Unique on (lead, channel, at) as the table keeps them:
    // the instant's microseconds are the touch's number.
    const writeTouches = async () => {
      // The leads by number, the converted ones first.
      await tx.query(`create temp table bench_leads on commit drop as
        select row_number() over (order by l.deal_id is null, l.id) as n, l.id, l.created_at, l.channel_id
          from leads l where l.workspace_id = ${ws}`);
      await tx.query(`alter table bench_leads add primary key (n)`);
      const touchesConverted = Math.round(sizes.touches * 0.2);
      const lead = (i: string) =>
        `case when ${i} <= ${touchesConverted} then 1 + floor(${u(i, 50)} * ${converted})::int else 1 + floor(${u(i, 50)} * ${sizes.leads})::int end`;
      return tx.run(`
        insert into touches (workspace_id, lead_id, channel_id, at, kind, created_at)
        select ${ws}, x.id, r.ch[x.ci], x.at, (${arr(CHANNELS.map((c) => c.touch))})[x.ci], x.at
          from (select bl.id,
                       case when ${u('t.i', 51)} < 0.45 then array_position(r.ch, bl.channel_id)
                            else ${weighted(
                              't.i',
                              52,
                              CHANNELS.map((c) => c.touches),
                            )} end as ci,
                       bl.created_at - interval '3 days'
                         + make_interval(secs => floor(${u('t.i', 53)} * least(63 * ${DAY_S}, ${endS} - extract(epoch from bl.created_at)::float8 + 3 * ${DAY_S} - 1)))
                         + make_interval(secs => (t.i % 1000000) / 1e6::float8) as at
                  from generate_series(1, ${sizes.touches}) t(i)
                  cross join bench_ref r
                  join bench_leads bl on bl.n = ${lead('t.i')}) x
          cross join bench_ref r
         order by x.at, x.id`);
    };
    // An initial load, as the bundle import makes one (platform/db/bulk-load.ts): the two tables'
    // secondary indexes and foreign keys are dropped, then built once and validated by one join
    // each. The trigger that scores every lead stays.
    const touches = await withBulkLoad(tx, ['leads', 'touches'], async () => {
      await tx.run(`insert into leads (${leadCols}) select ${leadCols} from bench_new_leads order by created_at, title`);
      log(`touches… (${at()})`);
      const n = await writeTouches();
      log(`indexes and foreign keys… (${at()})`);
      return n;
    });
    log(`spend… (${at()})`);
    const spend = await tx.run(`
      insert into marketing_spend (workspace_id, channel_id, month, amount_minor, created_at, updated_at)
      select ${ws}, s.id, m::date,
             round(s.base * ${sizes.leads / 100_000} * (0.75 + 0.5 * ${u('s.n * 100000 + extract(year from m)::int * 12 + extract(month from m)::int', 60)})
                   * (1 + 0.015 * (row_number() over (partition by s.n order by m))))::int8 * 100, ${lit(now.toISOString())}, ${lit(now.toISOString())}
        from bench_ref r
        cross join unnest(r.ch, array[${CHANNELS.map((c) => c.spend).join(', ')}]::int8[]) with ordinality as s(id, base, n)
        cross join generate_series(date_trunc('month', to_timestamp(${startS}) at time zone 'Europe/Moscow'),
                                   date_trunc('month', to_timestamp(${endS - 1}) at time zone 'Europe/Moscow'), interval '1 month') m`);
    const [w] = await tx.query<{ won: number }>(`select count(*)::int as won from deals where workspace_id = ${ws} and status = 'won'`);
    return { converted, touches, spend, won: w.won };
  });
  const sqlSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  await db.exec('vacuum analyze');
  const analyzeSeconds = (performance.now() - t) / 1000;
  return {
    workspaceId: ws,
    sizes: { leads: sizes.leads, touches: counts.touches, deals: rep.deals_created ?? sizes.deals },
    stageEntries: rep.stage_entries_added,
    wonDeals: counts.won,
    convertedLeads: counts.converted,
    spendRows: counts.spend,
    seconds: { deals_bundle_import: importSeconds, marketing_sql: sqlSeconds, analyze: analyzeSeconds },
  };
}

/** The tables the report reads, as Voronka stores them, to CSV files (COPY … TO STDOUT); timestamps as UTC. */
export async function exportForDuck(url: string, ws: number, dir: string): Promise<number> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables: Record<string, string> = {
      channels: `select id, name from channels where workspace_id = ${ws}`,
      stages: `select id, kind, position from stages where workspace_id = ${ws}`,
      deals: `select id, pipeline_id, channel_id, amount_minor from deals where workspace_id = ${ws}`,
      stage_events: `select id, deal_id, pipeline_id, stage_id, entered_at at time zone 'UTC' from stage_events where workspace_id = ${ws}`,
      leads: `select id, channel_id, created_at at time zone 'UTC', deal_id, fit_score from leads where workspace_id = ${ws}`,
      touches: `select lead_id, channel_id, at at time zone 'UTC' from touches where workspace_id = ${ws}`,
      spend: `select channel_id, month, amount_minor from marketing_spend where workspace_id = ${ws}`,
    };
    for (const [name, q] of Object.entries(tables))
      await pipeline(c.query(copyTo(`copy (${q}) to stdout with (format csv)`)), createWriteStream(join(dir, `${name}.csv`)));
  } finally {
    await c.end();
  }
  return (performance.now() - t0) / 1000;
}

/** One group's figures as kpi.md names them (and Voronka's report answers them). */
type Kpis = Record<
  | 'leads'
  | 'opportunities'
  | 'lead_to_opportunity'
  | 'won'
  | 'won_amount'
  | 'spend'
  | 'cost_per_lead'
  | 'cost_per_opportunity'
  | 'cost_per_won'
  | 'icp_share',
  number | null
>;

/** The report's figures, flattened for the comparison: groups by channel name, the total, and the attribution. */
export interface ChannelFigures {
  groups: Map<string, Kpis>;
  total: Kpis;
  attribution: Record<string, Record<string, number>>;
}

/** The instants and settings of one request, as Voronka resolved it (so both answer the same question). */
export interface DuckRequest {
  from: Date;
  to: Date;
  asOf: Date;
  pipelineId: number;
  threshold: number | null;
  timeZone: string;
}

const ts = (d: Date) => `TIMESTAMP '${d.toISOString().replace('T', ' ').replace('Z', '')}'`;

/** The channels report as ONE DuckDB statement over the exported rows. */
export class DuckChannels {
  private constructor(
    private readonly inst: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  /** Reads the CSV files into DuckDB tables with their types; returns the seconds it took. */
  static async load(dir: string): Promise<{ ref: DuckChannels; seconds: number }> {
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    const t0 = performance.now();
    const cols: Record<string, string> = {
      channels: `{'id': 'BIGINT', 'name': 'VARCHAR'}`,
      stages: `{'id': 'BIGINT', 'kind': 'VARCHAR', 'position': 'INTEGER'}`,
      deals: `{'id': 'BIGINT', 'pipeline_id': 'BIGINT', 'channel_id': 'BIGINT', 'amount_minor': 'BIGINT'}`,
      stage_events: `{'id': 'BIGINT', 'deal_id': 'BIGINT', 'pipeline_id': 'BIGINT', 'stage_id': 'BIGINT', 'entered_at': 'TIMESTAMP'}`,
      leads: `{'id': 'BIGINT', 'channel_id': 'BIGINT', 'created_at': 'TIMESTAMP', 'deal_id': 'BIGINT', 'fit_score': 'INTEGER'}`,
      touches: `{'lead_id': 'BIGINT', 'channel_id': 'BIGINT', 'at': 'TIMESTAMP'}`,
      spend: `{'channel_id': 'BIGINT', 'month': 'DATE', 'amount_minor': 'BIGINT'}`,
    };
    for (const [name, c] of Object.entries(cols))
      await conn.run(`create table ${name} as select * from read_csv('${join(dir, `${name}.csv`)}', header = false, columns = ${c})`);
    return { ref: new DuckChannels(inst, conn), seconds: (performance.now() - t0) / 1000 };
  }

  close(): void {
    this.conn.closeSync();
    this.inst.closeSync();
  }

  async figures(r: DuckRequest): Promise<{ figures: ChannelFigures; seconds: number }> {
    const t0 = performance.now();
    const A = ts(r.asOf);
    const F = ts(r.from);
    const E = ts(new Date(Math.min(r.to.getTime(), r.asOf.getTime())));
    const T = ts(r.to);
    const tz = lit(r.timeZone);
    const kpis = (x: string) => `
      'leads': ${x}.leads, 'opportunities': ${x}.opportunities,
      'lead_to_opportunity': ${x}.opportunities / nullif(${x}.leads, 0)::DOUBLE,
      'won': ${x}.won, 'won_amount': ${x}.won_minor / 100::DOUBLE, 'spend': ${x}.spend_minor / 100::DOUBLE,
      'cost_per_lead': ${x}.spend_minor / 100::DOUBLE / nullif(${x}.leads, 0),
      'cost_per_opportunity': ${x}.spend_minor / 100::DOUBLE / nullif(${x}.opportunities, 0),
      'cost_per_won': ${x}.spend_minor / 100::DOUBLE / nullif(${x}.won, 0),
      'icp_share': ${r.threshold === null ? 'null::DOUBLE' : `${x}.fit / nullif(${x}.leads, 0)::DOUBLE`}`;
    const [row] = (
      await this.conn.runAndReadAll(`
      with
      -- Each deal of the pipeline with an entry before as-of: its creation (first entry), its last
      -- entry and that entry's stage kind (its status at as-of; same-instant entries by position).
      ds as (
        select e.deal_id, min(e.entered_at) as created_at, max(e.entered_at) as last_at,
               arg_max(s.kind, epoch_us(e.entered_at) * 64 + s.position) as status
          from stage_events e join stages s on s.id = e.stage_id
         where e.pipeline_id = ${r.pipelineId} and e.entered_at < ${A}
         group by e.deal_id),
      dl as (select ds.*, d.amount_minor, d.channel_id as own_channel from ds join deals d on d.id = ds.deal_id),
      -- The period's leads with their deal at as-of.
      pl as (
        select l.channel_id, l.fit_score, l.deal_id, dl.deal_id is not null as opportunity,
               coalesce(dl.status = 'won', false) as won, dl.amount_minor
          from leads l left join dl on dl.deal_id = l.deal_id
         where l.created_at >= ${F} and l.created_at < ${E}),
      per as (
        select channel_id, count(*) as leads, count(*) filter (where opportunity) as opportunities,
               count(*) filter (where fit_score >= ${r.threshold ?? 0}) as fit
          from pl group by channel_id),
      wonc as (
        select channel_id, count(*) as won, sum(amount_minor) as won_minor
          from (select distinct channel_id, deal_id, amount_minor from pl where won) group by channel_id),
      sp as (
        select channel_id, sum(amount_minor) as spend_minor from spend
         where timezone('UTC', timezone(${tz}, month::TIMESTAMP)) >= ${F} and timezone('UTC', timezone(${tz}, month::TIMESTAMP)) < ${T}
         group by channel_id),
      keys as (select channel_id from per union select channel_id from wonc union select channel_id from sp),
      g as (
        select k.channel_id, coalesce(per.leads, 0) as leads, coalesce(per.opportunities, 0) as opportunities, coalesce(per.fit, 0) as fit,
               coalesce(wonc.won, 0) as won, coalesce(wonc.won_minor, 0) as won_minor, coalesce(sp.spend_minor, 0) as spend_minor
          from keys k
          left join per on per.channel_id is not distinct from k.channel_id
          left join wonc on wonc.channel_id is not distinct from k.channel_id
          left join sp on sp.channel_id is not distinct from k.channel_id),
      tot as (
        select (select sum(leads) from g) as leads, (select sum(opportunities) from g) as opportunities, (select sum(fit) from g) as fit,
               (select count(*) from (select distinct deal_id from pl where won)) as won,
               (select coalesce(sum(amount_minor), 0) from (select distinct deal_id, amount_minor from pl where won)) as won_minor,
               (select sum(spend_minor) from g) as spend_minor),
      -- Attribution: the deals won in the period (closed in it, won at as-of), the touches of their
      -- leads before the closing, else the deal's own channel at its creation; ordered by instant,
      -- then channel name; credited by the four models.
      wd as (select deal_id, amount_minor, last_at as closed_at, created_at, own_channel from dl
              where status = 'won' and last_at >= ${F} and last_at < ${E}),
      tt as (
        select wd.deal_id, t.channel_id, t."at", c.name
          from wd join leads l on l.deal_id = wd.deal_id and l.created_at < ${A}
          join touches t on t.lead_id = l.id and t."at" < wd.closed_at
          join channels c on c.id = t.channel_id),
      own as (
        select wd.deal_id, wd.own_channel as channel_id, wd.created_at as "at", coalesce(c.name, '') as name
          from wd left join channels c on c.id = wd.own_channel
         where not exists (select 1 from tt where tt.deal_id = wd.deal_id)),
      seq as (
        select deal_id, channel_id, row_number() over (partition by deal_id order by "at", name, channel_id) as k,
               count(*) over (partition by deal_id) as n
          from (select * from tt union all select * from own)),
      credit as (
        select s.channel_id,
               sum(case when k = 1 then w.amount_minor else 0 end)::DOUBLE / 100 as first_touch,
               sum(case when k = n then w.amount_minor else 0 end)::DOUBLE / 100 as last_touch,
               sum(w.amount_minor * (1 / n::DOUBLE)) / 100 as linear,
               sum(w.amount_minor * case when n = 1 then 1 when n = 2 then 0.5 when k = 1 or k = n then 0.4
                                         else 0.2 / (n - 2)::DOUBLE end) / 100 as position_based
          from seq s join wd w using (deal_id) group by s.channel_id)
      select (select list({'key': c.name, ${kpis('g')}}) from g left join channels c on c.id = g.channel_id) as groups,
             (select list({${kpis('tot')}}) from tot) as total,
             (select list({'key': coalesce(c.name, 'none'), 'first_touch': x.first_touch, 'last_touch': x.last_touch, 'linear': x.linear,
                           'position_based': x.position_based}) from credit x left join channels c on c.id = x.channel_id) as attribution`)
    ).getRowObjectsJS();
    const norm = (o: Record<string, unknown>): Kpis =>
      Object.fromEntries(KPI_KEYS.map((k) => [k, o[k] === null || o[k] === undefined ? null : Number(o[k])])) as Kpis;
    const groups = new Map(((row.groups ?? []) as Record<string, unknown>[]).map((g) => [String(g.key ?? '\u0000none'), norm(g)]));
    const attribution = Object.fromEntries(ATTRIBUTION_MODELS.map((m) => [m, {} as Record<string, number>]));
    for (const a of (row.attribution ?? []) as Record<string, unknown>[])
      for (const m of ATTRIBUTION_MODELS) if (Number(a[m]) !== 0) attribution[m][String(a.key)] = Number(a[m]);
    const figures = { groups, total: norm(((row.total ?? []) as Record<string, unknown>[])[0]), attribution };
    return { figures, seconds: (performance.now() - t0) / 1000 };
  }
}

const KPI_KEYS = [
  'leads',
  'opportunities',
  'lead_to_opportunity',
  'won',
  'won_amount',
  'spend',
  'cost_per_lead',
  'cost_per_opportunity',
  'cost_per_won',
  'icp_share',
] as const;

/** Voronka's report in the comparison's shape (a model's zero credits are left out on both sides). */
export function reportFigures(r: ChannelsReport): ChannelFigures {
  const pick = (o: Record<string, unknown>) => Object.fromEntries(KPI_KEYS.map((k) => [k, o[k] as number | null])) as Kpis;
  return {
    groups: new Map(r.groups.map((g) => [g.key ?? '\u0000none', pick(g)])),
    total: pick(r.total),
    attribution: Object.fromEntries(
      ATTRIBUTION_MODELS.map((m) => [m, Object.fromEntries(Object.entries(r.total.attribution[m]).filter(([, v]) => v !== 0))]),
    ),
  };
}

const same = (a: unknown, b: unknown) =>
  a === b || (typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)));

/** Every figure, Voronka's against DuckDB's, within 1e-9 relative: how many were compared and which differ (`path: voronka vs duckdb`). */
export function compareChannelFigures(mine: ChannelFigures, duck: ChannelFigures): { compared: number; differ: string[] } {
  let compared = 0;
  const differ: string[] = [];
  const cmp = (path: string, a: unknown, b: unknown) => {
    compared++;
    if (!same(a, b)) differ.push(`${path}: ${a} vs ${b}`);
  };
  for (const k of new Set([...mine.groups.keys(), ...duck.groups.keys()])) {
    const a = mine.groups.get(k);
    const b = duck.groups.get(k);
    if (!a || !b) {
      compared++;
      differ.push(`group ${k}: only in ${a ? 'Voronka' : 'DuckDB'}`);
      continue;
    }
    for (const key of KPI_KEYS) cmp(`group ${k} ${key}`, a[key], b[key]);
  }
  for (const key of KPI_KEYS) cmp(`total ${key}`, mine.total[key], duck.total[key]);
  for (const m of ATTRIBUTION_MODELS)
    for (const ch of new Set([...Object.keys(mine.attribution[m]), ...Object.keys(duck.attribution[m])]))
      cmp(`attribution ${m} ${ch}`, mine.attribution[m][ch] ?? 0, duck.attribution[m][ch] ?? 0);
  return { compared, differ };
}

export interface ChannelsResult {
  method: string;
  sizes: ChannelsSizes;
  stage_entries: number;
  converted_leads: number;
  won_deals: number;
  spend_rows: number;
  generate_seconds: GeneratedChannels['seconds'];
  variants: Record<string, { params: FunnelParams; as_of: string; live: boolean }>;
  report_runs: Record<string, number[]>;
  report_seconds: Record<string, number>;
  duckdb_export_seconds?: number;
  duckdb_load_seconds?: number;
  duckdb_runs?: Record<string, number[]>;
  duckdb_seconds?: Record<string, number>;
  /** Voronka's median / DuckDB's median over the same rounds: above 1 DuckDB is faster. */
  ratio_to_duckdb?: Record<string, number>;
  figures_compared?: Record<string, number>;
  figures_match?: Record<string, boolean>;
  figures_differ?: Record<string, string[]>;
  /** The target of issue 18: each variant's median within 2 s. */
  target_seconds: number;
  /** The machine's 1-minute load average as the timed rounds began and ended (the machine is shared: 2 cores). */
  load_average: { before: number; after: number };
  within_target: Record<string, boolean>;
}

export const TARGET_SECONDS = 2;

/** Generates the data on a fresh database `dbName`, then times the report against DuckDB in interleaved rounds. */
export async function benchChannels(opts: {
  sizes: ChannelsSizes;
  runs: number;
  withDuck: boolean;
  now: Date;
  dbName: string;
}): Promise<ChannelsResult> {
  const log = (m: string) => process.stdout.write(`[channels] ${m}\n`);
  const url = await freshPgDatabase(opts.dbName);
  const db = await openDb({ databaseUrl: url });
  let duck: DuckChannels | null = null;
  try {
    await migrate(db);
    const g = await generateChannels(db, opts.sizes, opts.now, log);
    log(
      `generated ${g.sizes.leads} leads (${g.convertedLeads} converted), ${g.sizes.touches} touches, ${g.sizes.deals} deals (${g.wonDeals} won, ${g.stageEntries} stage entries), ${g.spendRows} spend rows: bundle import ${g.seconds.deals_bundle_import.toFixed(1)} s, marketing SQL ${g.seconds.marketing_sql.toFixed(1)} s, vacuum analyze ${g.seconds.analyze.toFixed(1)} s`,
    );
    const ws = g.workspaceId;
    const report = (v: (typeof CHANNEL_VARIANTS)[number]) =>
      inWorkspace(db, ws, async (tx) => channelsReport(tx, await resolveFunnelQuery(tx, ws, v.params, opts.now)));
    const queries = new Map<string, FunnelQuery>();
    const [icp] = await db.query<{ threshold: number | null }>(
      `select (rules ->> 'threshold')::float8 as threshold from icp_rule_versions where workspace_id = ${ws} order by version desc limit 1`,
    );
    for (const v of CHANNEL_VARIANTS)
      queries.set(v.name, await inWorkspace(db, ws, (tx) => resolveFunnelQuery(tx, ws, v.params, opts.now)));
    const request = (v: (typeof CHANNEL_VARIANTS)[number]): DuckRequest => {
      const q = queries.get(v.name) as FunnelQuery;
      return {
        from: q.from,
        to: q.to,
        asOf: q.asOf,
        pipelineId: Number(q.pipeline.id),
        threshold: icp?.threshold ?? null,
        timeZone: q.timeZone,
      };
    };
    const result: ChannelsResult = {
      method: '',
      sizes: g.sizes,
      stage_entries: g.stageEntries,
      converted_leads: g.convertedLeads,
      won_deals: g.wonDeals,
      spend_rows: g.spendRows,
      generate_seconds: g.seconds,
      variants: Object.fromEntries(
        CHANNEL_VARIANTS.map((v) => {
          const q = queries.get(v.name) as FunnelQuery;
          return [v.name, { params: v.params, as_of: q.asOf.toISOString(), live: q.live }];
        }),
      ),
      report_runs: {},
      report_seconds: {},
      target_seconds: TARGET_SECONDS,
      within_target: {},
      load_average: { before: 0, after: 0 },
    };
    if (opts.withDuck) {
      const dir = join('bench', 'data', `channels-export-${g.sizes.leads}`);
      result.duckdb_export_seconds = await exportForDuck(url, ws, dir);
      const loaded = await DuckChannels.load(dir);
      duck = loaded.ref;
      result.duckdb_load_seconds = loaded.seconds;
      log(`DuckDB: exported from PostgreSQL in ${result.duckdb_export_seconds.toFixed(1)} s, loaded in ${loaded.seconds.toFixed(1)} s`);
    }
    result.method = `channelsReport (the API's function) in a workspace-scoped transaction with the query resolved as the API resolves it, on PostgreSQL${
      duck
        ? ', against one DuckDB statement (in-process @duckdb/node-api, default threads) over the same rows exported from PostgreSQL (export and load timed apart, not in the ratio), computing every figure from the raw stage entries'
        : ''
    }; every round runs each variant on both in a rotating order; round 0 warms up and is not counted; medians of the ${opts.runs} other rounds`;
    const contenders = duck ? (['voronka', 'duckdb'] as const) : (['voronka'] as const);
    const runsOf: Record<string, Record<string, number[]>> = { voronka: {}, duckdb: {} };
    for (const v of CHANNEL_VARIANTS) for (const c of contenders) runsOf[c][v.name] = [];
    const first: Record<string, { voronka?: ChannelFigures; duckdb?: ChannelFigures }> = {};
    result.load_average.before = loadavg()[0];
    for (let round = 0; round <= opts.runs; round++) {
      for (const [i, v] of CHANNEL_VARIANTS.entries()) {
        const order = contenders.map((_, k) => contenders[(k + round + i) % contenders.length]);
        for (const c of order) {
          let secs: number;
          let figures: ChannelFigures;
          if (c === 'voronka') {
            const s = performance.now();
            const r = await report(v);
            secs = (performance.now() - s) / 1000;
            figures = reportFigures(r);
          } else {
            const r = await (duck as DuckChannels).figures(request(v));
            secs = r.seconds;
            figures = r.figures;
          }
          if (round > 0) runsOf[c][v.name].push(secs);
          else first[v.name] = { ...first[v.name], [c]: figures };
        }
      }
      log(
        `round ${round}${round === 0 ? ' (warm-up)' : `/${opts.runs}`}: ${CHANNEL_VARIANTS.map(
          (v) => `${v.name} ${contenders.map((c) => `${c} ${round > 0 ? runsOf[c][v.name][round - 1].toFixed(3) : '–'}`).join(' ')}`,
        ).join('; ')}`,
      );
    }
    result.load_average.after = loadavg()[0];
    for (const v of CHANNEL_VARIANTS) {
      result.report_runs[v.name] = runsOf.voronka[v.name];
      result.report_seconds[v.name] = median(runsOf.voronka[v.name]);
      result.within_target[v.name] = result.report_seconds[v.name] <= TARGET_SECONDS;
    }
    if (duck) {
      result.duckdb_runs = runsOf.duckdb;
      result.duckdb_seconds = {};
      result.ratio_to_duckdb = {};
      result.figures_compared = {};
      result.figures_match = {};
      result.figures_differ = {};
      for (const v of CHANNEL_VARIANTS) {
        result.duckdb_seconds[v.name] = median(runsOf.duckdb[v.name]);
        result.ratio_to_duckdb[v.name] = result.report_seconds[v.name] / result.duckdb_seconds[v.name];
        const c = compareChannelFigures(first[v.name].voronka as ChannelFigures, first[v.name].duckdb as ChannelFigures);
        result.figures_compared[v.name] = c.compared;
        result.figures_match[v.name] = c.differ.length === 0;
        result.figures_differ[v.name] = c.differ;
        if (c.differ.length > 0)
          log(
            `${v.name}: ${c.differ.length} of ${c.compared} figures differ from DuckDB:\n${c.differ
              .slice(0, 20)
              .map((d) => `  ${d}`)
              .join('\n')}`,
          );
      }
    }
    return result;
  } finally {
    duck?.close();
    await db.close();
  }
}

/** The table printed at the end of `npm run bench`. */
export function printChannelsBench(r: ChannelsResult): void {
  const head = [
    `channels, ${r.sizes.leads} leads / ${r.sizes.touches} touches / ${r.sizes.deals} deals`,
    'Voronka s',
    `≤ ${r.target_seconds} s`,
    ...(r.duckdb_seconds ? ['DuckDB s', 'Voronka / DuckDB', 'figures equal'] : []),
  ];
  const rows = [head];
  for (const name of Object.keys(r.report_seconds)) {
    const n = r.figures_compared?.[name] ?? 0;
    rows.push([
      name,
      r.report_seconds[name].toFixed(3),
      r.within_target[name] ? 'yes' : 'NO',
      ...(r.duckdb_seconds
        ? [
            (r.duckdb_seconds[name] ?? Number.NaN).toFixed(3),
            (r.ratio_to_duckdb?.[name] ?? Number.NaN).toFixed(2),
            r.figures_match?.[name] ? `${n}/${n}` : `DIFFER (${r.figures_differ?.[name]?.length} of ${n})`,
          ]
        : []),
    ]);
  }
  printTable(rows);
  if (r.duckdb_seconds)
    process.stdout.write(
      `ratio = Voronka's median / DuckDB's median over the same interleaved rounds (above 1 DuckDB is faster). DuckDB's data: export from PostgreSQL ${r.duckdb_export_seconds?.toFixed(1)} s + load ${r.duckdb_load_seconds?.toFixed(1)} s, not in the ratio. Load average ${r.load_average.before.toFixed(1)} → ${r.load_average.after.toFixed(1)}\n`,
    );
}
