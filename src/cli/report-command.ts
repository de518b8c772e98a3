import { type DisciplineBreakdown, type DisciplineKpis, disciplineReport } from '../analytics/discipline-report.ts';
import { type DrillMetric, funnelDeals } from '../analytics/funnel-deals.ts';
import { type FunnelParams, funnelParamsSchema, resolveFunnelQuery } from '../analytics/funnel-query.ts';
import { funnelReport } from '../analytics/funnel-report.ts';
import type { FunnelGroup, FunnelKpis, FunnelReport } from '../analytics/funnel-types.ts';
import { systemClock } from '../platform/clock.ts';
import { inWorkspace } from '../platform/db/workspace-scope.ts';
import { validationError } from '../platform/errors.ts';
import { issuesToFields } from '../platform/http/validation.ts';
import { formatEstimate, formatMajor } from '../platform/money.ts';
import { resolveWorkspace } from '../platform/workspaces.ts';
import { cliLocale, type DbOptions, openMigrated, say } from './cli-support.ts';

export interface ReportOptions extends DbOptions {
  json?: boolean;
  from?: string;
  to?: string;
  asOf?: string;
  segment?: string;
  owner?: string;
  channel?: string;
  region?: string;
  team?: string;
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
    segment: opts.segment,
    owner: opts.owner,
    channel: opts.channel,
    region: opts.region,
    team: opts.team,
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
const pct = (v: number | null) => (v === null ? '—' : `${nf().format(v * 100)}%`);
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

function summary(k: FunnelKpis, currency: string): string {
  const lines = [
    [
      say('Deals created', 'Создано сделок'),
      num(k.deals_created),
      say('Won / lost', 'Выиграно / проиграно'),
      `${k.deals_won} / ${k.deals_lost}`,
    ],
    [say('Win rate', 'Конверсия в успех'), pct(k.win_rate), say('Cohort win rate', 'Винрейт когорты'), pct(k.cohort_win_rate)],
    [
      say('Won amount', 'Выиграно, сумма'),
      money(k.won_amount, currency),
      say('Average won deal', 'Средняя выигранная'),
      estimate(k.avg_won_amount, currency),
    ],
    [
      say('Cycle, days (mean / median / p90)', 'Цикл, дней (среднее / медиана / p90)'),
      `${num(k.cycle_days.mean)} / ${num(k.cycle_days.median)} / ${num(k.cycle_days.p90)}`,
      '',
      '',
    ],
    [say('Open deals', 'Открытых сделок'), num(k.open_deals), say('Open amount', 'Сумма открытых'), money(k.open_amount, currency)],
    [
      say('Weighted pipeline', 'Взвешенная воронка'),
      estimate(k.weighted_pipeline, currency),
      say('Velocity per day', 'Скорость, в день'),
      estimate(k.velocity_per_day, currency),
    ],
    [say('Stuck deals', 'Подвисших сделок'), num(k.stuck_deals), '', ''],
  ];
  const stages = [
    [
      say('Stage', 'Этап'),
      say('entered', 'вошло'),
      say('advanced', 'прошло'),
      say('lost', 'потеряно'),
      say('conversion', 'конверсия'),
      say('visits', 'визитов'),
      say('median d', 'медиана, дн'),
      say('p90 d', 'p90, дн'),
      say('P(win)', 'P(успех)'),
    ],
    ...k.stage_conversion.map((c, i) => {
      const d = k.stage_duration_days[i];
      const p = k.stage_win_probability[i];
      return [
        c.stage,
        String(c.entered),
        String(c.advanced),
        String(c.lost),
        pct(c.rate),
        String(d.n),
        num(d.median),
        num(d.p90),
        pct(p.p),
      ];
    }),
  ];
  return `${table(lines)}\n\n${table(stages, new Set([1, 2, 3, 4, 5, 6, 7, 8]))}`;
}

function groupsTable(groups: FunnelGroup[], total: FunnelKpis, currency: string): string {
  const head = [
    say('Group', 'Группа'),
    say('created', 'создано'),
    say('won', 'выиграно'),
    say('lost', 'проиграно'),
    say('win rate', 'винрейт'),
    say('won amount', 'выиграно, сумма'),
    say('cycle med. d', 'цикл, мед. дн'),
    say('open', 'открыто'),
    say('weighted', 'взвешенно'),
    say('stuck', 'подвисло'),
  ];
  const row = (key: string, k: FunnelKpis) => [
    key,
    String(k.deals_created),
    String(k.deals_won),
    String(k.deals_lost),
    pct(k.win_rate),
    money(k.won_amount, currency),
    num(k.cycle_days.median),
    String(k.open_deals),
    estimate(k.weighted_pipeline, currency),
    String(k.stuck_deals),
  ];
  return table(
    [head, ...groups.map((g) => row(g.key ?? say('(not set)', '(не задано)'), g)), row(say('Total', 'Итого'), total)],
    new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]),
  );
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
  const body = 'groups' in r ? groupsTable(r.groups, r.total, r.currency) : summary(r as unknown as FunnelKpis, r.currency);
  process.stdout.write(`${head}\n\n${body}\n`);
}

export async function reportFunnelCommand(opts: ReportOptions): Promise<void> {
  const p = params(opts);
  const db = await openMigrated(opts);
  try {
    const ws = await resolveWorkspace(db, opts.workspace);
    const r = await inWorkspace(db, ws.workspace_id, async (tx) =>
      funnelReport(tx, await resolveFunnelQuery(tx, ws.workspace_id, p, systemClock.now())),
    );
    if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else printFunnel(r);
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
    process.stdout.write(
      `${say(`${r.total} deals behind ${r.metric}${r.stage ? ` (${r.stage})` : ''}`, `${r.total} сделок за показателем ${r.metric}${r.stage ? ` (${r.stage})` : ''}`)}\n\n`,
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
