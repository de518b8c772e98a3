/**
 * The live stream (GET /api/v1/notifications/stream) over real loopback HTTP: a notification
 * written by another user's request arrives as an event; a heartbeat; logout ends the stream; the
 * server's close does not wait for open streams.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamSettings } from '../../src/notifications/stream.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness, T0 } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let annaId: number;

interface Sse {
  events: { event: string; data: unknown }[];
  comments: string[];
  status: number;
  headers: http.IncomingHttpHeaders;
  ended: Promise<void>;
  /** Resolves with the first event named `name` (already received or still to come). */
  next(name: string, timeoutMs?: number): Promise<unknown>;
  close(): void;
}

/** Opens the stream with the session cookie and parses what arrives. */
function openStream(base: string, cookie: string): Promise<Sse> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/api/v1/notifications/stream`, { headers: { cookie, accept: 'text/event-stream' } }, (res) => {
      const s: Sse = {
        events: [],
        comments: [],
        status: res.statusCode ?? 0,
        headers: res.headers,
        ended: new Promise((done) => res.on('close', () => done())),
        next: (name, timeoutMs = 5_000) =>
          new Promise((ok, fail) => {
            const seen = new Set<number>();
            const start = Date.now();
            const look = () => {
              const i = s.events.findIndex((e, k) => e.event === name && !seen.has(k));
              if (i >= 0) {
                const [e] = s.events.splice(i, 1);
                return ok(e.data);
              }
              if (Date.now() - start > timeoutMs)
                return fail(new Error(`no "${name}" event in ${timeoutMs} ms: ${JSON.stringify(s.events)}`));
              setTimeout(look, 20);
            };
            look();
          }),
        close: () => req.destroy(),
      };
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const lines = block.split('\n');
          if (lines.every((l) => l.startsWith(':'))) s.comments.push(...lines);
          const ev = lines.find((l) => l.startsWith('event: '))?.slice(7);
          const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
          if (ev && data !== undefined) s.events.push({ event: ev, data: JSON.parse(data) });
        }
      });
      resolve(s);
    });
    req.on('error', reject);
  });
}

async function login(base: string, email: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'correct horse battery' }),
  });
  expect(res.status).toBe(200);
  const set = res.headers.get('set-cookie') ?? '';
  return set.split(';')[0];
}

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Поток');
  annaId = await addUser(
    h.db,
    w.ws,
    { name: 'Анна Смирнова', email: `anna@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
    h.ctx.clock.now(),
  );
});
afterAll(async () => {
  streamSettings.heartbeatMs = 25_000;
  await h?.close();
});

describe('the notification stream', () => {
  it('delivers a mention written by another user, with the unread count, behind the CSP', async () => {
    const cookie = await login(h.url, `anna@${w.ws}.test`);
    const s = await openStream(h.url, cookie);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(s.headers['cache-control']).toBe('no-cache, no-transform');
    expect(s.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(await s.next('unread')).toEqual({ unread: 0 });
    const deal = await w.api.post('/deals', { title: 'Поставка станков', owner_id: annaId });
    expect(deal.status).toBe(201);
    // The deal handed to her is the first event; then the admin's note that mentions her.
    const handed = (await s.next('notification')) as { notification: Record<string, unknown>; unread: number };
    expect(handed.unread).toBe(1);
    expect(handed.notification).toMatchObject({ kind: 'deal_assigned', entity: 'deals', entity_id: deal.body.id });
    const t0 = performance.now();
    await w.api.post('/activities', { type: 'email', at: T0, deal_id: deal.body.id, notes: 'Посмотрите, @Анна Смирнова' });
    const answered = performance.now();
    const got = (await s.next('notification')) as { notification: Record<string, unknown>; unread: number };
    // For docs/notifications.md: how long after the write's answer the event came (the poll here is 20 ms).
    console.info(
      `stream: the write answered in ${(answered - t0).toFixed(0)} ms, its event ${(performance.now() - answered).toFixed(0)} ms later`,
    );
    expect(got).toEqual({
      unread: 2,
      notification: {
        id: expect.any(Number),
        kind: 'mentioned',
        entity: 'deals',
        entity_id: deal.body.id,
        actor_id: w.adminId,
        actor: 'Админ',
        params: { target: 'deals', name: 'Поставка станков', type: 'email', subject: null },
        created_at: '2025-03-03T09:00:00.000Z',
        read_at: null,
      },
    });
    // A rolled-back write sends nothing: a bad activity (no such deal) is refused.
    expect((await w.api.post('/activities', { type: 'email', at: T0, deal_id: 999_999, notes: '@Анна Смирнова' })).status).toBe(400);
    await expect(s.next('notification', 500)).rejects.toThrow('no "notification" event');
    s.close();
  });

  it('sends heartbeats, and ends at logout', async () => {
    streamSettings.heartbeatMs = 200;
    const cookie = await login(h.url, `anna@${w.ws}.test`);
    const s = await openStream(h.url, cookie);
    await s.next('unread');
    await new Promise((r) => setTimeout(r, 500));
    expect(s.comments).toContain(': heartbeat');
    const out = await fetch(`${h.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { cookie, origin: h.url, 'sec-fetch-site': 'same-origin' },
    });
    expect(out.status).toBeLessThan(300);
    expect(await s.next('end')).toEqual({ reason: 'signed_out' });
    await s.ended;
    // The cookie no longer opens one.
    const again = await fetch(`${h.url}/api/v1/notifications/stream`, { headers: { cookie, accept: 'text/event-stream' } });
    expect(again.status).toBe(401);
    streamSettings.heartbeatMs = 25_000;
  });

  it('refuses a request that does not ask for events, naming the header', async () => {
    const r = await apiClient(h.url, w.token).get('/notifications/stream');
    expect(r.status).toBe(400);
    expect(r.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['accept']);
  });

  it("the server's close does not wait for an open stream", async () => {
    const h2 = await startHarness();
    const w2 = await seedWorkspace(h2, 'Закрытие');
    await addUser(
      h2.db,
      w2.ws,
      { name: 'Ира', email: `ira@${w2.ws}.test`, role: 'manager', password: 'correct horse battery' },
      h2.ctx.clock.now(),
    );
    const s = await openStream(h2.url, await login(h2.url, `ira@${w2.ws}.test`));
    await s.next('unread');
    const t0 = Date.now();
    await h2.app.close();
    await s.ended;
    // Without ending the streams first, close() waited for them (10 s for the in-flight request, then for ever).
    expect(Date.now() - t0).toBeLessThan(2_000);
    await h2.db.close();
  });
});
