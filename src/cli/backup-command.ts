import { resolve } from 'node:path';
import { checkHistory } from '../history/check-history.ts';
import {
  type BackupSource,
  checkBackupTarget,
  pgliteSource,
  restoreBackup,
  serverSource,
  verifyBackup,
  writeBackup,
} from '../platform/db/backup.ts';
import { openDb } from '../platform/db/open-db.ts';
import { redact } from '../platform/db/pg-db.ts';
import { inWorkspace } from '../platform/db/workspace-scope.ts';
import { listWorkspaces } from '../platform/workspaces.ts';
import { cliLocale, type DbOptions, dbTarget, say } from './cli-support.ts';
import { count, NOUNS } from './wording.ts';

export interface BackupOptions extends DbOptions {
  force?: boolean;
}

export interface RestoreOptions extends DbOptions {
  force?: boolean;
  check?: boolean;
}

const nf = (n: number, digits = 0) =>
  new Intl.NumberFormat(cliLocale() === 'ru' ? 'ru-RU' : 'en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(
    n,
  );
const mb = (bytes: number) => `${nf(bytes / 1024 / 1024, 1)} ${say('MB', 'МБ')}`;
/** Small tables in KB, the rest in MB. */
const size = (bytes: number) => (bytes < 1024 * 1024 ? `${nf(Math.ceil(bytes / 1024))} ${say('KB', 'КБ')}` : mb(bytes));
const secs = (s: number) => `${nf(s, 1)} ${say('s', 'с')}`;

function tableLines(tables: { name: string; rows: number; bytes: number }[]): string {
  const shown = tables.filter((t) => t.rows > 0);
  const width = Math.max(0, ...shown.map((t) => t.name.length));
  const lines = shown.map((t) => `  ${t.name.padEnd(width)}  ${nf(t.rows).padStart(10)}  ${size(t.bytes).padStart(10)}\n`);
  const empty = tables.length - shown.length;
  if (empty) lines.push(say(`  (${empty} empty tables)\n`, `  (пустых таблиц: ${empty})\n`));
  return lines.join('');
}

export async function backupCommand(file: string, opts: BackupOptions): Promise<void> {
  const path = resolve(file);
  checkBackupTarget(path, Boolean(opts.force));
  const target = dbTarget(opts);
  let source: BackupSource;
  let close: () => Promise<void>;
  if (target.databaseUrl) {
    source = await serverSource(target.databaseUrl, redact(target.databaseUrl));
    close = () => source.close();
  } else {
    const db = await openDb(target);
    try {
      source = await pgliteSource(db);
    } catch (e) {
      await db.close();
      throw e;
    }
    close = async () => {
      await source.close();
      await db.close();
    };
  }
  try {
    const r = await writeBackup(source, path);
    process.stdout.write(
      say(
        `Backed up ${r.engine}: ${source.location} (schema version ${r.schemaVersion}) to ${r.file} in ${secs(r.seconds)}:\n`,
        `Резервная копия ${r.engine}: ${source.location} (версия схемы ${r.schemaVersion}) записана в ${r.file} за ${secs(r.seconds)}:\n`,
      ),
    );
    process.stdout.write(tableLines(r.tables));
    process.stdout.write(
      say(
        `${count(r.tables.length, NOUNS.table, 'en')}, ${count(r.rows, NOUNS.row, 'en')}, ${mb(r.dataBytes)} of data → ${mb(r.fileBytes)} file (${nf(r.dataBytes / 1024 / 1024 / Math.max(r.seconds, 0.001), 1)} MB/s)\n`,
        `${count(r.tables.length, NOUNS.table, 'ru')}, ${count(r.rows, NOUNS.row, 'ru')}, ${mb(r.dataBytes)} данных → файл ${mb(r.fileBytes)} (${nf(r.dataBytes / 1024 / 1024 / Math.max(r.seconds, 0.001), 1)} МБ/с)\n`,
      ),
    );
  } finally {
    await close();
  }
}

export async function restoreCommand(file: string, opts: RestoreOptions): Promise<void> {
  const path = resolve(file);
  const verifyStarted = Date.now();
  // Every checksum is verified before the database is even opened.
  const verified = await verifyBackup(path);
  const verifySeconds = (Date.now() - verifyStarted) / 1000;
  const db = await openDb(dbTarget(opts));
  try {
    const r = await restoreBackup(db, verified, { force: opts.force });
    process.stdout.write(
      say(
        `Restored ${r.file} (made ${r.createdAt} on ${r.sourceEngine}, schema version ${r.schemaVersion}) into ${db.engine}: ${db.location} in ${secs(verifySeconds + r.seconds)} (checksums verified in ${secs(verifySeconds)}, loaded in ${secs(r.seconds)}):\n`,
        `Восстановлено из ${r.file} (копия от ${r.createdAt}, ${r.sourceEngine}, версия схемы ${r.schemaVersion}) в ${db.engine}: ${db.location} за ${secs(verifySeconds + r.seconds)} (контрольные суммы проверены за ${secs(verifySeconds)}, загружено за ${secs(r.seconds)}):\n`,
      ),
    );
    process.stdout.write(tableLines(r.tables));
    process.stdout.write(
      say(
        `${count(r.tables.length, NOUNS.table, 'en')}, ${count(r.rows, NOUNS.row, 'en')}, ${mb(r.dataBytes)} of data from a ${mb(r.fileBytes)} file; ${count(r.sequences, NOUNS.sequence, 'en')} set${r.wiped ? '; the previous data was wiped (--force)' : ''}${r.upgradedTo ? `; upgraded to schema version ${r.upgradedTo}` : ''}\n`,
        `${count(r.tables.length, NOUNS.table, 'ru')}, ${count(r.rows, NOUNS.row, 'ru')}, ${mb(r.dataBytes)} данных из файла ${mb(r.fileBytes)}; счётчиков id: ${r.sequences}${r.wiped ? '; прежние данные удалены (--force)' : ''}${r.upgradedTo ? `; схема обновлена до версии ${r.upgradedTo}` : ''}\n`,
      ),
    );
    if (opts.check !== false) {
      const started = Date.now();
      let problems = 0;
      let checks = 0;
      const workspaces = await listWorkspaces(db);
      for (const w of workspaces) {
        for (const c of await inWorkspace(db, w.workspace_id, (tx) => checkHistory(tx, w.workspace_id))) {
          checks++;
          problems += c.problems;
          if (c.problems)
            process.stdout.write(
              `FAIL  ${w.name}: ${say(c.check, c.check_ru)} — ${c.problems} (${c.examples.join(', ')}${c.problems > c.examples.length ? ', …' : ''})\n`,
            );
        }
      }
      process.stdout.write(
        problems === 0
          ? say(
              `Integrity check: ${count(workspaces.length, NOUNS.workspace, 'en')}, ${count(checks, NOUNS.check, 'en')}, all ok (${secs((Date.now() - started) / 1000)}).\n`,
              `Проверка целостности: ${count(workspaces.length, NOUNS.workspace, 'ru')}, ${count(checks, NOUNS.check, 'ru')}, всё в порядке (${secs((Date.now() - started) / 1000)}).\n`,
            )
          : say(
              `Integrity check: ${count(problems, NOUNS.problem, 'en')}.\n`,
              `Проверка целостности: ${count(problems, NOUNS.problem, 'ru')}.\n`,
            ),
      );
      if (problems) process.exitCode = 1;
    }
  } finally {
    await db.close();
  }
}
