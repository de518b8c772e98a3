import { type AccountKpis, type AccountsReport, accountsParamsSchema, accountsReport } from '../accounts/accounts-report.ts';
import { CASE_KINDS } from '../accounts/cases.ts';
import { checkReportSize, resolveFunnelQuery } from '../analytics/funnel-query.ts';
import { systemClock } from '../platform/clock.ts';
import { inWorkspace } from '../platform/db/workspace-scope.ts';
import { validationError } from '../platform/errors.ts';
import { issuesToFields } from '../platform/http/validation.ts';
import { formatEstimate, formatMajor } from '../platform/money.ts';
import { resolveWorkspace } from '../platform/workspaces.ts';
import { cliLocale, type DbOptions, openMigrated, say } from './cli-support.ts';
import { percent } from './wording.ts';

export interface AccountsOptions extends DbOptions {
  json?: boolean;
  from?: string;
  to?: string;
  asOf?: string;
  by?: 'owner' | 'month';
  pipeline?: string;
  workspace?: string;
}

const locale = () => (cliLocale() === 'ru' ? 'ru-RU' : 'en-US');
const dash = '—';
const num = (v: number | null) => (v === null ? dash : new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(v));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const KIND: Record<(typeof CASE_KINDS)[number], [string, string]> = {
  complaint: ['complaints', 'жалобы'],
  claim: ['claims', 'рекламации'],
  question: ['questions', 'вопросы'],
  praise: ['praise', 'благодарности'],
};

export function printAccounts(r: AccountsReport) {
  const c = r.currency;
  const money = (v: number | null) => (v === null ? dash : formatMajor(v, c, locale()));
  const estimate = (v: number | null) => (v === null ? dash : formatEstimate(v, c, locale()));
  const pct = (v: number | null) => (v === null ? dash : percent(v));
  const int = (v: number | null) => (v === null ? dash : String(v));
  const lines: [string, (k: AccountKpis) => string][] = [
    [say('accounts at start → end', 'клиентов в начале → в конце'), (k) => `${int(k.accounts_start)} → ${int(k.accounts_end)}`],
    [say('new accounts (their MRR)', 'новых клиентов (их MRR)'), (k) => `${int(k.new_accounts)} (${money(k.new_mrr)})`],
    [say('MRR at start', 'MRR в начале'), (k) => money(k.start_mrr)],
    [say('+ expansion', '+ расширение'), (k) => money(k.expansion_mrr)],
    [say('− contraction', '− сокращение'), (k) => money(k.contraction_mrr)],
    [say('− churned', '− отток'), (k) => money(k.churned_mrr)],
    [say('MRR at end (all accounts)', 'MRR в конце (все клиенты)'), (k) => money(k.end_mrr)],
    ['NRR', (k) => pct(k.nrr)],
    [say('revenue churn', 'отток выручки'), (k) => pct(k.revenue_churn_rate)],
    [say('logo churn', 'отток клиентов'), (k) => pct(k.logo_churn_rate)],
    [
      say('renewals (renewed / ending)', 'продления (продлено / заканчивалось)'),
      (k) => `${pct(k.renewal_rate)} (${int(k.contracts_renewed)} / ${int(k.contracts_ending)})`,
    ],
    [say('cross-sell', 'кросс-продажи'), (k) => pct(k.cross_sell_rate)],
    ['LTV', (k) => estimate(k.ltv)],
    [say('deals won', 'выиграно сделок'), (k) => String(k.deals_won)],
    [
      say('case resolution, days (n, median, p90)', 'решение обращений, дней (n, медиана, p90)'),
      (k) => `${k.case_resolution_days.n}, ${num(k.case_resolution_days.median)}, ${num(k.case_resolution_days.p90)}`,
    ],
  ];
  const title = say(
    `Accounts · ${r.workspace} · [${r.period.from}, ${r.period.to}) · as of ${r.as_of}${r.as_of_capped ? ' (capped at now)' : ''} · ${r.time_zone} · gross margin ${num(r.gross_margin)}`,
    `Клиенты · ${r.workspace} · [${r.period.from}, ${r.period.to}) · на ${r.as_of}${r.as_of_capped ? ' (ограничено текущим моментом)' : ''} · ${r.time_zone} · валовая маржа ${num(r.gross_margin)}`,
  );
  const out = [title, ''];
  const cols: { name: string; k: AccountKpis }[] =
    'groups' in r
      ? [
          ...r.groups.map((g) => ({ name: g.key ?? say('(none)', '(нет)'), k: g as AccountKpis })),
          { name: say('Total', 'Итого'), k: r.total },
        ]
      : [{ name: say('Total', 'Итого'), k: r }];
  out.push(table([['', ...cols.map((x) => x.name)], ...lines.map(([label, f]) => [label, ...cols.map((x) => f(x.k))])]));
  const total = 'groups' in r ? r.total : r;
  out.push(
    '',
    table([
      [
        say('Cases opened', 'Обращения'),
        say('total', 'всего'),
        say('per 100 won', 'на 100 выигранных'),
        say('by service', 'сервис'),
        say('by sales', 'продавцы'),
      ],
      ...CASE_KINDS.map((k) => [
        say(KIND[k][0], KIND[k][1]),
        String(total.cases_opened[k]),
        num(total.cases_per_100_won[k]),
        String(total.cases_by_recorder.service[k]),
        String(total.cases_by_recorder.sales[k]),
      ]),
    ]),
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

export async function reportAccountsCommand(opts: AccountsOptions): Promise<void> {
  const raw = Object.fromEntries(
    Object.entries({ from: opts.from, to: opts.to, as_of: opts.asOf, pipeline: opts.pipeline, by: opts.by }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  const parsed = accountsParamsSchema.safeParse(raw);
  if (!parsed.success)
    throw validationError(issuesToFields(parsed.error.issues).map((f) => ({ ...f, field: `--${f.field.replace('_', '-')}` })));
  const db = await openMigrated(opts);
  try {
    const ws = await resolveWorkspace(db, opts.workspace);
    const r = await inWorkspace(db, ws.workspace_id, async (tx) => {
      const q = await resolveFunnelQuery(tx, ws.workspace_id, parsed.data, systemClock.now());
      await checkReportSize(tx, q, parsed.data.by === 'month' ? 'month' : null);
      return accountsReport(tx, { q, by: parsed.data.by ?? null });
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else printAccounts(r);
  } finally {
    await db.close();
  }
}
