import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../platform/errors.ts';
import { issuesToFields } from '../platform/http/validation.ts';
import { checkWorkspaceInput } from '../platform/workspaces.ts';
import { checkStageSet, STAGE_KINDS } from '../process/pipelines.ts';
import { accountsReportSchema, grossMarginProblem } from './accounts-files.ts';
import { jsonFailure, rowError } from './import-errors.ts';
import { marketingReportSchema } from './marketing-files.ts';

/** What the canonical bundle of kpi.md holds: pipeline.json, and the columns of deals.csv and stage_events.csv. */

export const pipelineFileSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code such as RUB'),
  timezone: z.string().min(1).max(64),
  stages: z
    .array(z.strictObject({ name: z.string().trim().min(1).max(200), kind: z.enum(STAGE_KINDS) }))
    .min(3)
    .max(50),
  /** The workspace's gross margin for LTV (kpi.md: a fraction in (0, 1], 1 by default). */
  gross_margin: z.number().gt(0).max(1).optional(),
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

/** What an import did (the API's answer, the CLI's report, import_runs.stats). */
export const importReportSchema = z.object({
  workspace: z.string(),
  workspace_created: z.boolean(),
  pipeline: z.string(),
  pipeline_created: z.boolean(),
  deals_in_file: z.number().int(),
  deals_created: z.number().int(),
  deals_updated: z.number().int(),
  deals_unchanged: z.number().int(),
  stage_entries_in_file: z.number().int(),
  stage_entries_added: z.number().int(),
  stage_entries_already_present: z.number().int(),
  identical_duplicate_deal_rows: z.number().int(),
  identical_duplicate_stage_rows: z.number().int(),
  created_at_differs_from_first_entry: z.number().int(),
  empty_amounts_as_zero: z.number().int(),
  new_owners: z.array(z.string()),
  new_segments: z.array(z.string()),
  new_channels: z.array(z.string()),
  new_companies: z.number().int(),
  ignored_columns: z.array(z.string()),
  changed: z.boolean(),
  seconds: z.number(),
  /** The encoding each CSV file was read in, e.g. {"deals.csv": "Windows-1251"}. */
  encodings: z.record(z.string(), z.enum(['UTF-8', 'Windows-1251'])).optional(),
  /** A check without writing: everything was read, checked and merged, then rolled back. */
  dry_run: z.boolean().optional(),
  /** What the optional leads.csv, touches.csv, spend.csv and icp.json brought (absent: none of them). */
  marketing: marketingReportSchema.optional(),
  /** What the optional contracts.csv, cases.csv and pipeline.json's gross_margin brought (absent: none of them). */
  accounts: accountsReportSchema.optional(),
});
export type ImportReport = z.infer<typeof importReportSchema>;

/** A report of nothing done yet, its keys in the order import_runs.stats has always stored them. */
export function emptyReport(workspace: string, pipeline: string): ImportReport {
  return {
    workspace,
    workspace_created: false,
    pipeline,
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
}

const bothLanguages = (m: string | { en: string; ru: string }) => (typeof m === 'string' ? { en: m, ru: m } : m);

export function readPipelineFile(dir: string): PipelineFile {
  const path = join(dir, 'pipeline.json');
  if (!existsSync(path)) throw rowError({ file: 'pipeline.json', reason: { en: `not found in ${dir}`, ru: `нет в папке ${dir}` } });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    throw rowError({
      file: 'pipeline.json',
      reason: jsonFailure(e),
    });
  }
  const margin = grossMarginProblem(json);
  if (margin) throw rowError({ file: 'pipeline.json', column: 'gross_margin', value: margin.value, reason: margin.reason });
  const r = pipelineFileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw rowError({ file: 'pipeline.json', column: i.path.join('.') || undefined, reason: bothLanguages(issuesToFields([i])[0].message) });
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
