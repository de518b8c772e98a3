import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sql from 'sql-template-tag';
import { isInitialLoad, withBulkLoad } from '../platform/db/bulk-load.ts';
import { analyzeChanged } from '../platform/db/maintenance.ts';
import type { Db, Queryable } from '../platform/db/types.ts';
import { scopeTo } from '../platform/db/workspace-scope.ts';
import { AppError, type Locale, type Msg, pick } from '../platform/errors.ts';
import { createWorkspace, findWorkspace, type WorkspaceRow } from '../platform/workspaces.ts';
import { createPipeline, loadStages, type StageRow } from '../process/pipelines.ts';
import { accountsChanged, importAccountFiles } from './accounts-files.ts';
import { checkStaged } from './bundle-checks.ts';
import { emptyReport, type ImportReport, type PipelineFile, readPipelineFile } from './bundle-format.ts';
import { mergeStaged } from './bundle-merge.ts';
import { type StagedBundle, stageBundle } from './bundle-stage.ts';
import { stagedSummary } from './csv-stage.ts';
import { rowError } from './import-errors.ts';
import { importMarketingFiles, marketingChanged } from './marketing-files.ts';

export {
  DEAL_COLUMNS,
  EVENT_COLUMNS,
  type ImportReport,
  type PipelineFile,
  pipelineFileSchema,
  readPipelineFile,
} from './bundle-format.ts';

/**
 * The canonical bundle of kpi.md: pipeline.json, deals.csv, stage_events.csv, and the optional
 * marketing (marketing-files.ts) and key-account files (accounts-files.ts).
 *
 * Rows stream into temporary tables inside one transaction (bundle-stage.ts);
 * cross-row checks (duplicates, unknown deals, history rewrites) then run as SQL
 * over them (bundle-checks.ts), and only a bundle that passes every check is
 * merged (bundle-merge.ts). The first problem aborts the transaction: nothing is
 * written. Deals are matched on `deal_id`, so importing the same bundle again
 * changes nothing. Every time the import writes is `now`, read from the caller's
 * clock; the elapsed seconds are a stopwatch's.
 */
export async function importBundle(
  db: Db,
  dir: string,
  opts: {
    workspace?: string;
    /** The injected clock's instant: every created_at, updated_at, recorded_at and started_at the import writes. */
    now: Date;
    onProgress?: (msg: string) => void;
    /** The language of the progress messages (English unless told). */
    locale?: Locale;
    /** Extra writes of a vendor importer, in the same transaction, after the merge. */
    afterMerge?: (tx: Queryable, ws: number) => Promise<boolean>;
    format?: string;
    /** Read, check and merge everything, then roll back: the report of what the import would do. */
    dryRun?: boolean;
    /** Where the files came from, as import_runs records it (the folder unless told). */
    source?: string;
  },
): Promise<ImportReport> {
  const started = performance.now();
  const elapsedMs = () => performance.now() - started;
  const progress = (m: Msg) => opts.onProgress?.(pick(m, opts.locale ?? 'en'));
  const pipelineFile = readPipelineFile(dir);
  for (const f of ['deals.csv', 'stage_events.csv']) {
    if (!existsSync(join(dir, f))) throw rowError({ file: f, reason: { en: `not found in ${dir}`, ru: `нет в папке ${dir}` } });
  }
  const wsName = opts.workspace ?? pipelineFile.name;

  const run = db.transaction(async (tx) => {
    const report = emptyReport(wsName, pipelineFile.name);
    // Workspace and pipeline: found by name, created inside this same transaction.
    const ws = await ensureWorkspace(tx, wsName, pipelineFile, opts.now, report);
    const wsId = ws.workspace_id;
    await scopeTo(tx, wsId);
    const stages = await ensurePipeline(tx, wsId, pipelineFile, opts.now, report);
    const pipelineId = stages[0].pipeline_id;
    const files = await stageBundle(tx, dir, { zone: ws.timezone, currency: ws.currency, stages }, report);
    refuseHeadersOnly(report);
    report.encodings = { [files.deals.file]: files.deals.encoding, [files.events.file]: files.events.encoding };
    for (const f of [files.deals, files.events]) progress(stagedSummary(f));

    const bulk = await checkAndMerge(tx, { ws: wsId, pipelineId, now: opts.now }, report, files, progress);
    const marketing = await importMarketingFiles(tx, dir, { ws: wsId, zone: ws.timezone, currency: ws.currency, now: opts.now });
    if (marketing) report.marketing = marketing;
    const accounts = await importAccountFiles(tx, dir, {
      ws: wsId,
      currency: ws.currency,
      locale: ws.locale,
      now: opts.now,
      grossMargin: pipelineFile.gross_margin,
      onHeader: (file, h) => {
        report.encodings = { ...report.encodings, [file]: h.encoding };
        report.ignored_columns.push(...h.ignored.map((c) => `${file}:${c}`));
      },
    });
    if (accounts) report.accounts = accounts;
    const extraChanged = opts.afterMerge ? await opts.afterMerge(tx, wsId) : false;
    report.changed =
      extraChanged ||
      marketingChanged(marketing) ||
      accountsChanged(accounts) ||
      report.workspace_created ||
      report.pipeline_created ||
      report.deals_created + report.deals_updated + report.stage_entries_added > 0;
    if (report.changed) {
      const rows =
        report.deals_created +
        report.deals_updated +
        report.stage_entries_added +
        report.new_companies +
        (accounts ? accounts.contracts_created + accounts.contracts_updated + accounts.cases_created + accounts.cases_updated : 0);
      // (the merge analyzed deals and stage entries as it grew them; an initial load, its own tables)
      // What an import writes besides deals and entries: visits, counters and the names it creates.
      const more = [
        'stage_visits',
        'funnel_counters',
        'users',
        'segments',
        'channels',
        'companies',
        ...(marketing ? ['leads', 'touches'] : []),
        ...(accounts ? ['contracts', 'service_cases', 'product_groups', 'tasks'] : []),
      ];
      await analyzeChanged(tx, bulk ? more.filter((t) => !BULK_TABLES.includes(t)) : more, rows);
    }
    report.seconds = elapsedMs() / 1000;
    if (report.changed) {
      await tx.query(
        sql`insert into import_runs (workspace_id, format, source, started_at, finished_at, stats)
            values (${wsId}, ${opts.format ?? 'canonical'}, ${opts.source ?? dir}, ${opts.now}, ${new Date(opts.now.getTime() + elapsedMs())}, ${JSON.stringify(report)}::jsonb)`,
      );
    }
    if (opts.dryRun) throw new DryRun({ ...report, dry_run: true });
    return report;
  });
  try {
    return await run;
  } catch (e) {
    // The rollback is the point of a dry run: its report is what the import would have done.
    if (e instanceof DryRun) return e.report;
    throw e;
  }
}

