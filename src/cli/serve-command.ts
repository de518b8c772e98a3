import { buildApp } from '../app.ts';
import { DEMO_PASSWORD, STAFF } from '../demo/demo-plan.ts';
import { DEMO_WORKSPACE, loadDemo } from '../demo/load-demo.ts';
import { systemClock } from '../platform/clock.ts';
import { configFromEnv } from '../platform/context.ts';
import { listWorkspaces } from '../platform/workspaces.ts';
import { type DbOptions, openMigrated, say } from './cli-support.ts';
import { count, NOUNS, seconds } from './wording.ts';

export interface ServeOptions extends DbOptions {
  port?: string;
  host?: string;
  demo?: boolean;
}

export async function serveCommand(opts: ServeOptions): Promise<void> {
  const port = Number(opts.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(say(`invalid port "${opts.port}"`, `неверный порт «${opts.port}»`));
  const host = opts.host ?? process.env.HOST ?? '127.0.0.1';
  const started = Date.now();
  const db = await openMigrated(opts);
  let demoCreated = false;
  // --no-demo or VORONKA_DEMO=0: an empty database opens the setup page instead.
  const demo = opts.demo !== false && process.env.VORONKA_DEMO !== '0';
  if (demo && (await listWorkspaces(db)).length === 0) {
    process.stdout.write(say('First start: creating the demo workspace…\n', 'Первый запуск: создаю демо-пространство…\n'));
    const now = systemClock.now();
    const r = await loadDemo(db, { seed: 1, asOf: now, now });
    demoCreated = true;
    process.stdout.write(
      say(
        `  ${count(r.counts.deals, NOUNS.deal, 'en')}, ${count(r.counts.stage_events, NOUNS.entry, 'en')}, ${count(r.counts.activities, NOUNS.activity, 'en')}, ${count(r.counts.tasks, NOUNS.task, 'en')} over two years\n`,
        `  ${count(r.counts.deals, NOUNS.deal, 'ru')}, ${count(r.counts.stage_events, NOUNS.stageEntry, 'ru')}, ${count(r.counts.activities, NOUNS.activity, 'ru')} (звонки, встречи, письма), ${count(r.counts.tasks, NOUNS.task, 'ru')} за два года\n`,
      ),
    );
  }
  db.startMaintenance?.({
    onRun: ({ ms, rowsWritten }) => {
      if (process.env.VORONKA_LOG === '1')
        process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'vacuum analyze', ms, rows_written: rowsWritten })}\n`);
    },
  });
  const ctx = {
    db,
    clock: systemClock,
    config: configFromEnv(),
  };
  const app = await buildApp(ctx, { logger: process.env.VORONKA_LOG === '1' });
  await app.listen({ port, host });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actualPort}`;
  const workspaces = await listWorkspaces(db);
  const lines = [
    say(`Voronka is running at ${url}`, `Voronka запущена: ${url}`),
    say(`  database: ${db.engine} (${db.location})`, `  база данных: ${db.engine} (${db.location})`),
    say(`  API: ${url}/api/v1  ·  OpenAPI: ${url}/api/v1/openapi.json`, `  API: ${url}/api/v1  ·  OpenAPI: ${url}/api/v1/openapi.json`),
  ];
  if (workspaces.some((w) => w.name === DEMO_WORKSPACE)) {
    lines.push(
      say(
        `  demo sign-in: ${STAFF[0].email} / ${DEMO_PASSWORD}  (head of sales; admin: ${STAFF[1].email})`,
        `  вход в демо: ${STAFF[0].email} / ${DEMO_PASSWORD}  (РОП; администратор: ${STAFF[1].email})`,
      ),
    );
  }
  if (workspaces.length === 0) {
    lines.push(
      say(
        `  no workspace yet: open ${url} to create yours and its admin (or: bin/voronka workspace create NAME --admin EMAIL)`,
        `  пространств ещё нет: откройте ${url}, чтобы создать своё и администратора (или: bin/voronka workspace create ИМЯ --admin EMAIL)`,
      ),
    );
  }
  lines.push(
    say(
      `  ready in ${seconds((Date.now() - started) / 1000, 'en')}${demoCreated ? ' (demo created)' : ''}; Ctrl+C stops`,
      `  готово за ${seconds((Date.now() - started) / 1000, 'ru')}${demoCreated ? ' (демо создано)' : ''}; остановить — Ctrl+C`,
    ),
  );
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
