import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { refreshDealsIn, syncVisitAttributesIn } from '../history/stage-history.ts';
import { bulkInsert } from '../platform/db/bulk.ts';
import { isInitialLoad, withBulkLoad } from '../platform/db/bulk-load.ts';
import { analyzeChanged } from '../platform/db/maintenance.ts';
import { type Db, DbError, type Queryable } from '../platform/db/types.ts';
import { scopeTo } from '../platform/db/workspace-scope.ts';
import { AppError } from '../platform/errors.ts';
import { minorFactor } from '../platform/money.ts';
import { checkWorkspaceInput, createWorkspace, findWorkspace } from '../platform/workspaces.ts';
import { checkStageSet, createPipeline, loadStages, STAGE_KINDS, type StageRow } from '../process/pipelines.ts';
import { type StagedCsv, stageCsv, stagedSummary } from './csv-stage.ts';
import { rowError } from './import-errors.ts';
import { type Parsed, parseAmountMinor, parseInstant } from './values.ts';

/**
 * The canonical bundle of kpi.md: pipeline.json, deals.csv, stage_events.csv.
 *
 * Rows stream into temporary tables inside one transaction; cross-row checks
 * (duplicates, unknown deals, history rewrites) then run as SQL over them, and
 * only a bundle that passes every check is merged. The first problem aborts the
 * transaction: nothing is written. Deals are matched on `deal_id`, so importing
 * the same bundle again changes nothing.
 */

export const pipelineFileSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code such as RUB'),
  timezone: z.string().min(1).max(64),
  stages: z
    .array(z.strictObject({ name: z.string().trim().min(1).max(200), kind: z.enum(STAGE_KINDS) }))
    .min(3)
    .max(50),
});
export type PipelineFile = z.infer<typeof pipelineFileSchema>;

export const DEAL_COLUMNS = {
  deal_id: ['id', 'id сделки', 'ид сделки', 'номер сделки', 'сделка_id'],
  title: ['название', 'название сделки', 'name', 'deal name'],
  company: ['компания', 'клиент', 'организация', 'account'],
  owner: ['ответственный', 'менеджер', 'владелец', 'sales_agent', 'agent'],
  segment: ['сегмент'],
  channel: ['канал', 'источник', 'source', 'lead source'],
  region: ['регион', 'город', 'office'],
  amount: ['сумма', 'бюджет', 'value', 'deal value'],
  created_at: ['дата создания', 'создана', 'created', 'создано'],
};
export const EVENT_COLUMNS = {
  deal_id: ['id', 'id сделки', 'ид сделки', 'номер сделки', 'сделка_id'],
  stage: ['этап', 'стадия', 'статус', 'stage_name'],
  entered_at: ['дата перехода', 'дата входа', 'дата', 'date', 'entered'],
};

export interface ImportReport {
  workspace: string;
  workspace_created: boolean;
  pipeline: string;
  pipeline_created: boolean;
  deals_in_file: number;
  deals_created: number;
  deals_updated: number;
  deals_unchanged: number;
  stage_entries_in_file: number;
  stage_entries_added: number;
  stage_entries_already_present: number;
  identical_duplicate_deal_rows: number;
  identical_duplicate_stage_rows: number;
  created_at_differs_from_first_entry: number;
  empty_amounts_as_zero: number;
  new_owners: string[];
  new_segments: string[];
  new_channels: string[];
  new_companies: number;
  ignored_columns: string[];
  changed: boolean;
  seconds: number;
  /** The encoding each CSV file was read in, e.g. {"deals.csv": "Windows-1251"}. */
  encodings?: Record<string, StagedCsv['encoding']>;
}

export function readPipelineFile(dir: string): PipelineFile {
  const path = join(dir, 'pipeline.json');
  if (!existsSync(path)) throw rowError({ file: 'pipeline.json', reason: { en: `not found in ${dir}`, ru: `нет в папке ${dir}` } });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    throw rowError({
      file: 'pipeline.json',
      reason: { en: `not valid JSON: ${(e as Error).message}`, ru: `некорректный JSON: ${(e as Error).message}` },
    });
  }
  const r = pipelineFileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw rowError({ file: 'pipeline.json', column: i.path.join('.') || undefined, reason: { en: i.message, ru: i.message } });
  }
  try {
    checkWorkspaceInput({ name: r.data.name, currency: r.data.currency, timezone: r.data.timezone });
    checkStageSet(r.data.stages);
  } catch (e) {
    if (e instanceof AppError) throw rowError({ file: 'pipeline.json', reason: { en: e.msg.en, ru: e.msg.ru } });
    throw e;
  }
  return r.data;
}

