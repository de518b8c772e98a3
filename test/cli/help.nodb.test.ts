import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DRILL_METRICS } from '../../src/analytics/funnel-deals.ts';
import { BREAKDOWNS, FILTERS } from '../../src/analytics/funnel-query.ts';

/**
 * `bin/voronka … --help` in English and Russian. Help opens no database, so these run once (the
 * nodb project) rather than once per engine with the command tests of cli.test.ts,
 * backup.test.ts and report-command.test.ts they came from.
 */
const BIN = join(import.meta.dirname, '../../bin/voronka');

function run(args: string[], lang = 'en'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'en_US.UTF-8', VORONKA_LANG: lang };
  delete env.DATABASE_URL;
  delete env.VORONKA_DATA_DIR;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bin/voronka --help', () => {
  it('documents every command with --help', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['serve', 'demo', 'import', 'migrate', 'workspaces']) expect(top.stdout).toContain(c);
    const checks: [string, string[]][] = [
      ['serve', ['--port', '--data-dir', '--no-demo']],
      ['demo', ['--workspace', '--seed', '--as-of', '--data-dir']],
      ['import', ['<dir>', '--workspace', '--format', '--data-dir']],
    ];
    for (const [cmd, flags] of checks) {
      const r = await run([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      for (const f of flags) expect(r.stdout, `${cmd} ${f}`).toContain(f);
    }
    const ru = await run(['import', '--help'], 'ru');
    expect(ru.stdout).toContain('имя рабочего пространства');
    const unknown = await run(['frobnicate']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown command/);
  });

  it('documents backup and restore, in English and Russian', async () => {
    const b = await run(['backup', '--help']);
    expect(b.code).toBe(0);
    for (const f of ['<file>', '--force', '--data-dir']) expect(b.stdout).toContain(f);
    const r = await run(['restore', '--help'], 'ru');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--no-check');
    expect(r.stdout).toContain('восстановить копию в пустую базу');
  });

  it("offers analytics' own lists in the reports' help: every filter, breakdown and drill-down metric", async () => {
    const funnel = await run(['report', 'funnel', '--help']);
    for (const f of FILTERS) expect(funnel.stdout).toContain(`--${f} <name>`);
    for (const b of BREAKDOWNS) expect(funnel.stdout).toContain(b);
    expect(funnel.stdout).toContain('--explain');
    const deals = await run(['report', 'deals', '--help']);
    for (const m of DRILL_METRICS) expect(deals.stdout).toContain(m);
  });
});
