import { type DisciplineBreakdown, type DisciplineKpis, disciplineReport } from '../analytics/discipline-report.ts';
import { type DrillMetric, funnelDeals } from '../analytics/funnel-deals.ts';
import { FILTERS, type FilterKey, type FunnelParams, funnelParamsSchema, resolveFunnelQuery } from '../analytics/funnel-query.ts';
import { funnelReport } from '../analytics/funnel-report.ts';
import type { FunnelGroup, FunnelKpis, FunnelReport } from '../analytics/funnel-schema.ts';
import type { Explain } from '../analytics/metrics/explain.ts';
import { funnelMetrics } from '../analytics/metrics/funnel-metrics.ts';
import type { Formatters, LabelledCell, PrintedCells, Text } from '../analytics/metrics/registry.ts';
import { systemClock } from '../platform/clock.ts';
import { inWorkspace } from '../platform/db/workspace-scope.ts';
import { pick, validationError } from '../platform/errors.ts';
import { issuesToFields } from '../platform/http/validation.ts';
import { formatEstimate, formatMajor } from '../platform/money.ts';
import { resolveWorkspace } from '../platform/workspaces.ts';
import { cliLocale, type DbOptions, openMigrated, say } from './cli-support.ts';
import { count, countBoth, NOUNS, percent } from './wording.ts';

export interface ReportOptions extends DbOptions, Partial<Record<FilterKey, string>> {
  json?: boolean;
  explain?: boolean;
  from?: string;
  to?: string;
  asOf?: string;
  by?: string;
  pipeline?: string;
  workspace?: string;
  metric?: string;
  stage?: string;
  limit?: string;
}

function params(opts: ReportOptions): FunnelParams {
  const raw = {
    from: opts.from,
    to: opts.to,
    as_of: opts.asOf,
    ...Object.fromEntries(FILTERS.map((k) => [k, opts[k]])),
    by: opts.by,
    pipeline: opts.pipeline,
  };
  const clean = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const r = funnelParamsSchema.safeParse(clean);
  if (!r.success) throw validationError(issuesToFields(r.error.issues).map((f) => ({ ...f, field: `--${f.field.replace('_', '-')}` })));
  return r.data;
}

const nf = () => new Intl.NumberFormat(cliLocale() === 'ru' ? 'ru-RU' : 'en-US', { maximumFractionDigits: 1 });
const locale = () => (cliLocale() === 'ru' ? 'ru-RU' : 'en-US');
/** An exact amount (a deal, a sum of deals) in major units: the currency's decimals only when it has a fraction. */
const money = (v: number | null, currency: string) => (v === null ? '—' : formatMajor(v, currency, locale()));
/** An estimate (an average, a weighted sum, money per day): whole units. */
const estimate = (v: number | null, currency: string) => (v === null ? '—' : formatEstimate(v, currency, locale()));
/** «66,7 %» / "66.7%". */
const pct = (v: number | null) => (v === null ? '—' : percent(v));
const num = (v: number | null) => (v === null ? '—' : nf().format(v));

function table(rows: string[][], right: Set<number> = new Set()): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const tr = (t: Text) => say(t.en, t.ru);

/** The CLI's way of writing each kind of value, in its language and the report's currency. */
function formatters(currency: string): Formatters {
  return {
    count: (v) => String(v),
    num,
    pct,
    money: (v) => money(v, currency),
    estimate: (v) => estimate(v, currency),
  };
}

/** Labelled cells side by side, a line per row: label, value, label, value… */
function summaryTable(lines: LabelledCell[][]): string {
  const rows = lines.map((line) => line.flatMap((c) => [tr(c.label), c.cell]));
  const width = Math.max(...rows.map((r) => r.length));
  return table(rows.map((r) => [...r, ...Array<string>(width - r.length).fill('')]));
}

function partsTable(p: PrintedCells['parts']): string {
  const rows = [
    [tr(p.label), ...p.columns.map((c) => tr(c.label))],
    ...p.names.map((name, i) => [name, ...p.columns.map((c) => c.cells[i])]),
  ];
  return table(rows, new Set(p.columns.map((_, i) => i + 1)));
}

