import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/platform/db/types.ts';
import { dealRow, writeBundle } from '../support/bundle.ts';
import { ENGINE, openTestDb, testDatabaseUrl } from '../support/test-db.ts';

const BIN = join(import.meta.dirname, '../../bin/voronka');

let serverDb: Db | null = null;
let dataDir = '';
beforeAll(async () => {
  if (ENGINE === 'postgres') serverDb = await openTestDb();
  else dataDir = mkdtempSync(join(tmpdir(), 'voronka-cli-progress-'));
});
afterAll(async () => {
  await serverDb?.close();
});

function run(args: string[], lang: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'en_US.UTF-8', ...lang };
  delete env.DATABASE_URL;
  delete env.LC_ALL;
  delete env.LC_MESSAGES;
  if (serverDb) env.DATABASE_URL = testDatabaseUrl(serverDb) ?? undefined;
  const dbArgs = serverDb ? [] : ['--data-dir', dataDir];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, ...dbArgs], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bin/voronka import: progress lines', () => {
  it('names each file with its rows (in plural forms) and encoding, in the language of the terminal', async () => {
    const events = [
      ['P1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
      ['P2', 'Новый лид', '2025-01-11T10:00:00+03:00'],
      ['P2', 'Квалификация', '2025-01-12T10:00:00+03:00'],
      ['P2', 'Встреча', '2025-01-13T10:00:00+03:00'],
      ['P2', 'Успешно реализовано', '2025-01-14T10:00:00+03:00'],
    ];
    const ru = await run(['import', writeBundle({ deals: [dealRow('P1'), dealRow('P2')], events }), '--workspace', 'Ход'], {
      LANG: 'ru_RU.UTF-8',
    });
    expect(ru.code).toBe(0);
    expect(ru.stderr).toBe('deals.csv: 2 строки, UTF-8\nstage_events.csv: 5 строк, UTF-8\n');
    expect(ru.stdout).toMatch(/^Импортировано в пространство «Ход» \(новое\)/);

    const one = writeBundle({ deals: [dealRow('P3')], events: [['P3', 'Новый лид', '2025-01-10T10:00:00+03:00']] });
    const en = await run(['import', one, '--workspace', 'Progress'], { VORONKA_LANG: 'en' });
    expect(en.code).toBe(0);
    expect(en.stderr).toBe('deals.csv: 1 row, UTF-8\nstage_events.csv: 1 row, UTF-8\n');
    const ruOne = await run(['import', one, '--workspace', 'Progress'], { VORONKA_LANG: 'ru' });
    expect(ruOne.code).toBe(0);
    expect(ruOne.stderr).toBe('deals.csv: 1 строка, UTF-8\nstage_events.csv: 1 строка, UTF-8\n');
    expect(ruOne.stdout).toContain('Ничего не изменилось');
  });
});
