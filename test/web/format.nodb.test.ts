import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// web/src/i18n.ts reads the saved language and sets <html lang> when it loads: give it a browser's globals.
vi.hoisted(() => {
  const store = new Map<string, string>([['voronka.lang', 'ru']]);
  const g = globalThis as Record<string, unknown>;
  g.localStorage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => store.set(k, v) };
  g.document = { documentElement: { lang: '' } };
  if (!('navigator' in globalThis)) g.navigator = { language: 'ru-RU' };
});

const { default: i18n } = await import('../../web/src/i18n.ts');
const f = await import('../../web/src/format.ts');

/** Intl writes no-break and narrow no-break spaces; name them so the expectations are exact. */
const NB = '\u00a0';
const NNB = '\u202f';

async function inLang<T>(lang: 'ru' | 'en', fn: () => T): Promise<T> {
  await i18n.changeLanguage(lang);
  return fn();
}

beforeAll(async () => {
  await i18n.changeLanguage('ru');
});
afterAll(async () => {
  await i18n.changeLanguage('ru');
});

describe('money on the screen', () => {
  it('keeps kopecks when there are any and shows a whole amount whole (ru)', async () => {
    await inLang('ru', () => {
      expect(f.money(123_456_789, 'RUB')).toBe(`1${NB}234${NB}567,89${NB}₽`);
      expect(f.money(123_456_800, 'RUB')).toBe(`1${NB}234${NB}568${NB}₽`);
      expect(f.money(123_450, 'RUB')).toBe(`1${NB}234,50${NB}₽`);
      expect(f.money(0, 'RUB')).toBe(`0${NB}₽`);
      expect(f.money(1_500_000, 'JPY')).toBe(`1${NB}500${NB}000${NB}¥`);
      expect(f.money(null, 'RUB')).toBe('—');
      expect(f.majorMoney(1_234_567.89, 'RUB')).toBe(`1${NB}234${NB}567,89${NB}₽`);
      expect(f.estimateMoney(1_234_567.89, 'RUB')).toBe(`1${NB}234${NB}568${NB}₽`);
    });
  });

  it('writes the English way in English', async () => {
    await inLang('en', () => {
      expect(f.money(123_456_789, 'RUB')).toBe(`RUB${NB}1,234,567.89`);
      expect(f.money(123_456_800, 'RUB')).toBe(`RUB${NB}1,234,568`);
      expect(f.money(123_456_789, 'USD')).toBe('$1,234,567.89');
    });
  });

  it('reads what is typed in the app’s language, and what an edit field shows', async () => {
    await inLang('ru', () => {
      expect(f.parseMoneyInput('1 234 567,89', 'RUB')).toBe(123_456_789);
      expect(f.parseMoneyInput(`1${NNB}234${NNB}567,89`, 'RUB')).toBe(123_456_789);
      expect(f.parseMoneyInput('1234567.89', 'RUB')).toBe(123_456_789);
      expect(() => f.parseMoneyInput('сто', 'RUB')).toThrow('«сто» — не сумма');
      expect(() => f.parseMoneyInput('1,234', 'RUB')).toThrow('У суммы в RUB не больше 2 знаков после запятой: «1,234»');
      expect(f.moneyInputValue(123_456_789, 'RUB')).toBe('1 234 567,89');
      expect(f.moneyInputValue(123_456_700, 'RUB')).toBe('1 234 567');
      expect(f.moneyInputValue(123_450, 'RUB')).toBe('1 234,50');
    });
    await inLang('en', () => {
      expect(f.parseMoneyInput('1,234,567.89', 'RUB')).toBe(123_456_789);
      expect(() => f.parseMoneyInput('1.234.567', 'RUB')).toThrow('“1.234.567” is not an amount');
      expect(f.moneyInputValue(123_456_789, 'RUB')).toBe('1,234,567.89');
    });
  });
});

describe('numbers, percent, dates, months', () => {
  it('in Russian', async () => {
    await inLang('ru', () => {
      expect(f.pct(0.668)).toBe(`66,8${NB}%`);
      expect(f.pct(0.1)).toBe(`10${NB}%`);
      expect(f.percentPoints(66.8)).toBe(`66,8${NB}%`);
      expect(f.percentPoints(null)).toBe('—');
      expect(f.num(1234567.25, 1)).toBe(`1${NB}234${NB}567,3`);
      expect(f.date('2027-01-08T09:00:00Z', 'Europe/Moscow')).toBe('08.01.2027');
      expect(f.date('2027-01-07T22:30:00Z', 'Europe/Moscow')).toBe('08.01.2027');
      expect(f.dateTime('2027-01-08T07:00:00Z', 'Europe/Moscow')).toBe('08.01.2027, 10:00');
      expect(f.monthLabel('2026-01')).toBe('янв 2026');
      expect(f.monthLabel('2026-05')).toBe('май 2026');
      expect(f.monthLabel('2026-09')).toBe('сент 2026');
      expect(f.monthLabel('Итого')).toBe('Итого');
      expect(f.days(1)).toBe('1 день');
      expect(f.days(3)).toBe('3 дня');
      expect(f.days(5)).toBe('5 дней');
      expect(f.days(21)).toBe('21 день');
    });
  });

  it('in English', async () => {
    await inLang('en', () => {
      expect(f.pct(0.668)).toBe('66.8%');
      expect(f.percentPoints(66.8)).toBe('66.8%');
      expect(f.num(1234567.25, 1)).toBe('1,234,567.3');
      expect(f.date('2027-01-08T09:00:00Z', 'Europe/Moscow')).toBe('Jan 8, 2027');
      expect(f.monthLabel('2026-01')).toBe('Jan 2026');
      expect(f.days(1)).toBe('1 day');
      expect(f.days(21)).toBe('21 days');
    });
  });
});
