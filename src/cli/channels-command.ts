import { resolveFunnelQuery } from '../analytics/funnel-query.ts';
import {
  ATTRIBUTION_MODELS,
  type ChannelKpis,
  type ChannelsReport,
  channelsParamsSchema,
  channelsReport,
} from '../marketing/channels-report.ts';
import { systemClock } from '../platform/clock.ts';
import { inWorkspace } from '../platform/db/workspace-scope.ts';
import { validationError } from '../platform/errors.ts';
import { issuesToFields } from '../platform/http/validation.ts';
import { formatEstimate, formatMajor } from '../platform/money.ts';
import { resolveWorkspace } from '../platform/workspaces.ts';
import { cliLocale, type DbOptions, openMigrated, say } from './cli-support.ts';
import { percent } from './wording.ts';

export interface ChannelsOptions extends DbOptions {
  json?: boolean;
  from?: string;
  to?: string;
  asOf?: string;
  pipeline?: string;
  workspace?: string;
}

const locale = () => (cliLocale() === 'ru' ? 'ru-RU' : 'en-US');
const money = (v: number | null, currency: string) => (v === null ? '—' : formatMajor(v, currency, locale()));
const estimate = (v: number | null, currency: string) => (v === null ? '—' : formatEstimate(v, currency, locale()));
const pct = (v: number | null) => (v === null ? '—' : percent(v));

function table(rows: string[][], right: Set<number>): string {
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

export function printChannels(r: ChannelsReport) {
  const c = r.currency;
  const head = [
    say('Channel', 'Канал'),
    say('leads', 'лиды'),
    say('opportunities', 'сделки'),
    say('lead→opp.', 'лид→сделка'),
    say('won', 'выиграно'),
    say('won amount', 'сумма выигрыша'),
    say('spend', 'расход'),
    say('per lead', 'за лид'),
    say('per opp.', 'за сделку'),
    say('per won', 'за выигрыш'),
    'ICP',
  ];
  const row = (key: string, k: ChannelKpis) => [
    key,
    String(k.leads),
    String(k.opportunities),
    pct(k.lead_to_opportunity),
    String(k.won),
    money(k.won_amount, c),
    money(k.spend, c),
    estimate(k.cost_per_lead, c),
    estimate(k.cost_per_opportunity, c),
    estimate(k.cost_per_won, c),
    pct(k.icp_share),
  ];
  const title = say(
    `Channels "${r.pipeline.name}" · ${r.workspace} · [${r.period.from}, ${r.period.to}) · as of ${r.as_of}${r.as_of_capped ? ' (capped at now)' : ''} · ${r.time_zone}`,
    `Каналы «${r.pipeline.name}» · ${r.workspace} · [${r.period.from}, ${r.period.to}) · на ${r.as_of}${r.as_of_capped ? ' (ограничено текущим моментом)' : ''} · ${r.time_zone}`,
  );
  const icp = r.icp
    ? say(`ICP rules v${r.icp.version}, threshold ${r.icp.threshold}`, `правила ICP v${r.icp.version}, порог ${r.icp.threshold}`)
    : say('no ICP rules', 'правил ICP нет');
  const rows = [head, ...r.groups.map((g) => row(g.key ?? say('(no channel)', '(без канала)'), g)), row(say('Total', 'Итого'), r.total)];
  const out = [`${title} · ${icp}`, '', table(rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))];
  const names = [...new Set(ATTRIBUTION_MODELS.flatMap((m) => Object.keys(r.total.attribution[m])))].sort();
  if (names.length) {
    const modelName: Record<(typeof ATTRIBUTION_MODELS)[number], string> = {
      first_touch: say('first touch', 'первое касание'),
      last_touch: say('last touch', 'последнее касание'),
      linear: say('linear', 'линейная'),
      position_based: say('position-based', 'по позиции'),
    };
    out.push(
      '',
      say('Attribution of the won amount (deals won in the period):', 'Атрибуция суммы выигрыша (сделки, выигранные в периоде):'),
      table(
        [
          [say('Channel', 'Канал'), ...ATTRIBUTION_MODELS.map((m) => modelName[m])],
          ...names.map((n) => [n, ...ATTRIBUTION_MODELS.map((m) => estimate(r.total.attribution[m][n] ?? 0, c))]),
        ],
        new Set([1, 2, 3, 4]),
      ),
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

export async function reportChannelsCommand(opts: ChannelsOptions): Promise<void> {
  const raw = Object.fromEntries(
    Object.entries({ from: opts.from, to: opts.to, as_of: opts.asOf, pipeline: opts.pipeline }).filter(([, v]) => v !== undefined),
  );
  const parsed = channelsParamsSchema.safeParse(raw);
  if (!parsed.success)
    throw validationError(issuesToFields(parsed.error.issues).map((f) => ({ ...f, field: `--${f.field.replace('_', '-')}` })));
  const db = await openMigrated(opts);
  try {
    const ws = await resolveWorkspace(db, opts.workspace);
    const r = await inWorkspace(db, ws.workspace_id, async (tx) =>
      channelsReport(tx, await resolveFunnelQuery(tx, ws.workspace_id, parsed.data, systemClock.now())),
    );
    if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else printChannels(r);
  } finally {
    await db.close();
  }
}
