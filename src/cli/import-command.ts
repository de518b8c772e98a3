import { resolve } from 'node:path';
import { type ImportReport, importBundle } from '../imports/bundle-import.ts';
import { importMarketingFunnel } from '../imports/marketing-funnel-import.ts';
import { importMaven } from '../imports/maven-import.ts';
import { systemClock } from '../platform/clock.ts';
import type { Locale } from '../platform/errors.ts';
import { cliLocale, type DbOptions, openMigrated, say } from './cli-support.ts';
import { count, NOUNS, number, seconds } from './wording.ts';

export interface ImportOptions extends DbOptions {
  workspace?: string;
  format: 'canonical' | 'maven' | 'marketing-funnel';
}

/** Files the import read and the encoding of each, once bundle-import reports them (`encodings`). */

/** The import report as the CLI prints it, in one language. */
export function formatImportReport(r: ImportReport, locale: Locale): string[] {
  const lines: string[] = [];
  const out = (en: string, ru: string) => lines.push(locale === 'ru' ? ru : en);
  const rows = (n: number) => ({ en: count(n, NOUNS.row, 'en'), ru: count(n, NOUNS.row, 'ru') });
  if (!r.changed) {
    const deals = { en: count(r.deals_in_file, NOUNS.deal, 'en'), ru: count(r.deals_in_file, NOUNS.deal, 'ru') };
    const entries = { en: count(r.stage_entries_in_file, NOUNS.entry, 'en'), ru: count(r.stage_entries_in_file, NOUNS.entry, 'ru') };
    out(
      `Nothing changed: all ${deals.en} and ${entries.en} are already in workspace "${r.workspace}".`,
      `Ничего не изменилось: ${deals.ru} и ${entries.ru} уже есть в пространстве «${r.workspace}».`,
    );
  } else {
    out(
      `Imported into workspace "${r.workspace}"${r.workspace_created ? ' (new)' : ''}, pipeline "${r.pipeline}"${r.pipeline_created ? ' (new)' : ''} in ${seconds(r.seconds, 'en')}:`,
      `Импортировано в пространство «${r.workspace}»${r.workspace_created ? ' (новое)' : ''}, воронка «${r.pipeline}»${r.pipeline_created ? ' (новая)' : ''} за ${seconds(r.seconds, 'ru')}:`,
    );
  }
  const files = Object.entries(r.encodings ?? {}).map(([file, encoding]) => `${file} (${encoding})`);
  if (files.length > 0) out(`  files read: ${files.join(', ')}`, `  прочитаны файлы: ${files.join(', ')}`);
  if (!r.changed) {
    marketingLines(r, out);
    accountsLines(r, out);
    return lines;
  }
  out(
    `  deals: ${number(r.deals_created, 'en')} created, ${number(r.deals_updated, 'en')} updated, ${number(r.deals_unchanged, 'en')} unchanged (${rows(r.deals_in_file).en})`,
    `  сделки: создано ${number(r.deals_created, 'ru')}, обновлено ${number(r.deals_updated, 'ru')}, без изменений ${number(r.deals_unchanged, 'ru')} (${rows(r.deals_in_file).ru})`,
  );
  out(
    `  stage entries: ${number(r.stage_entries_added, 'en')} added, ${number(r.stage_entries_already_present, 'en')} already present (${rows(r.stage_entries_in_file).en})`,
    `  переходы: добавлено ${number(r.stage_entries_added, 'ru')}, уже были ${number(r.stage_entries_already_present, 'ru')} (${rows(r.stage_entries_in_file).ru})`,
  );
  const notes: [number | string[], string, string][] = [
    [r.identical_duplicate_deal_rows, 'identical repeated deal rows merged', 'объединено одинаковых повторов строк сделок'],
    [r.identical_duplicate_stage_rows, 'identical repeated stage rows merged', 'объединено одинаковых повторов строк переходов'],
    [r.empty_amounts_as_zero, 'deals without amount imported as 0', 'сделок без суммы (импортированы с суммой 0)'],
    [
      r.created_at_differs_from_first_entry,
      'deals whose created_at differs from their first stage entry (reports use the entry)',
      'сделок, у которых created_at не совпадает с первым переходом (отчёты берут переход)',
    ],
    [r.new_owners, 'new owners', 'новые ответственные'],
    [r.new_segments, 'new segments', 'новые сегменты'],
    [r.new_channels, 'new channels', 'новые каналы'],
    [r.new_companies, 'new companies', 'новые компании'],
    [r.ignored_columns, 'ignored columns', 'пропущенные столбцы'],
  ];
  for (const [v, en, ru] of notes) {
    if (Array.isArray(v) ? v.length === 0 : v === 0) continue;
    const shown = Array.isArray(v) ? `${v.length}: ${v.slice(0, 12).join(', ')}${v.length > 12 ? ', …' : ''}` : String(v);
    out(`  ${en}: ${shown}`, `  ${ru}: ${shown}`);
  }
  marketingLines(r, out);
  accountsLines(r, out);
  return lines;
}