/**
 * Values that look like ISO dates (or Russian DD.MM.YYYY) and plain numbers are
 * converted by PostgreSQL's own casts, with the session set to the workspace zone
 * and day-first dates — the same reading as the JavaScript parsers. A cast that
 * fails anywhere (an impossible date such as 31.02) sends the whole column down the
 * careful path, where each value is parsed in JavaScript and a bad one is reported
 * with its line.
 */
const looksLikeDate = (c: string) => `left(${c}, 1) between '0' and '9' and (substr(${c}, 5, 1) = '-' or substr(${c}, 3, 1) = '.')`;
const instantSql = (c: string) => `case when ${looksLikeDate(c)} then ${c}::timestamptz end`;
const looksLikeAmount = (c: string) =>
  `left(${c}, 1) between '0' and '9' and strpos(${c}, ',') = 0 and strpos(${c}, ' ') = 0 and strpos(lower(${c}), 'e') = 0`;
/** `factor` is the currency's minor units per major unit (src/platform/money.ts), an integer from its table. */
const amountSql = (c: string, factor: number) => {
  const f = String(Math.trunc(factor));
  return `case when ${c} is null then 0::int8 when ${looksLikeAmount(c)} and ${c}::numeric * ${f} = trunc(${c}::numeric * ${f}) then (${c}::numeric * ${f})::int8 end`;
};

interface Problem {
  file: 'deals.csv' | 'stage_events.csv';
  idx: number;
  column: string;
  value?: string;
  reason: { en: string; ru: string };
}

/**
 * Loads both CSV files with COPY into typed staging tables (imp_deals,
 * imp_events). Values in canonical form convert in SQL; anything else (Russian
 * numbers and dates, spaces) goes through the same JavaScript parsers as always,
 * a row at a time. The first bad record in file order stops the import.
 */
