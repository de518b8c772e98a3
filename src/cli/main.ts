import { Command, Option } from 'commander';
import { BREAKDOWNS, DISCIPLINE_BREAKDOWNS, DRILL_METRICS, FILTERS, type FilterKey } from '../analytics/report-keys.ts';
import { DEMO_WORKSPACE } from '../demo/demo-name.ts';
import { cliLocale, say } from './cli-locale.ts';

// Commands load their modules (and the database, the server, the reports) only when they run:
// `--help` and a mistyped option answer at once.
const runCommand = async (fn: () => Promise<void>) => (await import('./cli-support.ts')).runCommand(fn);

import { commanderRu, HELP_TITLES_RU } from './wording.ts';

// `voronka … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command();
program
  .name('voronka')
  .description(
    say(
      'Voronka — a sales operating system for B2B teams with long deal cycles',
      'Voronka — операционная система продаж для B2B с длинным циклом сделки',
    ),
  )
  .showHelpAfterError()
  // Commander's own words in the terminal's language too (inherited by every subcommand).
  .configureOutput({ outputError: (text, write) => write(cliLocale() === 'ru' ? commanderRu(text) : text) })
  .configureHelp({ styleTitle: (title) => (cliLocale() === 'ru' ? (HELP_TITLES_RU[title] ?? title) : title) })
  .helpOption('-h, --help', say('display help for command', 'показать справку'))
  .helpCommand('help [command]', say('display help for command', 'справка по команде'))
  .addHelpText(
    'after',
    say(
      '\nDatabase: the embedded PGlite in ./data (or --data-dir DIR / VORONKA_DATA_DIR); DATABASE_URL=postgres://… selects a PostgreSQL server.',
      '\nБаза данных: встроенная PGlite в ./data (или --data-dir DIR / VORONKA_DATA_DIR); DATABASE_URL=postgres://… — сервер PostgreSQL.',
    ),
  );

const dataDir = () =>
  new Option('--data-dir <dir>', say('embedded database folder (default ./data)', 'папка встроенной базы (по умолчанию ./data)'));
const workspace = () => new Option('--workspace <name>', say('workspace name', 'имя рабочего пространства'));

program
  .command('serve')
  .description(say('run the API and the web app on one port', 'запустить API и веб-приложение на одном порту'))
  .addOption(new Option('--port <n>', say('port (default $PORT or 3000)', 'порт (по умолчанию $PORT или 3000)')))
  .addOption(new Option('--host <host>', say('interface to listen on (default 127.0.0.1)', 'интерфейс (по умолчанию 127.0.0.1)')))
  .addOption(
    new Option('--no-demo', say('do not create the demo workspace on first start', 'не создавать демо-пространство при первом запуске')),
  )
  .addOption(dataDir())
  .action((opts) => runCommand(async () => (await import('./serve-command.ts')).serveCommand(opts)));

program
  .command('demo')
  .description(
    say(
      'create the demo workspace: two years of realistic Russian B2B history',
      'создать демо-пространство: два года реалистичной истории B2B-продаж',
    ),
  )
  .addOption(workspace().default(DEMO_WORKSPACE))
  .addOption(
    new Option('--seed <n>', say('random seed (same seed, same data)', 'зерно генератора (одно зерно — одни данные)')).default('1'),
  )
  .addOption(
    new Option('--as-of <date>', say('the end of the history (ISO date; default now)', 'конец истории (дата ISO; по умолчанию сейчас)')),
  )
  .addOption(dataDir())
  .action((opts) => runCommand(async () => (await import('./demo-command.ts')).demoCommand(opts)));

program
  .command('import')
  .description(
    say(
      'import a canonical bundle (pipeline.json, deals.csv, stage_events.csv; leads, touches, spend, ICP rules), the Maven CRM data or the marketing-funnel files',
      'импорт канонического пакета (pipeline.json, deals.csv, stage_events.csv; лиды, касания, расходы, правила ICP), данных Maven CRM или файлов marketing-funnel',
    ),
  )
  .argument('<dir>', say('the bundle folder', 'папка с пакетом'))
  .addOption(workspace())
  .addOption(
    new Option('--format <format>', say('bundle format', 'формат пакета'))
      .choices(['canonical', 'maven', 'marketing-funnel'])
      .default('canonical'),
  )
  .addOption(dataDir())
  .action((dir, opts) => runCommand(async () => (await import('./import-command.ts')).importCommand(dir, opts)));

program
  .command('migrate')
  .description(say('apply pending database migrations', 'применить новые миграции базы'))
  .addOption(dataDir())
  .action((opts) => runCommand(async () => (await import('./migrate-command.ts')).migrateCommand(opts)));

