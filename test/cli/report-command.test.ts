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

function run(args: string[], lang = 'en'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'en_US.UTF-8', VORONKA_LANG: lang };
  delete env.DATABASE_URL;
  if (serverDb) env.DATABASE_URL = testDatabaseUrl(serverDb) ?? undefined;
  const db = serverDb ? [] : ['--data-dir', dataDir];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, ...db], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const JANUARY = ['--from', '2025-01-01', '--to', '2025-02-01'];
/** How many statements the report of JANUARY runs, as its JSON explain lists them (the first test). */
let statementCount = 0;

beforeAll(async () => {
  if (ENGINE === 'postgres') serverDb = await openTestDb();
  else dataDir = mkdtempSync(join(tmpdir(), 'voronka-report-'));
  const dir = writeBundle({
    deals: [dealRow('W1', { amount: '1000.00' }), dealRow('L1', { amount: '500.00' }), dealRow('O1', { amount: '250.00' })],
    events: [
      ['W1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
      ['W1', 'Встреча', '2025-01-12T10:00:00+03:00'],
      ['W1', 'Успешно реализовано', '2025-01-20T10:00:00+03:00'],
      ['L1', 'Новый лид', '2025-01-11T10:00:00+03:00'],
      ['L1', 'Закрыто и не реализовано', '2025-01-15T10:00:00+03:00'],
      ['O1', 'Новый лид', '2025-01-13T10:00:00+03:00'],
      ['O1', 'Квалификация', '2025-01-14T10:00:00+03:00'],
    ],
  });
  const imported = await run(['import', dir, '--workspace', 'Отчёты']);
  expect(imported.stderr).not.toMatch(/error/i);
  expect(imported.code).toBe(0);
});
afterAll(async () => {
  await serverDb?.close();
});

describe('bin/voronka report', () => {
  it('--explain adds the statements and their timings under `explain`, and nothing else changes', async () => {
    const plain = await run(['report', 'funnel', ...JANUARY, '--json']);
    const explained = await run(['report', 'funnel', ...JANUARY, '--json', '--explain']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(explained.code, explained.stderr).toBe(0);
    const { explain, ...report } = JSON.parse(explained.stdout);
    expect(`${JSON.stringify(report, null, 2)}\n`).toBe(plain.stdout);
    expect(report).toMatchObject({ deals_created: 3, deals_won: 1, deals_lost: 1, won_amount: 1000, open_deals: 1, open_amount: 250 });
    expect(explain.engine).toBe(ENGINE);
    const names: string[] = explain.statements.map((s: { name: string }) => s.name);
    for (const n of ['stuck_thresholds', 'stage_win_probability', 'created', 'closing', 'cohort', 'stages', 'open'])
      expect(names).toContain(n);
    for (const s of explain.statements) {
      expect(s.sql).toMatch(/^\s*select /);
      expect(s.sql.match(/\$\d+/g)?.length ?? 0).toBeGreaterThanOrEqual(s.params.length > 0 ? 1 : 0);
      expect(s.ms).toBeGreaterThanOrEqual(0);
    }
    expect(explain.total_ms).toBeGreaterThan(0);
    statementCount = names.length;
  });

  it('prints every metric as the registry says, in English and in Russian, and with --explain the statements after it', async () => {
    const names = statementCount;
    expect(names).toBeGreaterThan(5);
    const en = await run(['report', 'funnel', ...JANUARY, '--explain']);
    expect(en.code, en.stderr).toBe(0);
    expect(en.stdout).toMatch(/^Deals created +3 +Won \/ lost +1 \/ 1$/m);
    expect(en.stdout).toMatch(/^Won amount +RUB\s1,000 +Average won deal +RUB\s1,000$/m);
    expect(en.stdout).toMatch(/^Win rate +50% +Cohort win rate +33\.3%$/m);
    expect(en.stdout).toMatch(/^Open deals +1 +Open amount +RUB\s250$/m);
    expect(en.stdout).toMatch(/^Stage +entered +advanced +lost +conversion +visits +median d +p90 d +P\(win\)$/m);
    expect(en.stdout).toMatch(/^Новый лид +3 +2 +1 +66\.7% +3 /m);
    const head = en.stdout.match(/^SQL \((pglite|postgres)\): (\d+) statements, [\d.,]+ ms of [\d.,]+ ms$/m);
    expect(head?.[1]).toBe(ENGINE);
    expect(Number(head?.[2])).toBe(names);
    expect(en.stdout.match(/^-- \d+\. \w+ · [\d.,]+ ms · \d+ rows?$/gm)).toHaveLength(names);
    expect(en.stdout).toContain('-- 1. stuck_thresholds');
    expect(en.stdout.indexOf('Stuck deals')).toBeLessThan(en.stdout.indexOf('-- 1. stuck_thresholds'));

    const ru = await run(['report', 'funnel', ...JANUARY, '--explain'], 'ru');
    expect(ru.stdout).toMatch(/^Создано сделок +3 +Выиграно \/ проиграно +1 \/ 1$/m);
    expect(ru.stdout).toMatch(
      /^Этап +вошли +перешли дальше +выбыли +конверсия +заходов на этап +медиана, дн +90-й перцентиль, дн +вероятность выигрыша$/m,
    );
    expect(ru.stdout).toMatch(/^Доля выигранных +50\s% +Доля выигранных из созданных +33,3\s%$/m);
    expect(ru.stdout).toMatch(new RegExp(`^SQL \\(${ENGINE}\\): ${names} запрос(а|ов)?, [\\d\\s,]+ мс из [\\d\\s,]+ мс$`, 'm'));

    const groups = await run(['report', 'funnel', ...JANUARY, '--by', 'segment']);
    expect(groups.stdout).toMatch(/^Group +created +won +lost +won amount +win rate +cycle med\. d +open +weighted +stuck$/m);
    expect(groups.stdout).toMatch(/^SMB +3 +1 +1 +RUB\s1,000 +50% +10 +1 /m);
    expect(groups.stdout).toMatch(/^Total +3 +1 +1 +RUB\s1,000 +50% +10 +1 /m);
  });

  it('counts the deals behind a figure in the right plural form', async () => {
    const one = await run(['report', 'deals', ...JANUARY, '--metric', 'deals_won']);
    expect(one.stdout).toMatch(/^1 deal behind deals_won$/m);
    const three = await run(['report', 'deals', ...JANUARY, '--metric', 'deals_created'], 'ru');
    expect(three.stdout).toMatch(/^3 сделки за показателем deals_created$/m);
  });
});