async function stageBundle(
  tx: Queryable,
  dir: string,
  zone: string,
  currency: string,
  stageByName: Map<string, StageRow>,
  report: ImportReport,
): Promise<{ deals: StagedCsv; events: StagedCsv }> {
  const deals = await stageCsv(
    tx,
    join(dir, 'deals.csv'),
    'deals.csv',
    { columns: DEAL_COLUMNS, required: ['deal_id', 'amount', 'created_at'] },
    'imp_raw_deals',
  );
  const events = await stageCsv(
    tx,
    join(dir, 'stage_events.csv'),
    'stage_events.csv',
    { columns: EVENT_COLUMNS, required: ['deal_id', 'stage', 'entered_at'] },
    'imp_raw_events',
  );
  report.ignored_columns.push(...deals.ignored.map((c) => `deals.csv:${c}`), ...events.ignored.map((c) => `stage_events.csv:${c}`));
  report.deals_in_file = deals.rows;
  report.stage_entries_in_file = events.rows;
  const d = (name: string) => (deals.col[name] ? `nullif(trim(${deals.col[name]}), '')` : 'null::text');
  const e = (name: string) => `nullif(trim(${events.col[name]}), '')`;

  await tx.exec(`set local timezone = '${zone.replace(/'/g, "''")}'; set local datestyle = 'ISO, DMY';`);
  const createDeals = (fast: boolean) => `
    create temp table imp_deals on commit drop as
    select idx as line, ${d('deal_id')} as deal_id, coalesce(${d('title')}, ${d('deal_id')}) as title, ${d('company')} as company,
           ${d('owner')} as owner, ${d('segment')} as segment, ${d('channel')} as channel, ${d('region')} as region,
           ${d('amount')} as amount_raw, ${d('created_at')} as created_raw,
           ${fast ? amountSql(d('amount'), minorFactor(currency)) : `case when ${d('amount')} is null then 0::int8 end`} as amount_minor,
           ${fast ? instantSql(d('created_at')) : 'null::timestamptz'} as created_at
      from imp_raw_deals`;
  const createEvents = (fast: boolean) => `
    create temp table imp_events on commit drop as
    select r.idx as line, ${e('deal_id')} as deal_id, ${e('stage')} as stage_raw, s.stage_id, ${e('entered_at')} as entered_raw,
           ${fast ? instantSql(e('entered_at')) : 'null::timestamptz'} as entered_at
      from imp_raw_events r
      left join (select unnest(${sqlTextArray([...stageByName.keys()])}) as name, unnest(${sqlIntArray([...stageByName.values()].map((s) => s.id))}) as stage_id) s
        on s.name = lower(${e('stage')})`;
  for (const create of [createDeals, createEvents]) {
    await tx.exec('savepoint fast_cast');
    try {
      await tx.exec(create(true));
      await tx.exec('release savepoint fast_cast');
    } catch (err) {
      if (!(err instanceof DbError)) throw err;
      await tx.exec('rollback to savepoint fast_cast');
      await tx.exec(create(false));
    }
  }

  const problems: Problem[] = [];
  const firstWhere = async (
    file: Problem['file'],
    table: string,
    column: string,
    cond: string,
    reason: Problem['reason'],
    valueCol?: string,
  ) => {
    const rows = await tx.query<{ line: number; v: string | null }>(
      `select line, ${valueCol ?? 'null'}::text as v from ${table} where ${cond} order by line limit 1`,
    );
    if (rows.length) problems.push({ file, idx: rows[0].line, column, value: rows[0].v ?? undefined, reason });
  };
  await firstWhere('deals.csv', 'imp_deals', 'deal_id', 'deal_id is null', { en: 'deal_id is empty', ru: 'deal_id не указан' });
  await firstWhere(
    'deals.csv',
    'imp_deals',
    'deal_id',
    'length(deal_id) > 200',
    { en: 'deal_id is longer than 200 characters', ru: 'deal_id длиннее 200 символов' },
    'deal_id',
  );
  for (const c of ['title', 'company', 'owner', 'segment', 'channel', 'region']) {
    await firstWhere('deals.csv', 'imp_deals', c, `length(${c}) > 300`, { en: 'longer than 300 characters', ru: 'длиннее 300 символов' });
  }
  await firstWhere('stage_events.csv', 'imp_events', 'deal_id', 'deal_id is null', { en: 'deal_id is empty', ru: 'deal_id не указан' });
  const stageList = [...stageByName.values()].map((s) => s.name).join(', ');
  await firstWhere(
    'stage_events.csv',
    'imp_events',
    'stage',
    'stage_id is null',
    { en: `no such stage in pipeline.json (stages: ${stageList})`, ru: `нет такого этапа в pipeline.json (этапы: ${stageList})` },
    'stage_raw',
  );

  // The careful path: values not in canonical form, parsed exactly as before, one by one.
  const careful = async (
    file: Problem['file'],
    table: string,
    column: string,
    rawCol: string,
    target: string,
    type: string,
    parseOne: (v: string) => Parsed<number | Date>,
  ) => {
    const rows = await tx.query<{ line: number; v: string }>(
      `select line, ${rawCol} as v from ${table} where ${target} is null and ${rawCol} is not null order by line`,
    );
    const fixed: { line: number; value: number | Date }[] = [];
    for (const r of rows) {
      const p = parseOne(r.v);
      if (!p.ok) {
        problems.push({ file, idx: r.line, column, value: r.v, reason: { en: p.en, ru: p.ru } });
        return;
      }
      fixed.push({ line: r.line, value: p.value });
    }
    if (fixed.length === 0) return;
    await tx.exec(`create temp table imp_fix (line int8, value ${type}) on commit drop`);
    await bulkInsert(tx, 'imp_fix', [
      { name: 'line', type: 'int8', values: fixed.map((f) => f.line) },
      { name: 'value', type, values: fixed.map((f) => f.value) },
    ]);
    await tx.exec(`update ${table} t set ${target} = f.value from imp_fix f where f.line = t.line; drop table imp_fix;`);
  };
  await careful('deals.csv', 'imp_deals', 'amount', 'amount_raw', 'amount_minor', 'int8', (v) => parseAmountMinor(v, currency));
  await careful('deals.csv', 'imp_deals', 'created_at', 'created_raw', 'created_at', 'timestamptz', (v) => parseInstant(v, zone));
  await firstWhere('deals.csv', 'imp_deals', 'created_at', 'created_at is null and created_raw is null', {
    en: 'date is empty',
    ru: 'дата не указана',
  });
  await firstWhere(
    'deals.csv',
    'imp_deals',
    'created_at',
    OUT_OF_RANGE('created_at'),
    { en: 'outside 1990–2200', ru: 'вне диапазона 1990–2200' },
    'created_raw',
  );
  await careful('stage_events.csv', 'imp_events', 'entered_at', 'entered_raw', 'entered_at', 'timestamptz', (v) => parseInstant(v, zone));
  await firstWhere('stage_events.csv', 'imp_events', 'entered_at', 'entered_at is null and entered_raw is null', {
    en: 'date is empty',
    ru: 'дата не указана',
  });
  await firstWhere(
    'stage_events.csv',
    'imp_events',
    'entered_at',
    OUT_OF_RANGE('entered_at'),
    { en: 'outside 1990–2200', ru: 'вне диапазона 1990–2200' },
    'entered_raw',
  );

  if (problems.length > 0) {
    // The first problem in file order: deals.csv is read first, then stage_events.csv.
    problems.sort((a, b) => (a.file === b.file ? a.idx - b.idx : a.file === 'deals.csv' ? -1 : 1));
    const p = problems[0];
    const line = await (p.file === 'deals.csv' ? deals : events).lineOf(p.idx);
    throw rowError({ file: p.file, line, column: p.column, value: p.value, reason: p.reason });
  }
  const [{ n }] = await tx.query<{ n: number }>(`select count(*)::int8 as n from imp_deals where amount_raw is null`);
  report.empty_amounts_as_zero = n;
  return { deals, events };
}