/** One group's figures as every funnel metric's `print` says (metrics/funnel-metrics.ts). */
function summary(k: FunnelKpis, currency: string): string {
  const cells = funnelMetrics.cells(k, formatters(currency));
  return `${summaryTable(cells.summary)}\n\n${partsTable(cells.parts)}`;
}

function groupsTable(groups: FunnelGroup[], total: FunnelKpis, currency: string): string {
  const f = formatters(currency);
  const row = (key: string, k: FunnelKpis) => [key, ...funnelMetrics.cells(k, f).columns.map((c) => c.cell)];
  const head = [say('Group', 'Группа'), ...funnelMetrics.cells(total, f).columns.map((c) => tr(c.label))];
  return table(
    [head, ...groups.map((g) => row(g.key ?? say('(not set)', '(не задано)'), g)), row(say('Total', 'Итого'), total)],
    new Set(head.slice(1).map((_, i) => i + 1)),
  );
}

const msg = (m: { en: string; ru: string }) => pick(m, cliLocale());

/** The statements behind a report and their timings (`--explain`), each with its parameters. */
export function printExplain(e: Explain) {
  const ms = (v: number) => `${nf().format(v)} ${say('ms', 'мс')}`;
  const spent = e.statements.reduce((sum, s) => sum + s.ms, 0);
  const param = (v: unknown) => (v instanceof Date ? v.toISOString() : JSON.stringify(v));
  const out = [
    say(
      `SQL (${e.engine}): ${count(e.statements.length, NOUNS.statement)}, ${ms(spent)} of ${ms(e.total_ms)}`,
      `SQL (${e.engine}): ${count(e.statements.length, NOUNS.statement)}, ${ms(spent)} из ${ms(e.total_ms)}`,
    ),
  ];
  e.statements.forEach((s, i) => {
    out.push('', `-- ${i + 1}. ${s.name} · ${ms(s.ms)} · ${count(s.rows, NOUNS.row)}`, dedent(s.sql));
    if (s.params.length) out.push(`-- ${s.params.map((v, j) => `$${j + 1} = ${param(v)}`).join(', ')}`);
  });
  process.stdout.write(`\n${out.join('\n')}\n`);
}

/** A statement as written in the code, without the indentation of the code around it. */
function dedent(text: string): string {
  const lines = text.split('\n');
  while (lines.length && !lines[0].trim()) lines.shift();
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent).trimEnd()).join('\n');
}

export function printFunnel(r: FunnelReport) {
  const filters = Object.entries(r.filters)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const head = say(
    `Funnel "${r.pipeline.name}" · ${r.workspace} · [${r.period.from}, ${r.period.to}) · as of ${r.as_of}${r.as_of_capped ? ' (capped at now)' : ''} · ${r.time_zone}${filters ? ` · ${filters}` : ''}`,
    `Воронка «${r.pipeline.name}» · ${r.workspace} · [${r.period.from}, ${r.period.to}) · на ${r.as_of}${r.as_of_capped ? ' (ограничено текущим моментом)' : ''} · ${r.time_zone}${filters ? ` · ${filters}` : ''}`,
  );
  const body = 'groups' in r ? groupsTable(r.groups, r.total, r.currency) : summary(r, r.currency);
  process.stdout.write(`${head}\n\n${body}\n`);
}

export async function reportFunnelCommand(opts: ReportOptions): Promise<void> {
  const p = params(opts);
  const db = await openMigrated(opts);
  try {
    const ws = await resolveWorkspace(db, opts.workspace);
    const r = await inWorkspace(db, ws.workspace_id, async (tx) =>
      funnelReport(tx, await resolveFunnelQuery(tx, ws.workspace_id, p, systemClock.now()), { explain: opts.explain }),
    );
    if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else {
      printFunnel(r);
      if (r.explain) printExplain(r.explain);
    }
  } finally {
    await db.close();
  }
}

