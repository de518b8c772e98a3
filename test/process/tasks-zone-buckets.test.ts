import { describe, expect, it } from 'vitest';
import { monthLabel, percentLabel } from '../../web/src/time/chart-labels.ts';
import { bucketOf, dayIn, dueText, zoneLabel } from '../../web/src/time/zone.ts';

/**
 * «Мои задачи» buckets by the day in the workspace's zone (pure functions of web/src/time): the
 * browser's zone plays no part in which list a task is in. The browser test shows the same with
 * Chromium in UTC and in Novosibirsk.
 */
const MSK = 'Europe/Moscow';
const nb = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

describe('the day a task is due, in the zone', () => {
  it('01:30 in Moscow is the next day there, whatever UTC says', () => {
    expect(dayIn('2026-12-02T22:30:00Z', MSK)).toBe('2026-12-03');
    expect(dayIn('2026-12-02T22:30:00Z', 'UTC')).toBe('2026-12-02');
    expect(dayIn('2026-12-02T19:00:00Z', 'Asia/Novosibirsk')).toBe('2026-12-03');
  });

  it('buckets: overdue, today, upcoming (seven days), later', () => {
    const now = Date.parse('2026-12-02T22:30:00Z'); // 01:30 on 03.12 in Moscow
    expect(bucketOf('2026-12-02T22:00:00Z', MSK, now)).toBe('overdue');
    expect(bucketOf('2026-12-03T07:00:00Z', MSK, now)).toBe('today'); // 10:00 on 03.12
    expect(bucketOf('2026-12-03T20:59:00Z', MSK, now)).toBe('today'); // 23:59 on 03.12
    expect(bucketOf('2026-12-03T21:00:00Z', MSK, now)).toBe('upcoming'); // 00:00 on 04.12
    expect(bucketOf('2026-12-10T20:59:00Z', MSK, now)).toBe('upcoming'); // 23:59 on 10.12
    expect(bucketOf('2026-12-10T21:00:00Z', MSK, now)).toBe('later');
    expect(bucketOf(null, MSK, now)).toBe('upcoming');
  });

  it('zone labels: МСК, МСК+4 for Novosibirsk, UTC offsets elsewhere', () => {
    expect(zoneLabel(MSK, 'ru')).toBe('МСК');
    expect(zoneLabel('Asia/Novosibirsk', 'ru')).toBe('МСК+4');
    expect(zoneLabel('Europe/Kaliningrad', 'ru')).toBe('МСК−1');
    expect(zoneLabel('Asia/Kolkata', 'ru')).toBe('UTC+5:30');
    expect(zoneLabel('UTC', 'en')).toBe('UTC');
  });

  it('a due time is the zone’s wall clock: 10:00, or дд.мм.гггг, 10:00 on another day', () => {
    const now = Date.parse('2026-12-02T22:30:00Z');
    // The label's presence depends on the machine's zone; the clock and day never do.
    expect(dueText('2026-12-03T07:00:00Z', MSK, 'ru', now)).toMatch(/^10:00( МСК)?$/);
    expect(dueText('2026-12-05T07:00:00Z', MSK, 'ru', now)).toMatch(/^05\.12\.2026, 10:00( МСК)?$/);
    expect(dueText('2026-12-05T07:00:00Z', MSK, 'en', now)).toMatch(/^12\/05\/2026, 10:00( Moscow time)?$/);
  });
});

describe('chart labels in Russian formats', () => {
  it('percentages with a decimal comma and a space, months as «янв 2026»', () => {
    expect(nb(percentLabel(66.8, 'ru'))).toBe('66,8 %');
    expect(percentLabel(66.8, 'en')).toBe('66.8%');
    expect(percentLabel(null, 'ru')).toBe('');
    expect(monthLabel('2026-01', 'ru')).toBe('янв 2026');
    expect(monthLabel('2026-05', 'ru')).toBe('май 2026');
    expect(monthLabel('2026-12', 'en')).toBe('Dec 2026');
  });
});