const OUT_OF_RANGE = (c: string) => `(${c} < '1990-01-01T00:00:00Z' or ${c} >= '2201-01-01T00:00:00Z')`;
const sqlTextArray = (xs: string[]) => `array[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',')}]::text[]`;
const sqlIntArray = (xs: number[]) => `array[${xs.map((x) => String(Math.trunc(x))).join(',')}]::int8[]`;

export async function importBundle(
  db: Db,
  dir: string,
  opts: {
    workspace?: string;
    now: Date;
    onProgress?: (msg: string) => void;
    /** Extra writes of a vendor importer, in the same transaction, after the merge. */
    afterMerge?: (tx: Queryable, ws: number) => Promise<boolean>;
    format?: string;
  },
): Promise<ImportReport> {
  const started = Date.now();
  const pipelineFile = readPipelineFile(dir);
  for (const f of ['deals.csv', 'stage_events.csv']) {
    if (!existsSync(join(dir, f))) throw rowError({ file: f, reason: { en: `not found in ${dir}`, ru: `нет в папке ${dir}` } });
  }
  const wsName = opts.workspace ?? pipelineFile.name;

  return db.transaction(async (tx) => {
    const report: ImportReport = {
      workspace: wsName,
      workspace_created: false,
      pipeline: pipelineFile.name,
      pipeline_created: false,
      deals_in_file: 0,
      deals_created: 0,
      deals_updated: 0,
      deals_unchanged: 0,
      stage_entries_in_file: 0,
      stage_entries_added: 0,
      stage_entries_already_present: 0,
      identical_duplicate_deal_rows: 0,
      identical_duplicate_stage_rows: 0,
      created_at_differs_from_first_entry: 0,
      empty_amounts_as_zero: 0,
      new_owners: [],
      new_segments: [],
      new_channels: [],
      new_companies: 0,
      ignored_columns: [],
      changed: false,
      seconds: 0,
    };
    // Workspace and pipeline: found by name, created inside this same transaction.
    let ws = await findWorkspace(tx, wsName);
    if (!ws) {
      ws = await createWorkspace(tx, { name: wsName, currency: pipelineFile.currency, timezone: pipelineFile.timezone }, opts.now);
      report.workspace_created = true;
    } else if (ws.currency !== pipelineFile.currency) {
      throw rowError({
        file: 'pipeline.json',
        column: 'currency',
        value: pipelineFile.currency,
        reason: {
          en: `workspace "${ws.name}" counts money in ${ws.currency}`,
          ru: `пространство «${ws.name}» ведёт учёт в ${ws.currency}`,
        },
      });
    }
    const wsId = ws.workspace_id;
    await scopeTo(tx, wsId);
    const zone = ws.timezone;
    const stages = await ensurePipeline(tx, wsId, pipelineFile, opts.now, report);
    const pipelineId = stages[0].pipeline_id;
    const stageByName = new Map(stages.map((s) => [s.name.trim().toLowerCase(), s]));
    const files = await stageBundle(tx, dir, zone, ws.currency, stageByName, report);
    if (report.deals_in_file === 0 && report.stage_entries_in_file === 0) {
      // Headers only: an import that brings nothing creates nothing (no workspace, no pipeline).
      throw new AppError(
        'IMPORT_FILE_INVALID',
        {
          en: 'deals.csv and stage_events.csv hold no rows, only their headers: nothing to import, nothing was created',
          ru: 'в deals.csv и stage_events.csv нет ни одной строки, только заголовки: импортировать нечего, ничего не создано',
        },
        { file: 'deals.csv', line: null, column: null, value: null, reason: 'no rows' },
      );
    }
    report.encodings = { [files.deals.file]: files.deals.encoding, [files.events.file]: files.events.encoding };
    for (const f of [files.deals, files.events]) opts.onProgress?.(stagedSummary(f).en);

    const merge = () => checkAndMerge(tx, wsId, pipelineId, report, files);
    const bulkTables = ['deals', 'stage_events', 'stage_visits'];
    const bulk = await isInitialLoad(tx, wsId, report.stage_entries_in_file);
    if (bulk) {
      opts.onProgress?.('initial load: indexes and foreign keys of deals and the history are rebuilt once at the end');
      await withBulkLoad(tx, bulkTables, merge);
    } else {
      await merge();
    }
    const extraChanged = opts.afterMerge ? await opts.afterMerge(tx, wsId) : false;
    report.changed =
      extraChanged ||
      report.workspace_created ||
      report.pipeline_created ||
      report.deals_created + report.deals_updated + report.stage_entries_added > 0;
    if (report.changed) {
      const rows = report.deals_created + report.deals_updated + report.stage_entries_added + report.new_companies;
      // (the merge analyzed deals and stage entries as it grew them; an initial load, its own tables)
      // What an import writes besides deals and entries: visits, counters and the names it creates.
      const more = ['stage_visits', 'funnel_counters', 'users', 'segments', 'channels', 'companies'];
      await analyzeChanged(tx, bulk ? more.filter((t) => !bulkTables.includes(t)) : more, rows);
    }
    report.seconds = (Date.now() - started) / 1000;
    if (report.changed) {
      await tx.query(
        sql`insert into import_runs (workspace_id, format, source, started_at, finished_at, stats)
            values (${wsId}, ${opts.format ?? 'canonical'}, ${dir}, ${new Date(opts.now)}, ${new Date(opts.now.getTime() + (Date.now() - started))}, ${JSON.stringify(report)}::jsonb)`,
      );
    }
    return report;
  });
}

