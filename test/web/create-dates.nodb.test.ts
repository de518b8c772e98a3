import { describe, expect, it } from 'vitest';
import { addDays, formatDay, nowIn, parseClock, parseDay, zonedInstant } from '../../web/src/create/dates.ts';

describe('a day typed in the form’s language', () => {
  it.each([
    ['05.03.2027', 'ru', { y: 2027, m: 3, d: 5 }],
    ['5.3.2027', 'ru', { y: 2027, m: 3, d: 5 }],
    ['5.3.27', 'ru', { y: 2027, m: 3, d: 5 }],
    ['05/03/2027', 'ru', { y: 2027, m: 3, d: 5 }],
    ['29.02.2028', 'ru', { y: 2028, m: 2, d: 29 }],
    ['03/05/2027', 'en', { y: 2027, m: 3, d: 5 }],
    ['3/5/27', 'en', { y: 2027, m: 3, d: 5 }],
    ['2027-03-05', 'ru', { y: 2027, m: 3, d: 5 }],
    ['2027-03-05', 'en', { y: 2027, m: 3, d: 5 }],
  ] as const)('%s (%s)', (text, lang, day) => {
    expect(parseDay(text, lang)).toEqual(day);
  });

  it.each([
    ['31.02.2027', 'ru'],
    ['29.02.2027', 'ru'],
    ['13/05/2027', 'en'],
    ['05.13.2027', 'ru'],
    ['завтра', 'ru'],
    ['', 'ru'],
    ['5.3', 'ru'],
  ] as const)('refuses %j (%s)', (text, lang) => {
    expect(parseDay(text, lang)).toBeNull();
  });

  it('writes it back the same way', () => {
    expect(formatDay({ y: 2027, m: 3, d: 5 }, 'ru')).toBe('05.03.2027');
    expect(formatDay({ y: 2027, m: 3, d: 5 }, 'en')).toBe('03/05/2027');
    expect(addDays({ y: 2027, m: 12, d: 31 }, 1)).toEqual({ y: 2028, m: 1, d: 1 });
    expect(addDays({ y: 2028, m: 2, d: 28 }, 1)).toEqual({ y: 2028, m: 2, d: 29 });
  });

  it('reads a time of day', () => {
    expect(parseClock('9')).toEqual({ h: 9, min: 0 });
    expect(parseClock('09:30')).toEqual({ h: 9, min: 30 });
    expect(parseClock('18.05')).toEqual({ h: 18, min: 5 });
    expect(parseClock('24:00')).toBeNull();
    expect(parseClock('9:7')).toBeNull();
  });
});

describe('a wall-clock time in the workspace’s zone', () => {
  it.each([
    ['Europe/Moscow', { y: 2027, m: 3, d: 5 }, { h: 18, min: 0 }, '2027-03-05T15:00:00.000Z'],
    ['Asia/Novosibirsk', { y: 2027, m: 1, d: 1 }, { h: 0, min: 30 }, '2026-12-31T17:30:00.000Z'],
    ['Europe/Berlin', { y: 2027, m: 7, d: 1 }, { h: 10, min: 0 }, '2027-07-01T08:00:00.000Z'],
    ['Europe/Berlin', { y: 2027, m: 1, d: 15 }, { h: 10, min: 0 }, '2027-01-15T09:00:00.000Z'],
    ['America/New_York', { y: 2027, m: 11, d: 7 }, { h: 0, min: 30 }, '2027-11-07T04:30:00.000Z'],
    ['America/New_York', { y: 2027, m: 11, d: 7 }, { h: 3, min: 0 }, '2027-11-07T08:00:00.000Z'],
    ['UTC', { y: 2027, m: 3, d: 5 }, { h: 23, min: 59 }, '2027-03-05T23:59:00.000Z'],
  ] as const)('%s %o %o → %s', (zone, day, clock, iso) => {
    expect(zonedInstant(day, clock, zone)).toBe(iso);
  });

  it('tells the day and time it is there', () => {
    const at = Date.parse('2027-03-05T22:30:00Z');
    expect(nowIn('Europe/Moscow', at)).toEqual({ y: 2027, m: 3, d: 6, h: 1, min: 30 });
    expect(nowIn('America/New_York', at)).toEqual({ y: 2027, m: 3, d: 5, h: 17, min: 30 });
  });
});