/** What leads.csv, touches.csv, spend.csv and icp.json brought, when the bundle had them. */
function marketingLines(r: ImportReport, out: (en: string, ru: string) => void) {
  const m = r.marketing;
  if (!m) return;
  const n = (v: number, l: Locale) => number(v, l);
  out(
    `  leads: ${n(m.leads_created, 'en')} created, ${n(m.leads_updated, 'en')} updated, ${n(m.leads_unchanged, 'en')} unchanged, ${n(m.leads_converted, 'en')} linked to a deal (${count(m.leads_in_file, NOUNS.row, 'en')})`,
    `  лиды: создано ${n(m.leads_created, 'ru')}, обновлено ${n(m.leads_updated, 'ru')}, без изменений ${n(m.leads_unchanged, 'ru')}, связаны со сделкой ${n(m.leads_converted, 'ru')} (${count(m.leads_in_file, NOUNS.row, 'ru')})`,
  );
  if (m.touches_in_file > 0)
    out(
      `  touches: ${n(m.touches_added, 'en')} added, ${n(m.touches_already_present, 'en')} already present (${count(m.touches_in_file, NOUNS.row, 'en')})`,
      `  касания: добавлено ${n(m.touches_added, 'ru')}, уже были ${n(m.touches_already_present, 'ru')} (${count(m.touches_in_file, NOUNS.row, 'ru')})`,
    );
  if (m.spend_in_file > 0)
    out(
      `  spend: ${n(m.spend_created, 'en')} created, ${n(m.spend_updated, 'en')} updated, ${n(m.spend_unchanged, 'en')} unchanged (${count(m.spend_in_file, NOUNS.row, 'en')})`,
      `  расходы: создано ${n(m.spend_created, 'ru')}, обновлено ${n(m.spend_updated, 'ru')}, без изменений ${n(m.spend_unchanged, 'ru')} (${count(m.spend_in_file, NOUNS.row, 'ru')})`,
    );
  if (m.icp_version !== null)
    out(
      `  ICP rules: version ${m.icp_version}${m.icp_changed ? ' (new; every lead re-scored)' : ' (unchanged)'}`,
      `  правила ICP: версия ${m.icp_version}${m.icp_changed ? ' (новая; все лиды пересчитаны)' : ' (без изменений)'}`,
    );
  if (m.new_owners.length)
    out(`  new owners (leads): ${m.new_owners.join(', ')}`, `  новые ответственные (лиды): ${m.new_owners.join(', ')}`);
  if (m.new_channels.length)
    out(`  new channels (leads, touches): ${m.new_channels.join(', ')}`, `  новые каналы (лиды, касания): ${m.new_channels.join(', ')}`);
}