async function ensurePipeline(tx: Queryable, ws: number, file: PipelineFile, now: Date, report: ImportReport): Promise<StageRow[]> {
  const [existing] = await tx.query<{ id: number }>(
    sql`select id from pipelines where workspace_id = ${ws} and lower(name) = lower(${file.name})`,
  );
  if (!existing) {
    const id = await createPipeline(tx, ws, now, { name: file.name, stages: file.stages });
    report.pipeline_created = true;
    return loadStages(tx, ws, id);
  }
  const stages = await loadStages(tx, ws, existing.id);
  const want = [
    ...file.stages.filter((s) => s.kind === 'open'),
    ...file.stages.filter((s) => s.kind === 'won'),
    ...file.stages.filter((s) => s.kind === 'lost'),
  ];
  const same =
    want.length === stages.length &&
    want.every((s, i) => s.name.trim().toLowerCase() === stages[i].name.trim().toLowerCase() && s.kind === stages[i].kind);
  if (!same) {
    throw rowError({
      file: 'pipeline.json',
      column: 'stages',
      reason: {
        en: `pipeline "${file.name}" exists with other stages (${stages.map((s) => `${s.name}:${s.kind}`).join(', ')}); change stages through the API, not by import`,
        ru: `воронка «${file.name}» уже есть с другими этапами (${stages.map((s) => `${s.name}:${s.kind}`).join(', ')}); этапы меняются через API, а не импортом`,
      },
    });
  }
  return stages;
}