program
  .command('backup')
  .description(
    say(
      'write the whole database to one file (gzip-compressed tar of COPY data with checksums), readable by either engine',
      'записать всю базу в один файл (tar с gzip: данные COPY и контрольные суммы), читаемый обоими движками',
    ),
  )
  .argument('<file>', say('the backup file to write, e.g. voronka-2025-01-31.tar.gz', 'файл копии, например voronka-2025-01-31.tar.gz'))
  .addOption(new Option('--force', say('overwrite the file if it exists', 'перезаписать файл, если он есть')))
  .addOption(dataDir())
  .addHelpText(
    'after',
    say(
      '\nA server is read in one consistent snapshot while it keeps serving; the embedded database must not be in use by "voronka serve".',
      '\nСервер читается одним согласованным снимком и продолжает работать; встроенная база не должна быть занята «voronka serve».',
    ),
  )
  .action((file, opts) => runCommand(async () => (await import('./backup-command.ts')).backupCommand(file, opts)));

program
  .command('restore')
  .description(
    say(
      'restore a backup into an empty database (PGlite or server, whichever made it): checksums first, then one transaction',
      'восстановить копию в пустую базу (PGlite или сервер, любой источник): сначала контрольные суммы, затем одна транзакция',
    ),
  )
  .argument('<file>', say('the backup file', 'файл копии'))
  .addOption(
    new Option(
      '--force',
      say('wipe a database that already has data (in the same transaction)', 'очистить базу с данными (в той же транзакции)'),
    ),
  )
  .addOption(new Option('--no-check', say('skip the integrity check after the restore', 'не проверять целостность после восстановления')))
  .addOption(dataDir())
  .action((file, opts) => runCommand(async () => (await import('./backup-command.ts')).restoreCommand(file, opts)));

program
  .command('workspaces')
  .description(say('list workspaces', 'список рабочих пространств'))
  .addOption(dataDir())
  .action((opts) => runCommand(async () => (await import('./workspaces-command.ts')).workspacesCommand(opts)));

const ws = program
  .command('workspace')
  .description(say('create, rename, delete or export a workspace', 'создать, переименовать, удалить или выгрузить пространство'));
ws.command('create')
  .description(
    say(
      'a new workspace with its first admin and its standard (as the setup page)',
      'новое пространство с первым администратором и стандартом (как страница первого запуска)',
    ),
  )
  .argument('<name>', say('the workspace name', 'имя пространства'))
  .requiredOption('--admin <email>', say("the first admin's e-mail", 'e-mail первого администратора'))
  .option('--admin-name <name>', say("the admin's full name", 'имя и фамилия администратора'))
  .option('--template <t>', say('b2b-ru (default), b2b-en or empty', 'b2b-ru (по умолчанию), b2b-en или empty'))
  .option('--currency <code>', say('ISO 4217, default RUB', 'ISO 4217, по умолчанию RUB'))
  .option('--timezone <zone>', say('IANA, default Europe/Moscow', 'IANA, по умолчанию Europe/Moscow'))
  .option('--locale <ru|en>', say('default ru', 'по умолчанию ru'))
  .option(
    '--password-stdin',
    say(
      "read the admin's password from stdin (else VORONKA_ADMIN_PASSWORD, else one is generated and printed)",
      'прочитать пароль администратора из stdin (иначе VORONKA_ADMIN_PASSWORD, иначе он будет создан и показан)',
    ),
  )
  .addOption(dataDir())
  .action((name, opts) => runCommand(async () => (await import('./workspace-command.ts')).workspaceCreateCommand(name, opts)));
ws.command('rename')
  .description(say('rename a workspace (its id and rows stay)', 'переименовать пространство (id и данные остаются)'))
  .argument('<name>', say('the current name', 'текущее имя'))
  .argument('<new-name>', say('the new name', 'новое имя'))
  .addOption(dataDir())
  .action((name, next, opts) => runCommand(async () => (await import('./workspace-command.ts')).workspaceRenameCommand(name, next, opts)));
ws.command('delete')
  .description(say('delete a workspace and every row of it, in one transaction', 'удалить пространство и все его данные одной транзакцией'))
  .argument('<name>', say('the workspace name', 'имя пространства'))
  .requiredOption('--confirm <name>', say('the name again, to confirm', 'то же имя ещё раз, для подтверждения'))
  .addOption(dataDir())
  .action((name, opts) => runCommand(async () => (await import('./workspace-command.ts')).workspaceDeleteCommand(name, opts)));