/** What contracts.csv, cases.csv and pipeline.json's gross_margin brought, when the bundle had them. */
function accountsLines(r: ImportReport, out: (en: string, ru: string) => void) {
  const a = r.accounts;
  if (!a) return;
  const n = (v: number, l: Locale) => number(v, l);
  const names = (v: string[]) => `${v.length}: ${v.slice(0, 12).join(', ')}${v.length > 12 ? ', …' : ''}`;
  if (a.contracts_in_file > 0) {
    out(
      `  contracts: ${n(a.contracts_created, 'en')} created, ${n(a.contracts_updated, 'en')} updated, ${n(a.contracts_unchanged, 'en')} unchanged (${count(a.contracts_in_file, NOUNS.row, 'en')})`,
      `  договоры: создано ${n(a.contracts_created, 'ru')}, обновлено ${n(a.contracts_updated, 'ru')}, без изменений ${n(a.contracts_unchanged, 'ru')} (${count(a.contracts_in_file, NOUNS.row, 'ru')})`,
    );
    if (a.overlapping_contracts > 0)
      out(
        `  contracts overlapping another of the same company and product group: ${n(a.overlapping_contracts, 'en')}`,
        `  договоров, пересекающихся с другим договором той же компании и продуктовой группы: ${n(a.overlapping_contracts, 'ru')}`,
      );
    if (a.renewal_tasks_created > 0)
      out(
        `  renewal tasks created: ${n(a.renewal_tasks_created, 'en')}`,
        `  создано задач на продление: ${n(a.renewal_tasks_created, 'ru')}`,
      );
  }
  if (a.cases_in_file > 0)
    out(
      `  service cases: ${n(a.cases_created, 'en')} created, ${n(a.cases_updated, 'en')} updated, ${n(a.cases_unchanged, 'en')} unchanged (${count(a.cases_in_file, NOUNS.row, 'en')})`,
      `  обращения: создано ${n(a.cases_created, 'ru')}, обновлено ${n(a.cases_updated, 'ru')}, без изменений ${n(a.cases_unchanged, 'ru')} (${count(a.cases_in_file, NOUNS.row, 'ru')})`,
    );
  if (a.new_companies.length)
    out(
      `  new companies (contracts, cases): ${names(a.new_companies)}`,
      `  новые компании (договоры, обращения): ${names(a.new_companies)}`,
    );
  if (a.new_product_groups.length)
    out(`  new product groups: ${names(a.new_product_groups)}`, `  новые продуктовые группы: ${names(a.new_product_groups)}`);
  if (a.new_owners.length)
    out(`  new owners (contracts): ${names(a.new_owners)}`, `  новые ответственные (договоры): ${names(a.new_owners)}`);
  if (a.gross_margin !== null)
    out(
      `  gross margin: ${number(a.gross_margin, 'en', 4)}${a.gross_margin_changed ? ' (set)' : ' (unchanged)'}`,
      `  валовая маржа: ${number(a.gross_margin, 'ru', 4)}${a.gross_margin_changed ? ' (установлена)' : ' (без изменений)'}`,
    );
}

export function printImportReport(r: ImportReport) {
  for (const line of formatImportReport(r, cliLocale())) process.stdout.write(`${line}\n`);
}

export async function importCommand(dir: string, opts: ImportOptions): Promise<void> {
  const db = await openMigrated(opts);
  try {
    if (opts.format === 'marketing-funnel') {
      const r = await importMarketingFunnel(db, resolve(dir), {
        workspace: opts.workspace,
        now: systemClock.now(),
        onProgress: (m) => process.stderr.write(`${m}\n`),
        locale: cliLocale(),
      });
      printImportReport(r.bundle);
      const out = (en: string, ru: string) => process.stdout.write(`${say(en, ru)}\n`);
      const q = r.quirks;
      out('The marketing-funnel files:', 'Файлы marketing-funnel:');
      out(`  qualified leads read: ${q.leads_in_file}`, `  прочитано квалифицированных лидов: ${q.leads_in_file}`);
      out(`  closed deals read: ${q.closed_deals_in_file}`, `  прочитано закрытых сделок: ${q.closed_deals_in_file}`);
      out(
        `  leads with an empty origin, as channel "unknown": ${q.origin_empty_as_unknown}`,
        `  лидов без origin (канал «unknown»): ${q.origin_empty_as_unknown}`,
      );
      out(
        `  closed deals without won_date, skipped: ${q.closed_deals_without_won_date_skipped}`,
        `  закрытых сделок без won_date, пропущено: ${q.closed_deals_without_won_date_skipped}`,
      );
      out(
        `  deals without a readable declared_monthly_revenue, amount 0: ${q.revenue_empty_or_unreadable_as_zero}`,
        `  сделок без читаемой declared_monthly_revenue, сумма 0: ${q.revenue_empty_or_unreadable_as_zero}`,
      );
      out(
        `  deals won before their lead's first contact (created at the win): ${q.won_before_first_contact}`,
        `  сделок, выигранных раньше первого контакта лида (созданы в момент выигрыша): ${q.won_before_first_contact}`,
      );
      out(`  deals without a business segment: ${q.segment_empty}`, `  сделок без business_segment: ${q.segment_empty}`);
      return;
    }
    if (opts.format === 'maven') {
      const r = await importMaven(db, resolve(dir), {
        workspace: opts.workspace,
        now: systemClock.now(),
        onProgress: (m) => process.stderr.write(`${m}\n`),
        locale: cliLocale(),
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
      locale: cliLocale(),
    });
    printImportReport(report);
  } finally {
    await db.close();
  }
}
