import { describe, expect, it } from 'vitest';
import {
  CURRENCY_CODES,
  decimalToMinor,
  formatEstimate,
  formatMajor,
  formatMinor,
  isCurrencyCode,
  MAX_MINOR,
  minorDigits,
  minorFactor,
  minorToDecimal,
  parseAmount,
  toMajor,
  toMinor,
} from '../../src/platform/money.ts';

/** Intl's separators are no-break spaces in Russian: compare with plain ones. */
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

describe('minor units per currency (ISO 4217)', () => {
  it.each([
    ['JPY', 0],
    ['KRW', 0],
    ['ISK', 0],
    ['RUB', 2],
    ['USD', 2],
    ['EUR', 2],
    ['KWD', 3],
    ['BHD', 3],
    ['IQD', 3],
    ['CLF', 4],
  ])('%s has %i decimals', (code, digits) => {
    expect(isCurrencyCode(code)).toBe(true);
    expect(minorDigits(code)).toBe(digits);
    expect(minorFactor(code)).toBe(10 ** digits);
  });

  it('knows only real currencies: no metals, test or made-up codes', () => {
    for (const code of ['ABC', 'XAU', 'XXX', 'XTS', 'XDR', 'rub', 'RUBL', '']) expect(isCurrencyCode(code)).toBe(false);
    // A code from before codes were checked keeps the old rule: two decimals.
    expect(minorDigits('ABC')).toBe(2);
  });

  it("agrees with Node's Intl wherever CLDR's display digits are ISO 4217's", () => {
    // Where ICU shows fewer decimals than ISO 4217 defines (cash rounding in CLDR), the stored unit follows ISO.
    const CLDR_DIFFERS = [
      'AFN',
      'ALL',
      'COP',
      'HUF',
      'IDR',
      'IQD',
      'IRR',
      'KPW',
      'LAK',
      'LBP',
      'MGA',
      'MMK',
      'PKR',
      'SLL',
      'SOS',
      'SYP',
      'YER',
    ];
    const differs = CURRENCY_CODES.filter(
      (c) => new Intl.NumberFormat('en', { style: 'currency', currency: c }).resolvedOptions().maximumFractionDigits !== minorDigits(c),
    );
    expect(differs).toEqual(CLDR_DIFFERS);
    // Every currency Intl knows with minor units is in the table.
    const intl = Intl.supportedValuesOf('currency').filter((c) => !['XDR', 'XSU'].includes(c));
    expect(intl.filter((c) => !isCurrencyCode(c))).toEqual([]);
  });
});

describe('minor ↔ major', () => {
  it('converts by the currency, never by 100', () => {
    expect(toMajor(150_000_000, 'RUB')).toBe(1_500_000);
    expect(toMajor(1_500_000, 'JPY')).toBe(1_500_000);
    expect(toMajor(1_234_567, 'KWD')).toBe(1234.567);
    expect(toMinor(1_500_000, 'JPY')).toBe(1_500_000);
    expect(toMinor(1234.567, 'KWD')).toBe(1_234_567);
    expect(toMinor(1234.56, 'RUB')).toBe(123_456);
    expect(toMinor(0.1 + 0.2, 'RUB')).toBe(30);
    // An estimate is rounded to the minor unit.
    expect(toMinor(2 / 3, 'KWD')).toBe(667);
    expect(toMinor(1500.4, 'JPY')).toBe(1500);
  });

  it('round-trips every amount the API accepts exactly', () => {
    for (const code of ['JPY', 'RUB', 'KWD', 'CLF']) {
      for (const minor of [0, 1, 7, 99, 101, 123_456_789, 900_719_925_474_099, MAX_MINOR, MAX_MINOR - 1, 2 ** 49 + 3]) {
        expect(toMinor(toMajor(minor, code), code)).toBe(minor);
      }
    }
  });

  it('writes the exact decimal of any safe integer', () => {
    expect(minorToDecimal(123_450, 'RUB')).toBe('1234.5');
    expect(minorToDecimal(100, 'RUB')).toBe('1');
    expect(minorToDecimal(5, 'RUB')).toBe('0.05');
    expect(minorToDecimal(1_500_000, 'JPY')).toBe('1500000');
    expect(minorToDecimal(1_234_567, 'KWD')).toBe('1234.567');
    expect(minorToDecimal(1, 'KWD')).toBe('0.001');
    expect(minorToDecimal(Number.MAX_SAFE_INTEGER, 'KWD')).toBe('9007199254740.991');
    expect(minorToDecimal(Number.MAX_SAFE_INTEGER, 'RUB')).toBe('90071992547409.91');
    expect(minorToDecimal(Number.MAX_SAFE_INTEGER, 'JPY')).toBe('9007199254740991');
    // The same text String(minor / 100) gave for two-decimal currencies.
    for (const m of [0, 1, 10, 99, 12_345, 100_000, 123_456_789]) expect(minorToDecimal(m, 'RUB')).toBe(String(m / 100));
  });
});