ws.command('export')
  .description(
    say(
      'write a pipeline as the canonical bundle (pipeline.json, deals.csv, stage_events.csv)',
      'выгрузить воронку как пакет для импорта (pipeline.json, deals.csv, stage_events.csv)',
    ),
  )
  .argument('<name>', say('the workspace name', 'имя пространства'))
  .argument('<dir>', say('the folder to write', 'папка для файлов'))
  .option('--pipeline <name>', say('which pipeline (default: the first)', 'какая воронка (по умолчанию первая)'))
  .addOption(dataDir())
  .action((name, dir, opts) => runCommand(async () => (await import('./workspace-command.ts')).workspaceExportCommand(name, dir, opts)));

program
  .command('check')
  .description(
    say(
      'verify the stage history and what is derived from it (visits, current stages, counters)',
      'проверить историю этапов и производные данные (пребывание на этапах, текущие этапы, счётчики)',
    ),
  )
  .addOption(workspace())
  .addOption(dataDir())
  .action((opts) => runCommand(async () => (await import('./check-command.ts')).checkCommand(opts)));

const config = program.command('config').description(say('the sales standard as a JSON document', 'стандарт продаж в виде JSON-документа'));
config
  .command('export')
  .description(
    say(
      'print the standard (pipelines, stages, requirements, playbooks, calendar) as JSON',
      'вывести стандарт (воронки, этапы, требования, регламенты, календарь) в JSON',
    ),
  )
  .option('--out <file>', say('write to a file instead of stdout', 'записать в файл, а не на экран'))
  .addOption(workspace())
  .addOption(dataDir())
  .action((opts) => runCommand(async () => (await import('./config-command.ts')).configExportCommand(opts)));
config
  .command('import')
  .description(
    say(
      'apply a standard document to a workspace (validated first; one transaction)',
      'применить документ стандарта (сначала проверка; одной транзакцией)',
    ),
  )
  .argument('<file>', say('the JSON document', 'JSON-документ'))
  .addOption(workspace())
  .option(
    '--create',
    say(
      'create the workspace named by --workspace if it does not exist, with the first admin --admin, from this document',
      'создать пространство из --workspace, если его нет, с первым администратором --admin, по этому документу',
    ),
  )
  .option('--admin <email>', say("with --create: the first admin's e-mail", 'с --create: e-mail первого администратора'))
  .option('--admin-name <name>', say("with --create: the admin's full name", 'с --create: имя и фамилия администратора'))
  .option('--currency <code>', say('with --create: ISO 4217, default RUB', 'с --create: ISO 4217, по умолчанию RUB'))
  .option('--timezone <zone>', say('with --create: IANA, default Europe/Moscow', 'с --create: IANA, по умолчанию Europe/Moscow'))
  .option('--locale <ru|en>', say('with --create: default ru', 'с --create: по умолчанию ru'))
  .option(
    '--password-stdin',
    say("with --create: read the admin's password from stdin", 'с --create: прочитать пароль администратора из stdin'),
  )
  .addOption(dataDir())
  .action((file, opts) => runCommand(async () => (await import('./config-command.ts')).configImportCommand(file, opts)));

const calendar = program
  .command('calendar')
  .description(
    say('the business calendar (holidays, moved working days)', 'производственный календарь (праздники, перенесённые рабочие дни)'),
  );
calendar
  .command('import')
  .description(
    say('import dates from CSV: date;kind;note (выходной/рабочий accepted)', 'импорт дат из CSV: дата;тип;примечание (выходной/рабочий)'),
  )
  .argument('<file>', 'CSV')
  .addOption(workspace())
  .addOption(dataDir())
  .action((file, opts) => runCommand(async () => (await import('./calendar-command.ts')).calendarImportCommand(file, opts)));

/** The help of each filter the reports take (FILTERS: one option per filter). */
const FILTER_HELP: Record<FilterKey, [en: string, ru: string]> = {
  segment: ['only this segment (name, id or "none")', 'только этот сегмент (имя, id или «none»)'],
  owner: ['only this owner (name, e-mail or id)', 'только этот ответственный (имя, e-mail или id)'],
  channel: ['only this lead channel', 'только этот канал'],
  region: ['only this region', 'только этот регион'],
  team: ["only this owners' team", 'только эта команда'],
};

const reportOptions = (cmd: Command) => {
  cmd
    .requiredOption(
      '--from <date>',
      say(
        'period start, inclusive: YYYY-MM-DD (midnight in the workspace zone) or ISO with offset',
        'начало периода включительно: ГГГГ-ММ-ДД (полночь пространства) или ISO со смещением',
      ),
    )
    .requiredOption('--to <date>', say('period end, exclusive', 'конец периода, не включая'))
    .option(
      '--as-of <date>',
      say(
        'as it looked at this instant (default: --to, capped at now)',
        'как выглядело на этот момент (по умолчанию --to, не позже текущего)',
      ),
    );
  for (const key of FILTERS) cmd.option(`--${key} <name>`, say(...FILTER_HELP[key]));
  return cmd
    .option('--pipeline <name>', say('pipeline name or id (default: the first)', 'воронка: имя или id (по умолчанию первая)'))
    .option('--json', say('print the report as JSON (the API object)', 'вывести отчёт в JSON (как в API)'))
    .addOption(workspace())
    .addOption(dataDir());
};