/** Thrown out of a dry run's transaction to roll it back, carrying the report. */
class DryRun extends Error {
  constructor(readonly report: ImportReport) {
    super('dry run');
  }
}

/** The tables an initial load fills with their indexes and foreign keys off (platform/db/bulk-load.ts). */
const BULK_TABLES = ['deals', 'stage_events', 'stage_visits'];

/** The cross-row checks, then the merge: as one bulk load when the workspace's history is empty (returns whether it was). */
async function checkAndMerge(
  tx: Queryable,
  target: { ws: number; pipelineId: number; now: Date },
  report: ImportReport,
  files: StagedBundle,
  progress: (m: Msg) => void,
): Promise<boolean> {
  const merge = async () => {
    await checkStaged(tx, target.ws, report, files);
    await mergeStaged(tx, target, report);
  };
  const bulk = await isInitialLoad(tx, target.ws, report.stage_entries_in_file);
  if (bulk) {
    progress({
      en: 'initial load: indexes and foreign keys of deals and the history are rebuilt once at the end',
      ru: 'первая загрузка: индексы и внешние ключи сделок и истории перестраиваются один раз в конце',
    });
    await withBulkLoad(tx, BULK_TABLES, merge);
  } else {
    await merge();
  }
  return bulk;
}

/** The workspace the bundle goes into, created if new; an existing one must count money in the bundle's currency. */
async function ensureWorkspace(tx: Queryable, name: string, file: PipelineFile, now: Date, report: ImportReport): Promise<WorkspaceRow> {
  const ws = await findWorkspace(tx, name);
  if (!ws) {
    report.workspace_created = true;
    return createWorkspace(tx, { name, currency: file.currency, timezone: file.timezone }, now);
  }
  if (ws.currency !== file.currency) {
    throw rowError({
      file: 'pipeline.json',
      column: 'currency',
      value: file.currency,
      reason: {
        en: `workspace "${ws.name}" counts money in ${ws.currency}`,
        ru: `пространство «${ws.name}» ведёт учёт в ${ws.currency}`,
      },
    });
  }
  return ws;
}

/** Headers only: an import that brings nothing creates nothing (no workspace, no pipeline). */
function refuseHeadersOnly(report: ImportReport) {
  if (report.deals_in_file > 0 || report.stage_entries_in_file > 0) return;
  throw new AppError(
    'IMPORT_FILE_INVALID',
    {
      en: 'deals.csv and stage_events.csv hold no rows, only their headers: nothing to import, nothing was created',
      ru: 'в deals.csv и stage_events.csv нет ни одной строки, только заголовки: импортировать нечего, ничего не создано',
    },
    { file: 'deals.csv', line: null, column: null, value: null, reason: 'no rows' },
  );
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
