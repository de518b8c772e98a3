/**
 * Backup and restore speed, measured as an operator runs them: the CLI as its own
 * process (start-up, migrations check, checksums and `voronka check` included), on
 * the demo workspace, for the embedded database and for the PostgreSQL server.
 * Every restore goes into a fresh, empty database. Median of N runs.
 *
 *   npm run bench -- --suite backup [--runs 5]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropPgDatabase, freshPgDatabase, median, printTable } from './support.ts';

export interface BackupStep {
  name: string;
  median_s: number;
  runs_s: number[];
}
export interface BackupResult {
  date: string;
  rows: number;
  data_mb: number;
  file_mb: number;
  steps: BackupStep[];
}

/** Runs the CLI; returns wall seconds and its output, or throws with the output. */
function cli(args: string[], env: Record<string, string | undefined>): { seconds: number; out: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['bin/voronka', ...args], {
    env: { ...process.env, LANG: 'C', VORONKA_LANG: 'en', ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`voronka ${args.join(' ')} exited ${r.status}:\n${out}`);
  return { seconds, out };
}

export async function benchBackup(runs: number): Promise<BackupResult> {
  const dir = mkdtempSync(join(tmpdir(), 'voronka-bench-backup-'));
  const noPg = { DATABASE_URL: undefined };
  try {
    process.stdout.write('[backup] creating the demo workspace on PGlite and on PostgreSQL …\n');
    const srcDir = join(dir, 'src');
    cli(['demo', '--data-dir', srcDir], noPg);
    const srcUrl = await freshPgDatabase('voronka_backup_src');
    cli(['demo'], { DATABASE_URL: srcUrl });

    const steps: BackupStep[] = [];
    const measure = async (name: string, once: (i: number) => number | Promise<number>) => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push(await once(i));
      steps.push({ name, median_s: median(times), runs_s: times });
      process.stdout.write(`[backup] ${name}: median ${median(times).toFixed(2)} s\n`);
    };

    const pgliteFile = join(dir, 'pglite.tar.gz');
    let summary = '';
    await measure('backup, PGlite', () => {
      const r = cli(['backup', pgliteFile, '--force', '--data-dir', srcDir], noPg);
      summary = r.out;
      return r.seconds;
    });
    const pgFile = join(dir, 'postgres.tar.gz');
    await measure('backup, PostgreSQL', () => cli(['backup', pgFile, '--force'], { DATABASE_URL: srcUrl }).seconds);

    await measure('restore into PGlite (from PGlite)', (i) => {
      const target = join(dir, `restore-${i}`);
      const s = cli(['restore', pgliteFile, '--data-dir', target], noPg).seconds;
      rmSync(target, { recursive: true, force: true });
      return s;
    });
    const restorePg = (file: string) => async () =>
      cli(['restore', file], { DATABASE_URL: await freshPgDatabase('voronka_backup_dst') }).seconds;
    await measure('restore into PostgreSQL (from PostgreSQL)', restorePg(pgFile));
    await measure('restore into PostgreSQL (from PGlite)', restorePg(pgliteFile));
    await dropPgDatabase('voronka_backup_dst');
    await dropPgDatabase('voronka_backup_src');

    const num = (re: RegExp) => {
      const m = summary.match(re);
      return m ? Number(m[1].replace(/[,\s]/g, '')) : Number.NaN;
    };
    const result: BackupResult = {
      date: new Date().toISOString(),
      rows: num(/([\d,]+) rows/),
      data_mb: num(/([\d.]+) MB of data/),
      file_mb: Math.round((statSync(pgliteFile).size / 1024 / 1024) * 10) / 10,
      steps,
    };
    mkdirSync(join('bench', 'results'), { recursive: true });
    writeFileSync(join('bench', 'results', 'backup.json'), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printBackup(r: BackupResult) {
  const rows = [[`CLI, demo workspace (${r.rows} rows, ${r.data_mb} MB of data, ${r.file_mb} MB file)`, 'median s', 'runs s']];
  for (const s of r.steps) rows.push([s.name, s.median_s.toFixed(2), s.runs_s.map((x) => x.toFixed(2)).join(' ')]);
  printTable(rows);
}
