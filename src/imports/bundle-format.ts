import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../platform/errors.ts';
import { checkWorkspaceInput } from '../platform/workspaces.ts';
import { checkStageSet, STAGE_KINDS } from '../process/pipelines.ts';
import type { StagedCsv } from './csv-stage.ts';
import { rowError } from './import-errors.ts';

/** What the canonical bundle of kpi.md holds: pipeline.json, and the columns of deals.csv and stage_events.csv. */

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
