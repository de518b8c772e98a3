import { resolve } from 'node:path';
import { type ImportReport, importBundle } from '../imports/bundle-import.ts';
import { importMaven } from '../imports/maven-import.ts';
import { systemClock } from '../platform/clock.ts';
import { type DbOptions, openMigrated, say } from './cli-support.ts';

export interface ImportOptions extends DbOptions {
  workspace?: string;
  format: 'canonical' | 'maven';
}

export function printImportReport(r: ImportReport) {
  const out = (en: string, ru: string) => process.stdout.write(`${say(en, ru)}\n`);
  if (!r.changed) {
    out(
      `Nothing changed: all ${r.deals_in_file} deals and ${r.stage_entries_in_file} stage entries are already in workspace "${r.workspace}".`,
      `Ничего не изменилось: все ${r.deals_in_file} сделок и ${r.stage_entries_in_file} переходов уже есть в пространстве «${r.workspace}».`,
    );
  } else {
    out(
      `Imported into workspace "${r.workspace}"${r.workspace_created ? ' (new)' : ''}, pipeline "${r.pipeline}"${r.pipeline_created ? ' (new)' : ''} in ${r.seconds.toFixed(1)} s:`,
      `Импортировано в пространство «${r.workspace}»${r.workspace_created ? ' (новое)' : ''}, воронка «${r.pipeline}»${r.pipeline_created ? ' (новая)' : ''} за ${r.seconds.toFixed(1)} с:`,
    );
    out(
      `  deals: ${r.deals_created} created, ${r.deals_updated} updated, ${r.deals_unchanged} unchanged (${r.deals_in_file} rows)`,
      `  сделки: создано ${r.deals_created}, обновлено ${r.deals_updated}, без изменений ${r.deals_unchanged} (строк: ${r.deals_in_file})`,
    );
    out(
      `  stage entries: ${r.stage_entries_added} added, ${r.stage_entries_already_present} already present (${r.stage_entries_in_file} rows)`,
      `  переходы: добавлено ${r.stage_entries_added}, уже были ${r.stage_entries_already_present} (строк: ${r.stage_entries_in_file})`,
    );
  }
  const notes: [number | string[], string, string][] = [
    [r.identical_duplicate_deal_rows, 'identical repeated deal rows merged', 'одинаковых повторов строк сделок объединено'],
    [r.identical_duplicate_stage_rows, 'identical repeated stage rows merged', 'одинаковых повторов строк переходов объединено'],
    [r.empty_amounts_as_zero, 'deals without amount imported as 0', 'сделок без суммы импортировано с суммой 0'],
    [
      r.created_at_differs_from_first_entry,
      'deals whose created_at differs from their first stage entry (reports use the entry)',
      'сделок, у которых created_at не совпадает с первым переходом (отчёты используют переход)',
    ],
    [r.new_owners, 'new owners', 'новые ответственные'],
    [r.new_segments, 'new segments', 'новые сегменты'],
    [r.new_channels, 'new channels', 'новые каналы'],
    [r.new_companies, 'new companies', 'новых компаний'],
    [r.ignored_columns, 'ignored columns', 'пропущенные столбцы'],
  ];
  for (const [v, en, ru] of notes) {
    if (Array.isArray(v) ? v.length === 0 : v === 0) continue;
    const shown = Array.isArray(v) ? `${v.length}: ${v.slice(0, 12).join(', ')}${v.length > 12 ? ', …' : ''}` : String(v);
    out(`  ${en}: ${shown}`, `  ${ru}: ${shown}`);
  }
}

export async function importCommand(dir: string, opts: ImportOptions): Promise<void> {
  const db = await openMigrated(opts);
  try {
    if (opts.format === 'maven') {
      const r = await importMaven(db, resolve(dir), {
        workspace: opts.workspace,
        now: systemClock.now(),
        onProgress: (m) => process.stderr.write(`${m}\n`),
      });
      printImportReport(r.bundle);
      const out = (en: string, ru: string) => process.stdout.write(`${say(en, ru)}\n`);
      out('Maven data set quirks handled (rows affected):', 'Особенности набора Maven (затронуто строк):');
      for (const [k, v] of Object.entries(r.quirks)) out(`  ${k}: ${v}`, `  ${k}: ${v}`);
      out(
        `  agents without deals (created, in their team): ${r.agents_without_deals.join(', ') || 'none'}`,
        `  агенты без сделок (созданы, в своей команде): ${r.agents_without_deals.join(', ') || 'нет'}`,
      );
      out(`  snapshot date (for deals without dates): ${r.snapshot_date}`, `  дата среза (для сделок без дат): ${r.snapshot_date}`);
      return;
    }
    const report = await importBundle(db, resolve(dir), {
      workspace: opts.workspace,
      now: systemClock.now(),
      onProgress: (m) => process.stderr.write(`${m}\n`),
    });
    printImportReport(report);
  } finally {
    await db.close();
  }
}