export async function reportDealsCommand(opts: ReportOptions): Promise<void> {
  const { by: _by, ...p } = params(opts);
  const limit = Number(opts.limit ?? 50);
  const db = await openMigrated(opts);
  try {
    const ws = await resolveWorkspace(db, opts.workspace);
    const r = await inWorkspace(db, ws.workspace_id, async (tx) =>
      funnelDeals(tx, await resolveFunnelQuery(tx, ws.workspace_id, p, systemClock.now()), opts.metric as DrillMetric, opts.stage, {
        limit,
        offset: 0,
      }),
    );
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return;
    }
    const deals = countBoth(r.total, NOUNS.deal);
    process.stdout.write(
      `${say(`${msg(deals)} behind ${r.metric}${r.stage ? ` (${r.stage})` : ''}`, `${msg(deals)} за показателем ${r.metric}${r.stage ? ` (${r.stage})` : ''}`)}\n\n`,
    );
    const rows = [
      [say('Deal', 'Сделка'), say('Amount', 'Сумма'), say('Stage', 'Этап'), say('Days', 'Дней'), say('Owner', 'Ответственный')],
      ...r.items.map((i) => [i.title, money(i.amount, ws.currency), i.stage, num(i.days_in_stage), i.owner ?? '—']),
    ];
    process.stdout.write(`${table(rows, new Set([1, 3]))}\n`);
  } finally {
    await db.close();
  }
}

export async function reportDisciplineCommand(opts: ReportOptions): Promise<void> {
  const { by, ...p } = params({ ...opts, by: undefined });
  void by;
  const db = await openMigrated(opts);
  try {
    const ws = await resolveWorkspace(db, opts.workspace);
    const r = await inWorkspace(db, ws.workspace_id, async (tx) =>
      disciplineReport(
        tx,
        await resolveFunnelQuery(tx, ws.workspace_id, p, systemClock.now()),
        (opts.by as DisciplineBreakdown | undefined) ?? null,
      ),
    );
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return;
    }
    const head = [
      say('Group', 'Группа'),
      say('due', 'к сроку'),
      say('on time', 'вовремя'),
      say('on-time rate', 'доля вовремя'),
      say('overdue now', 'просрочено'),
      say('mean delay d', 'ср. опоздание, дн'),
      say('card completeness', 'заполненность'),
      say('score', 'оценка'),
    ];
    const row = (key: string, k: DisciplineKpis) => [
      key,
      String(k.tasks_due),
      String(k.tasks_on_time),
      pct(k.on_time_rate),
      String(k.overdue_open),
      num(k.mean_delay_days),
      pct(k.card_completeness),
      pct(k.discipline_score),
    ];
    const rows =
      'groups' in r
        ? [...r.groups.map((g) => row(g.key ?? say('(not set)', '(не задано)'), g)), row(say('Total', 'Итого'), r.total)]
        : [row(say('Total', 'Итого'), r as unknown as DisciplineKpis)];
    process.stdout.write(
      `${say(`Discipline · ${r.workspace} · [${r.period.from}, ${r.period.to}) · as of ${r.as_of}`, `Дисциплина · ${r.workspace} · [${r.period.from}, ${r.period.to}) · на ${r.as_of}`)}\n\n${table([head, ...rows], new Set([1, 2, 3, 4, 5, 6, 7]))}\n`,
    );
    if (r.suggested_due_days.length) {
      process.stdout.write(
        `\n${say('Suggested SLAs (median days from stage entry to done, won deals, n ≥ 10):', 'Предлагаемые сроки (медиана дней от входа в этап до выполнения, выигранные сделки, n ≥ 10):')}\n`,
      );
      process.stdout.write(
        `${table(
          [
            [say('Stage', 'Этап'), say('Segment', 'Сегмент'), say('Task type', 'Тип задачи'), 'n', say('median d', 'медиана, дн')],
            ...r.suggested_due_days.map((x) => [x.stage, x.segment ?? '—', x.type, String(x.n), num(x.median_days)]),
          ],
          new Set([3, 4]),
        )}\n`,
      );
    }
  } finally {
    await db.close();
  }
}
