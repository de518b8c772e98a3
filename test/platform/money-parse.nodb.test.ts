import { describe, expect, it } from 'vitest';
import { formatMinor, parseAmount } from '../../src/platform/money.ts';

/**
 * What a person types into an amount field (issue 16: «1 234 567,89» became 123456789 roubles,
 * not 1 234 567 roubles 89 kopecks). Every amount field of the web app must read text this way.
 */
const NBSP = '\u00a0';
const NNBSP = '\u202f';

describe('parseAmount: the ways an amount of 1 234 567,89 ₽ is typed', () => {
  it.each([
    ['1 234 567,89', 'ru'],
    ['1 234 567,89', 'en'],
    ['1 234 567.89', 'ru'],
    ['1 234 567.89', 'en'],
    ['1,234,567.89', 'ru'],
    ['1,234,567.89', 'en'],
    ['1234567,89', 'ru'],
    ['1234567.89', 'en'],
    [`1${NBSP}234${NBSP}567,89`, 'ru'],
    [`1${NNBSP}234${NNBSP}567,89`, 'ru'],
    [`1${NNBSP}234${NNBSP}567.89`, 'en'],
    ['  1 234 567,89  ', 'ru'],
  ])('%j (%s) → 123 456 789 kopecks', (text, locale) => {
    expect(parseAmount(text, 'RUB', locale)).toEqual({ ok: true, minor: 123_456_789 });
  });

  it.each([
    ['1234567', 'ru', 123_456_700],
    ['1234567', 'en', 123_456_700],
    ['1 234 567', 'ru', 123_456_700],
    ['1,234,567', 'en', 123_456_700],
    ['1,234,567', 'ru', 123_456_700],
    ['12,5', 'ru', 1_250],
    ['12,5', 'en', 1_250],
    ['12,50', 'ru', 1_250],
    ['0,75', 'ru', 75],
    ['1,234', 'en', 123_400],
    ['1 234,5', 'ru', 123_450],
  ])('%j (%s) → %i kopecks', (text, locale, minor) => {
    expect(parseAmount(text, 'RUB', locale)).toEqual({ ok: true, minor });
  });

  it.each([
    ['', 'ru', 'not_a_number'],
    ['   ', 'ru', 'not_a_number'],
    ['сто рублей', 'ru', 'not_a_number'],
    ['abc', 'en', 'not_a_number'],
    ['-1 000', 'ru', 'not_a_number'],
    ['1 000 ₽', 'ru', 'not_a_number'],
    ['12 34', 'ru', 'not_a_number'],
    ['1 2345', 'ru', 'not_a_number'],
    ['1,2,3', 'ru', 'not_a_number'],
    ['1,234,56', 'en', 'not_a_number'],
    ['1.234.567', 'ru', 'not_a_number'],
    ['1.234.567,89', 'ru', 'not_a_number'],
    ['1 234.567,89', 'en', 'not_a_number'],
    ['1,5.5', 'en', 'not_a_number'],
    [`1${NBSP}${NBSP}234`, 'ru', 'not_a_number'],
    ['1,234', 'ru', 'too_many_decimals'],
    ['1 234 567,891', 'ru', 'too_many_decimals'],
    ['90 071 992 547 409,92', 'ru', 'too_large'],
  ])('refuses %j (%s): %s', (text, locale, problem) => {
    expect(parseAmount(text, 'RUB', locale)).toEqual({ ok: false, problem });
  });

  it('keeps a currency without decimals whole and one with three exact', () => {
    expect(parseAmount('1 500 000', 'JPY', 'ru')).toEqual({ ok: true, minor: 1_500_000 });
    expect(parseAmount('1 500,5', 'JPY', 'ru')).toEqual({ ok: false, problem: 'too_many_decimals' });
    expect(parseAmount('1 234,567', 'KWD', 'ru')).toEqual({ ok: true, minor: 1_234_567 });
    expect(parseAmount('1,234.567', 'KWD', 'en')).toEqual({ ok: true, minor: 1_234_567 });
  });

  it('reads back what the screen shows, kopecks included', () => {
    const shown = formatMinor(123_456_789, 'RUB', 'ru-RU');
    expect(shown).toBe(`1${NBSP}234${NBSP}567,89${NBSP}₽`);
    expect(parseAmount(shown.replace(`${NBSP}₽`, ''), 'RUB', 'ru')).toEqual({ ok: true, minor: 123_456_789 });
  });
});
