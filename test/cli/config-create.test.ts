/**
 * `bin/voronka config import FILE --workspace NEW` (issue 17): into a workspace that does not exist
 * it says how to create one; with `--create --admin EMAIL` it makes the workspace, its first admin
 * and exactly the document's standard in one go, and `config export` gives the document back.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/platform/db/types.ts';
import { ENGINE, openTestDb, testDatabaseUrl } from '../support/test-db.ts';

const BIN = join(import.meta.dirname, '../../bin/voronka');
let serverDb: Db | null = null;
let dataDir = '';
beforeAll(async () => {
  if (ENGINE === 'postgres') serverDb = await openTestDb();
  else dataDir = mkdtempSync(join(tmpdir(), 'voronka-config-create-'));
});
afterAll(async () => {
  await serverDb?.close();
});

function run(args: string[], lang = 'en'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LANG: 'en_US.UTF-8',
    VORONKA_LANG: lang,
    VORONKA_ADMIN_PASSWORD: 'Мятный-ёжик-в-тумане-42',
  };
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

const DOC = {
  voronka_config: 1,
  segments: [{ name: 'Опт', kind: 'typical' }],
  deal_fields: [],
  pipelines: [
    {
      name: 'Поставки',
      stages: [
        { name: 'Запрос', kind: 'open', guidance_ru: 'Уточнить объём', guidance_en: 'Ask the volume', requirements: [], playbook: [] },
        {
          name: 'Счёт',
          kind: 'open',
          guidance_ru: null,
          guidance_en: null,
          requirements: [{ field: 'amount_minor', segments: ['Опт'] }],
          playbook: [],
        },
        { name: 'Оплачено', kind: 'won', guidance_ru: null, guidance_en: null, requirements: [], playbook: [] },
        { name: 'Отказ', kind: 'lost', guidance_ru: null, guidance_en: null, requirements: [], playbook: [] },
      ],
    },
  ],
  calendar: [{ day: '2027-01-04', kind: 'holiday', note: 'Каникулы' }],
};

describe('config import --create', () => {
  it('says how to create a missing workspace, creates it with --create, and exports the same standard', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'voronka-doc-')), 'standard.json');
    writeFileSync(file, JSON.stringify(DOC));
    const missing = await run(['config', 'import', file, '--workspace', 'Поставщик']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no workspace "Поставщик"');
    expect(missing.stderr).toContain('--create --admin EMAIL');

    const noAdmin = await run(['config', 'import', file, '--workspace', 'Поставщик', '--create'], 'ru');
    expect(noAdmin.code).toBe(1);
    expect(noAdmin.stderr).toContain('--create требует --workspace ИМЯ и --admin EMAIL');

    const made = await run(['config', 'import', file, '--workspace', 'Поставщик', '--create', '--admin', 'rop@supplier.test']);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/Created workspace "Поставщик" \(id \d+, RUB, Europe\/Moscow\) from the document\./);
    expect(made.stdout).toContain('admin: rop@supplier.test');
    expect(made.stdout).not.toContain('password (shown once)'); // given by VORONKA_ADMIN_PASSWORD

    const out = await run(['config', 'export', '--workspace', 'Поставщик']);
    expect(out.code).toBe(0);
    const back = JSON.parse(out.stdout);
    // Only the document's pipeline: no template pipeline was added beside it.
    expect(back.pipelines).toEqual(DOC.pipelines);
    expect(back.segments).toEqual(DOC.segments);
    expect(back.calendar).toEqual(DOC.calendar);

    // --create on a workspace that exists applies the document like a plain import.
    const again = await run(['config', 'import', file, '--workspace', 'Поставщик', '--create', '--admin', 'rop@supplier.test']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/stages_created\s+0/);
  });
});