describe('a decimal → minor units', () => {
  it.each([
    ['1500000', 'JPY', 1_500_000],
    ['1500.0', 'JPY', 1500],
    ['1234.567', 'KWD', 1_234_567],
    ['1234,5', 'KWD', 1_234_500],
    ['0.001', 'KWD', 1],
    ['1234.56', 'RUB', 123_456],
    ['12,5', 'RUB', 1250],
    [' 7 ', 'RUB', 700],
    ['1.2345', 'CLF', 12_345],
    ['9007199254740991', 'JPY', Number.MAX_SAFE_INTEGER],
    ['9007199254740.991', 'KWD', Number.MAX_SAFE_INTEGER],
    ['90071992547409.91', 'RUB', Number.MAX_SAFE_INTEGER],
  ])('%s %s → %i', (text, code, minor) => {
    expect(decimalToMinor(text, code)).toEqual({ ok: true, minor });
  });

  it.each([
    ['1500.5', 'JPY', 'too_many_decimals'],
    ['1.2345', 'KWD', 'too_many_decimals'],
    ['1.005', 'RUB', 'too_many_decimals'],
    ['9007199254740992', 'JPY', 'too_large'],
    ['9007199254740.992', 'KWD', 'too_large'],
    ['-5', 'RUB', 'not_a_number'],
    ['1 000', 'RUB', 'not_a_number'],
    ['1e5', 'RUB', 'not_a_number'],
    ['', 'RUB', 'not_a_number'],
  ])('refuses %j in %s (%s)', (text, code, problem) => {
    expect(decimalToMinor(text, code)).toEqual({ ok: false, problem });
  });
});

describe("an amount typed in the locale's format → minor units", () => {
  it.each([
    ['1 234 567,89', 'RUB', 'ru', 123_456_789],
    ['1\u00a0234\u00a0567,89', 'RUB', 'ru', 123_456_789],
    ['1\u202f234\u202f567,89', 'RUB', 'ru-RU', 123_456_789],
    ['1234567.89', 'RUB', 'ru', 123_456_789],
    ['1 234 567', 'RUB', 'ru', 123_456_700],
    ['  12,5 ', 'RUB', 'ru', 1250],
    ['999', 'RUB', 'ru', 99_900],
    ['1 500 000', 'JPY', 'ru', 1_500_000],
    ['1 234,567', 'KWD', 'ru', 1_234_567],
    ['1,234,567.89', 'RUB', 'en', 123_456_789],
    ['1 234 567.89', 'RUB', 'en-US', 123_456_789],
    ['1,234', 'RUB', 'en', 123_400],
    ['12,5', 'RUB', 'en', 1250],
    ['0,75', 'RUB', 'en', 75],
    ['1234.567', 'KWD', 'en', 1_234_567],
    ['1,500,000', 'JPY', 'en', 1_500_000],
  ])('%j %s in %s → %i', (text, code, locale, minor) => {
    expect(parseAmount(text, code, locale)).toEqual({ ok: true, minor });
  });

  it.each([
    ['12 34', 'RUB', 'ru', 'not_a_number'],
    ['1 2345', 'RUB', 'ru', 'not_a_number'],
    ['1.234.567', 'RUB', 'ru', 'not_a_number'],
    ['1,234 567', 'RUB', 'en', 'not_a_number'],
    ['1,234,56', 'RUB', 'en', 'not_a_number'],
    ['1 234,567', 'RUB', 'ru', 'too_many_decimals'],
    ['1 500,5', 'JPY', 'ru', 'too_many_decimals'],
    ['-1 000', 'RUB', 'ru', 'not_a_number'],
    ['сто рублей', 'RUB', 'ru', 'not_a_number'],
    ['1 000 ₽', 'RUB', 'ru', 'not_a_number'],
    ['', 'RUB', 'ru', 'not_a_number'],
    ['90 071 992 547 409,92', 'RUB', 'ru', 'too_large'],
  ])('refuses %j %s in %s (%s)', (text, code, locale, problem) => {
    expect(parseAmount(text, code, locale)).toEqual({ ok: false, problem });
  });

  it('reads back what formatMinor writes, in both languages', () => {
    for (const [minor, code] of [
      [123_456_789, 'RUB'],
      [123_450, 'RUB'],
      [1_500_000, 'JPY'],
      [1_234_567, 'KWD'],
    ] as const) {
      for (const locale of ['ru-RU', 'en-US']) {
        const shown = formatMinor(minor, code, locale).replace(/[^\d\s\u00a0\u202f.,]/g, '');
        expect(parseAmount(shown, code, locale)).toEqual({ ok: true, minor });
      }
    }
  });
});

describe('money for a person', () => {
  it('shows whole units, and the decimals only when the amount has them', () => {
    expect(plain(formatMinor(1_500_000, 'JPY', 'ru-RU'))).toBe('1 500 000 ¥');
    expect(plain(formatMinor(1_234_567, 'KWD', 'ru-RU'))).toBe('1 234,567 KWD');
    expect(plain(formatMinor(1_234_000, 'KWD', 'ru-RU'))).toBe('1 234 KWD');
    expect(plain(formatMinor(1_234_500, 'KWD', 'ru-RU'))).toBe('1 234,500 KWD');
    expect(plain(formatMinor(123_456_700, 'RUB', 'ru-RU'))).toBe('1 234 567 ₽');
    expect(plain(formatMinor(123_450, 'RUB', 'ru-RU'))).toBe('1 234,50 ₽');
    expect(plain(formatMinor(1_234_567, 'KWD', 'en-US'))).toBe('KWD 1,234.567');
    expect(formatMinor(1_500_000, 'JPY', 'en-US')).toBe('¥1,500,000');
    expect(plain(formatMajor(1234.567, 'KWD', 'ru-RU'))).toBe('1 234,567 KWD');
    expect(plain(formatMajor(1_500_000, 'RUB', 'ru-RU'))).toBe('1 500 000 ₽');
  });

  it('shows an estimate in whole units whatever the currency', () => {
    expect(plain(formatEstimate(1234.567, 'KWD', 'ru-RU'))).toBe('1 235 KWD');
    expect(plain(formatEstimate(1_234_567.891, 'RUB', 'ru-RU'))).toBe('1 234 568 ₽');
    expect(plain(formatEstimate(1_500_000.4, 'JPY', 'ru-RU'))).toBe('1 500 000 ¥');
  });
});