async function firstRow<T>(tx: Queryable, q: ReturnType<typeof sql>): Promise<T | undefined> {
  const rows = await tx.query<T>(q);
  return rows[0];
}

/** Cross-row checks over the staged rows, then the merge into the real tables. */
async function checkAndMerge(
  tx: Queryable,
  ws: number,
  pipelineId: number,
  report: ImportReport,
  files: { deals: StagedCsv; events: StagedCsv },
) {
  await tx.exec(`
    create index on imp_deals (deal_id, line);
    create index on imp_events (deal_id);
    analyze imp_deals; analyze imp_events;`);

  // 1. The same deal_id twice with different data is ambiguous: stop. Identical repeats are merged and counted.
  const conflict = await firstRow<{ deal_id: string; a: number; b: number }>(
    tx,
    sql`select a.deal_id, a.line as a, b.line as b from imp_deals a join imp_deals b on b.deal_id = a.deal_id and b.line > a.line
         where (a.title, a.company, a.owner, a.segment, a.channel, a.region, a.amount_minor, a.created_at)
               is distinct from (b.title, b.company, b.owner, b.segment, b.channel, b.region, b.amount_minor, b.created_at)
         order by b.line limit 1`,
  );
  if (conflict) {
    throw rowError({
      file: 'deals.csv',
      line: await files.deals.lineOf(conflict.b),
      column: 'deal_id',
      value: conflict.deal_id,
      reason: {
        en: `deal_id repeats line ${await files.deals.lineOf(conflict.a)} with different data`,
        ru: `deal_id повторяет строку ${await files.deals.lineOf(conflict.a)} с другими данными`,
      },
    });
  }
  report.identical_duplicate_deal_rows = await tx.run(
    sql`delete from imp_deals a using imp_deals b where a.deal_id = b.deal_id and a.line > b.line`,
  );

  // 2. Every stage entry belongs to a deal of the bundle or one already imported.
  const orphan = await firstRow<{ line: number; deal_id: string }>(
    tx,
    sql`select e.line, e.deal_id from imp_events e
         where not exists (select 1 from imp_deals d where d.deal_id = e.deal_id)
           and not exists (select 1 from deals x where x.workspace_id = ${ws} and x.external_id = e.deal_id)
         order by e.line limit 1`,
  );
  if (orphan) {
    throw rowError({
      file: 'stage_events.csv',
      line: await files.events.lineOf(orphan.line),
      column: 'deal_id',
      value: orphan.deal_id,
      reason: { en: 'no such deal in deals.csv', ru: 'такой сделки нет в deals.csv' },
    });
  }
  // 3. Every new deal has at least one stage entry: the first one is its creation.
  const bare = await firstRow<{ line: number; deal_id: string }>(
    tx,
    sql`select d.line, d.deal_id from imp_deals d
         where not exists (select 1 from imp_events e where e.deal_id = d.deal_id)
           and not exists (select 1 from deals x where x.workspace_id = ${ws} and x.external_id = d.deal_id)
         order by d.line limit 1`,
  );
  if (bare) {
    throw rowError({
      file: 'deals.csv',
      line: await files.deals.lineOf(bare.line),
      column: 'deal_id',
      value: bare.deal_id,
      reason: { en: 'the deal has no row in stage_events.csv', ru: 'у сделки нет ни одной строки в stage_events.csv' },
    });
  }
  report.identical_duplicate_stage_rows = await tx.run(
    sql`delete from imp_events a using imp_events b
         where a.deal_id = b.deal_id and a.stage_id = b.stage_id and a.entered_at = b.entered_at and a.line > b.line`,
  );

  // 4. Map to existing deals; drop entries already in the history (re-import).
  await tx.exec(`
    create temp table imp_map on commit drop as
      select d.deal_id, x.id as existing_id from imp_deals d
        left join deals x on x.workspace_id = current_setting('voronka.workspace_id')::int8 and x.external_id = d.deal_id;
    create unique index on imp_map (deal_id);
    insert into imp_map (deal_id, existing_id)
      select distinct e.deal_id, x.id from imp_events e
        join deals x on x.workspace_id = current_setting('voronka.workspace_id')::int8 and x.external_id = e.deal_id
       where not exists (select 1 from imp_map m where m.deal_id = e.deal_id);
    analyze imp_map;`);
  report.stage_entries_already_present = await tx.run(sql`
    delete from imp_events e using imp_map m, stage_events s
     where m.deal_id = e.deal_id and m.existing_id is not null
       and s.workspace_id = ${ws} and s.deal_id = m.existing_id and s.stage_id = e.stage_id and s.entered_at = e.entered_at`);
  // 5. New entries of an existing deal may only extend its history, never rewrite the past.
  const rewrite = await firstRow<{ line: number; deal_id: string; last: Date }>(
    tx,
    sql`select e.line, e.deal_id, x.stage_entered_at as last from imp_events e
          join imp_map m on m.deal_id = e.deal_id
          join deals x on x.workspace_id = ${ws} and x.id = m.existing_id
         where e.entered_at < x.stage_entered_at order by e.line limit 1`,
  );
  if (rewrite) {
    throw rowError({
      file: 'stage_events.csv',
      line: await files.events.lineOf(rewrite.line),
      column: 'entered_at',
      value: rewrite.deal_id,
      reason: {
        en: `the deal's history already runs to ${rewrite.last.toISOString()}; an earlier entry would rewrite it (history is append-only)`,
        ru: `история сделки уже доходит до ${rewrite.last.toISOString()}; более ранняя запись переписала бы её (история только дополняется)`,
      },
    });
  }

  // 6. Reference data: owners, segments, channels, companies found by name or created.
  report.new_owners = await ensureNamed(
    tx,
    ws,
    'owner',
    'users',
    sql`insert into users (workspace_id, name, role) select ${ws}, n, 'manager' from new_names`,
  );
  report.new_segments = await ensureNamed(
    tx,
    ws,
    'segment',
    'segments',
    sql`insert into segments (workspace_id, name) select ${ws}, n from new_names`,
  );
  report.new_channels = await ensureNamed(
    tx,
    ws,
    'channel',
    'channels',
    sql`insert into channels (workspace_id, name) select ${ws}, n from new_names`,
  );
  report.new_companies = (
    await ensureNamed(tx, ws, 'company', 'companies', sql`insert into companies (workspace_id, name) select ${ws}, n from new_names`)
  ).length;

  // 7. Existing deals whose data changed are updated (version bumped); new deals inserted.
  await tx.exec(`
    create temp table imp_resolved on commit drop as
    with ws as (select current_setting('voronka.workspace_id')::int8 as id),
         u as (select distinct on (lower(name)) lower(name) as k, id from users where workspace_id = (select id from ws) order by lower(name), id),
         sg as (select lower(name) as k, id from segments where workspace_id = (select id from ws)),
         ch as (select lower(name) as k, id from channels where workspace_id = (select id from ws)),
         co as (select distinct on (lower(name)) lower(name) as k, id from companies where workspace_id = (select id from ws) order by lower(name), id)
    select d.line, d.deal_id, d.title, d.company, d.owner, d.segment, d.channel, d.region, d.amount_minor, d.created_at,
           m.existing_id, u.id as owner_id, sg.id as segment_id, ch.id as channel_id, co.id as company_id
      from imp_deals d join imp_map m on m.deal_id = d.deal_id
      left join u on u.k = lower(d.owner)
      left join sg on sg.k = lower(d.segment)
      left join ch on ch.k = lower(d.channel)
      left join co on co.k = lower(d.company);
    analyze imp_resolved;`);
  // The updated deals are kept: their visits carry copies of these attributes (step 8).
  await tx.exec('create temp table imp_updated (deal_id int8 primary key) on commit drop');
  report.deals_updated = await tx.run(sql`
    with u as (
      update deals x set title = r.title, amount_minor = r.amount_minor, owner_id = r.owner_id, segment_id = r.segment_id,
                         channel_id = r.channel_id, company_id = r.company_id, region = r.region,
                         version = x.version + 1, updated_at = now()
        from imp_resolved r
       where x.workspace_id = ${ws} and x.id = r.existing_id
         and (x.title, x.amount_minor, x.owner_id, x.segment_id, x.channel_id, x.company_id, x.region)
             is distinct from (r.title, r.amount_minor, r.owner_id, r.segment_id, r.channel_id, r.company_id, r.region)
      returning x.id)
    insert into imp_updated select id from u`);
  const [{ n: existingInFile }] = await tx.query<{ n: number }>(
    sql`select count(*)::int8 as n from imp_resolved where existing_id is not null`,
  );
  report.deals_unchanged = existingInFile - report.deals_updated;

  const [{ n: newCount }] = await tx.query<{ n: number }>(sql`select count(*)::int8 as n from imp_resolved where existing_id is null`);
  if (newCount > 0) {
    const [{ currency }] = await tx.query<{ currency: string }>(sql`select currency from workspaces where workspace_id = ${ws}`);
    const [first] = await tx.query<{ id: number; kind: string }>(
      sql`select id, kind from stages where workspace_id = ${ws} and pipeline_id = ${pipelineId} order by position limit 1`,
    );
    // Placeholder stage and times; refreshDealsIn sets them from the history right after.
    report.deals_created = await tx.run(sql`
      insert into deals (workspace_id, external_id, title, pipeline_id, stage_id, status, stage_entered_at, amount_minor, currency,
                         company_id, owner_id, segment_id, channel_id, region, created_at, updated_at)
      select ${ws}, r.deal_id, r.title, ${pipelineId}, ${first.id}, ${first.kind}, r.created_at, r.amount_minor, ${currency},
             r.company_id, r.owner_id, r.segment_id, r.channel_id, r.region, r.created_at, now()
        from imp_resolved r where r.existing_id is null order by r.line`);
    await tx.exec(`
      update imp_map m set existing_id = x.id from deals x
       where m.existing_id is null and x.workspace_id = current_setting('voronka.workspace_id')::int8 and x.external_id = m.deal_id;`);
    // The steps below join deals by the thousand: the planner must know how many there are now
    // (statistics from when the table was small chose a nested loop: 60,000 deals took 4 minutes).
    await analyzeChanged(tx, ['deals'], report.deals_created);
  }

  // 8. Append the new stage entries and rebuild visits and current state of the touched deals.
  report.stage_entries_added = await tx.run(sql`
    insert into stage_events (workspace_id, deal_id, pipeline_id, stage_id, entered_at, recorded_at, source)
    select ${ws}, m.existing_id, ${pipelineId}, e.stage_id, e.entered_at, now(), 'import'
      from imp_events e join imp_map m on m.deal_id = e.deal_id
     order by m.existing_id, e.entered_at`);
  await analyzeChanged(tx, ['stage_events'], report.stage_entries_added);
  await tx.exec(`
    create temp table imp_touched on commit drop as
      select distinct m.existing_id as deal_id from imp_events e join imp_map m on m.deal_id = e.deal_id;
    analyze imp_touched;`);
  await refreshDealsIn(tx, ws, 'imp_touched');
  // Updated deals without new entries keep their visits: only the copied attributes move.
  await tx.exec(`
    delete from imp_updated u using imp_touched t where t.deal_id = u.deal_id;
    analyze imp_updated;`);
  await syncVisitAttributesIn(tx, ws, 'imp_updated');
  const [{ n: differs }] = await tx.query<{ n: number }>(sql`
    select count(*)::int8 as n from imp_resolved r join deals x on x.workspace_id = ${ws} and x.external_id = r.deal_id
     where x.created_at <> r.created_at`);
  report.created_at_differs_from_first_entry = differs;
}

/** Finds names of one kind used by the bundle that do not exist yet, creates them, and returns them. */
async function ensureNamed(
  tx: Queryable,
  ws: number,
  column: 'owner' | 'segment' | 'channel' | 'company',
  table: string,
  insert: ReturnType<typeof sql>,
): Promise<string[]> {
  await tx.exec(`drop table if exists new_names; create temp table new_names (n text) on commit drop;`);
  await tx.query(
    sql(
      [
        `insert into new_names select distinct on (lower(d.${column})) d.${column} from imp_deals d
           where d.${column} is not null
             and not exists (select 1 from ${table} t where t.workspace_id = `,
        ` and lower(t.name) = lower(d.${column}))
           order by lower(d.${column}), d.line`,
      ],
      ws,
    ),
  );
  const names = (await tx.query<{ n: string }>('select n from new_names order by n')).map((r) => r.n);
  if (names.length > 0) await tx.query(insert);
  return names;
}