const report = program.command('report').description(say('funnel reports', 'отчёты по воронке'));
reportOptions(
  report
    .command('funnel')
    .description(say('every core funnel KPI for a period, as of any instant', 'все ключевые показатели воронки за период на любой момент'))
    .addOption(new Option('--by <dimension>', say('break down by', 'разбить по')).choices([...BREAKDOWNS]))
    .option('--explain', say('also print the SQL statements run and their timings', 'также вывести выполненные SQL-запросы и их время')),
).action((opts) => runCommand(async () => (await import('./report-command.ts')).reportFunnelCommand(opts)));
reportOptions(
  report
    .command('discipline')
    .description(
      say(
        'process discipline: playbook tasks on time, overdue, card completeness, suggested SLAs',
        'дисциплина: задачи регламента вовремя, просрочки, заполненность карточек, предлагаемые сроки',
      ),
    )
    .addOption(new Option('--by <dimension>', say('break down by', 'разбить по')).choices([...DISCIPLINE_BREAKDOWNS])),
).action((opts) => runCommand(async () => (await import('./report-command.ts')).reportDisciplineCommand(opts)));
reportOptions(
  report
    .command('deals')
    .description(say('the deals behind a figure of the funnel report', 'сделки, стоящие за показателем отчёта'))
    .addOption(new Option('--metric <metric>', say('which figure', 'какой показатель')).choices([...DRILL_METRICS]).makeOptionMandatory())
    .option('--stage <name>', say('stage, for stage_* metrics', 'этап, для показателей stage_*'))
    .option('--limit <n>', say('how many deals to list (default 50)', 'сколько сделок вывести (по умолчанию 50)')),
).action((opts) => runCommand(async () => (await import('./report-command.ts')).reportDealsCommand(opts)));

report
  .command('channels')
  .description(
    say(
      'marketing ↔ sales: leads, opportunities, won, spend, costs and ICP share per channel; attribution by four models',
      'маркетинг ↔ продажи: лиды, сделки, выигрыши, расходы, стоимость и доля ICP по каналам; атрибуция по четырём моделям',
    ),
  )
  .requiredOption(
    '--from <date>',
    say('period start, inclusive: YYYY-MM-DD or ISO with offset', 'начало периода включительно: ГГГГ-ММ-ДД или ISO со смещением'),
  )
  .requiredOption('--to <date>', say('period end, exclusive', 'конец периода, не включая'))
  .option(
    '--as-of <date>',
    say('as it looked at this instant (default: --to, capped at now)', 'как выглядело на этот момент (по умолчанию --to)'),
  )
  .option('--pipeline <name>', say('pipeline name or id (default: the first)', 'воронка: имя или id (по умолчанию первая)'))
  .option('--json', say('print the report as JSON (the API object)', 'вывести отчёт в JSON (как в API)'))
  .addOption(workspace())
  .addOption(dataDir())
  .action((opts) => runCommand(async () => (await import('./channels-command.ts')).reportChannelsCommand(opts)));

report
  .command('accounts')
  .description(
    say(
      'key accounts and service: renewals, churn, NRR, expansion, cross-sell, LTV; cases per kind, per 100 won and per recorder',
      'клиенты и сервис: продления, отток, NRR, расширение, кросс-продажи, LTV; обращения по видам, на 100 выигранных и по тем, кто записал',
    ),
  )
  .requiredOption(
    '--from <date>',
    say('period start, inclusive: YYYY-MM-DD or ISO with offset', 'начало периода включительно: ГГГГ-ММ-ДД или ISO со смещением'),
  )
  .requiredOption('--to <date>', say('period end, exclusive', 'конец периода, не включая'))
  .option(
    '--as-of <date>',
    say('as it looked at this instant (default: --to, capped at now)', 'как выглядело на этот момент (по умолчанию --to)'),
  )
  .addOption(
    new Option('--by <breakdown>', say('group by the accounts’ owner or by month', 'разбить по владельцу клиента или по месяцам')).choices([
      'owner',
      'month',
    ]),
  )
  .option('--pipeline <name>', say('pipeline for deals_won (default: the first)', 'воронка для выигранных сделок (по умолчанию первая)'))
  .option('--json', say('print the report as JSON (the API object)', 'вывести отчёт в JSON (как в API)'))
  .addOption(workspace())
  .addOption(dataDir())
  .action((opts) => runCommand(async () => (await import('./accounts-command.ts')).reportAccountsCommand(opts)));

await program.parseAsync(process.argv);
