import { describe, expect, it } from 'vitest';
import { countOf, parseAmountMinor, parseInstant } from '../../src/imports/values.ts';

describe('amounts from CSV', () => {
  it.each([
    ['1234.56', 123456],
    ['1 234,56', 123456],
    ['1\u00a0234\u00a0567,8', 123456780],
    ['1,234.56', 123456],
    ['1.234,56', 123456],
    ['0', 0],
    ['12,5', 1250],
    ['  99 ₽', 9900],
    ['100 руб.', 10000],
    ['3000000000000', 300000000000000],
  ])('%s → %i minor units', (raw, minor) => {
    expect(parseAmountMinor(raw)).toEqual({ ok: true, value: minor });
  });

  it.each([
    ['', /empty/],
    ['-10', /negative/],
    ['12,345', /more than two decimals/],
    ['1.2.3', /not an amount/],
    ['1,23,4', /not an amount/],
    ['abc', /not an amount/],
    ['1e5', /not an amount/],
    ['99999999999999999999', /too large/],
  ])('refuses %j', (raw, why) => {
    const r = parseAmountMinor(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.en).toMatch(why);
  });
});

describe('timestamps from CSV', () => {
  const at = (raw: string, zone = 'Europe/Moscow') => {
    const r = parseInstant(raw, zone);
    return r.ok ? r.value.toISOString() : `error: ${r.en}`;
  };
  it('keeps an explicit offset and reads the rest in the workspace time zone', () => {
    expect(at('2025-03-01T10:00:00+03:00')).toBe('2025-03-01T07:00:00.000Z');
    expect(at('2025-03-01T10:00:00Z')).toBe('2025-03-01T10:00:00.000Z');
    expect(at('2025-03-01')).toBe('2025-02-28T21:00:00.000Z');
    expect(at('01.03.2025 10:30')).toBe('2025-03-01T07:30:00.000Z');
    expect(at('01.03.2025')).toBe('2025-02-28T21:00:00.000Z');
    expect(at('2025-03-01 10:30')).toBe('2025-03-01T07:30:00.000Z');
    expect(at('3/1/2025', 'America/New_York')).toBe('2025-03-01T05:00:00.000Z');
  });
  it('handles daylight saving time in zones that have it', () => {
    expect(at('2025-03-30 03:30', 'Europe/Berlin')).toBe('2025-03-30T01:30:00.000Z');
    expect(at('2025-10-26 12:00', 'Europe/Berlin')).toBe('2025-10-26T11:00:00.000Z');
  });
  it('refuses what is not a date', () => {
    expect(at('31.02.2025')).toMatch(/^error: .*not a date/);
    expect(at('вчера')).toMatch(/^error: .*not a date/);
    expect(at('')).toMatch(/^error: date is empty/);
    expect(at('1899-01-01')).toMatch(/outside 1990–2200/);
  });
});

describe('counts in import messages', () => {
  it.each([
    [0, '0 rows', '0 строк'],
    [1, '1 row', '1 строка'],
    [2, '2 rows', '2 строки'],
    [4, '4 rows', '4 строки'],
    [5, '5 rows', '5 строк'],
    [11, '11 rows', '11 строк'],
    [12, '12 rows', '12 строк'],
    [21, '21 rows', '21 строка'],
    [22, '22 rows', '22 строки'],
    [25, '25 rows', '25 строк'],
    [101, '101 rows', '101 строка'],
    [111, '111 rows', '111 строк'],
  ])('%i → %s / %s', (n, en, ru) => {
    expect(countOf(n, ['row', 'rows'], ['строка', 'строки', 'строк'])).toEqual({ en, ru });
  });
});
