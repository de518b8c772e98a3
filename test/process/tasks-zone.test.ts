import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/**
 * A person's own time zone (Settings) overrides the workspace's for their days: the preference is
 * validated against IANA names with a bilingual error naming the field, and the server's day
 * bucketing for that caller (a report's `YYYY-MM-DD` period) follows it.
 */
let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness({ clockAt: '2025-03-20T12:00:00Z' });
  w = await seedWorkspace(h, 'Пояса');
});
afterAll(async () => {
  await h.close();
});

describe('the time_zone preference', () => {
  it('is null until set: the workspace zone applies', async () => {
    const r = await w.api.get('/me/preferences');
    expect(r.status).toBe(200);
    expect(r.body.time_zone).toBeNull();
    const f = await w.api.get('/reports/funnel?from=2025-03-01&to=2025-03-02');
    expect(f.body.time_zone).toBe('Europe/Moscow');
    expect(f.body.period).toEqual({ from: '2025-02-28T21:00:00.000Z', to: '2025-03-01T21:00:00.000Z' });
  });

  it('refuses a name that is not an IANA zone, in both languages, naming the field', async () => {
    const ru = await w.api.patch('/me/preferences', { time_zone: 'Москва' }, { 'accept-language': 'ru' });
    expect(ru.status).toBe(400);
    expect(ru.body.error.fields).toEqual([
      expect.objectContaining({ field: 'time_zone', message: 'часовой пояс — название IANA вроде Europe/Moscow или Asia/Novosibirsk' }),
    ]);
    const en = await w.api.patch('/me/preferences', { time_zone: 'Mars/Olympus' }, { 'accept-language': 'en' });
    expect(en.status).toBe(400);
    expect(en.body.error.fields[0]).toMatchObject({
      field: 'time_zone',
      message: 'time_zone must be an IANA time zone such as Europe/Moscow or Asia/Novosibirsk',
    });
    expect((await w.api.get('/me/preferences')).body.time_zone).toBeNull();
  });

  it('once set, the caller’s report days are in their zone; null returns to the workspace’s', async () => {
    const set = await w.api.patch('/me/preferences', { time_zone: 'Asia/Novosibirsk' });
    expect(set.status).toBe(200);
    expect(set.body.time_zone).toBe('Asia/Novosibirsk');
    expect(set.body.start_page).toBe('tasks');
    const f = await w.api.get('/reports/funnel?from=2025-03-01&to=2025-03-02');
    expect(f.body.time_zone).toBe('Asia/Novosibirsk');
    // Midnight in Novosibirsk (UTC+7).
    expect(f.body.period).toEqual({ from: '2025-02-28T17:00:00.000Z', to: '2025-03-01T17:00:00.000Z' });
    const d = await w.api.get('/reports/discipline?from=2025-03-01&to=2025-03-02');
    expect(d.body.time_zone).toBe('Asia/Novosibirsk');
    const back = await w.api.patch('/me/preferences', { time_zone: null });
    expect(back.body.time_zone).toBeNull();
    expect((await w.api.get('/reports/funnel?from=2025-03-01&to=2025-03-02')).body.time_zone).toBe('Europe/Moscow');
  });
});
