import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate } from '../platform/auth/auth-service.ts';
import type { Principal } from '../platform/auth/roles.ts';
import { readInWorkspace } from '../platform/db/workspace-scope.ts';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { SESSION_COOKIE, type ServerContext } from '../platform/http/server.ts';
import { errorResponses, principalOf } from '../platform/resource/resource-routes.ts';
import { notificationRows, readableSql, unreadCount } from './queries.ts';

/**
 * Live delivery: `GET /api/v1/notifications/stream`, Server-Sent Events. The trigger that makes a
 * notification also sends `pg_notify('voronka_notifications', {w, u, id})`, which the database
 * delivers at COMMIT (never for a rolled-back write); the process LISTENs once — PGlite in its
 * worker, a server on one connection of its own — and hands each to the open streams of that
 * person, which read the row in their workspace and send it with the unread count. No query runs
 * while nothing happens; a heartbeat comment every `heartbeatMs` keeps proxies from closing the
 * stream and re-checks the credential, so a stream ends when its session does (logout ends its
 * streams at once).
 */
export const streamSettings = { heartbeatMs: 25_000 };

const CHANNEL = 'voronka_notifications';

interface Stream {
  principal: Principal;
  secret: string;
  carrier: 'header' | 'cookie';
  out: PassThrough;
  timer: NodeJS.Timeout;
  end(): void;
}

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

export function registerNotificationStream(app: FastifyInstance, ctx: ServerContext) {
  const streams = new Map<string, Set<Stream>>();
  const key = (ws: number, user: number) => `${ws}:${user}`;
  let stopListening: Promise<(() => Promise<void>) | null> | null = null;
  let closing = false;

  /** What a person may see of their notifications: for a team lead their team is read first (one statement). */
  const readable = (p: Principal) => readInWorkspace(ctx.db, p.workspaceId, (q) => readableSql(q, p));
  const all = () => [...streams.values()].flatMap((s) => [...s]);

  /** After a lost LISTEN connection: what was notified meanwhile is unknown, so each stream gets its count again. */
  const resync = () => {
    for (const s of all()) void sendCount(s);
  };
  const sendCount = async (s: Stream) => {
    const p = s.principal;
    const unread = await readable(p)
      .then((r) => readInWorkspace(ctx.db, p.workspaceId, (q) => unreadCount(q, p, r)))
      .catch(() => null);
    if (unread !== null) s.out.write(event('unread', { unread }));
  };

  const onNotify = async (payload: string) => {
    let msg: { w: number; u: number; id: number };
    try {
      msg = JSON.parse(payload);
    } catch {
      return;
    }
    const open = streams.get(key(msg.w, msg.u));
    if (!open || open.size === 0) return;
    try {
      // Every stream of one person has the same role: the first one's principal decides what they may see.
      const p = [...open][0].principal;
      const r = await readable(p);
      const [item, unread] = await Promise.all([
        readInWorkspace(ctx.db, msg.w, (q) => notificationRows(q, p, r, { ids: [msg.id], limit: 1 })),
        readInWorkspace(ctx.db, msg.w, (q) => unreadCount(q, p, r)),
      ]);
      if (!item[0]) return;
      for (const s of open) s.out.write(event('notification', { notification: item[0], unread }));
    } catch (e) {
      app.log.error({ err: e }, 'notification stream: could not read a notification');
    }
  };

  const listen = () => {
    if (!stopListening)
      stopListening = ctx.db.listen
        ? ctx.db
            .listen(CHANNEL, (p) => void onNotify(p), resync)
            .catch((e) => {
              app.log.error({ err: e }, 'notification stream: LISTEN failed');
              stopListening = null;
              return null;
            })
        : Promise.resolve(null);
    return stopListening;
  };

  const remove = (s: Stream) => {
    const k = key(s.principal.workspaceId, s.principal.userId);
    streams.get(k)?.delete(s);
    if (streams.get(k)?.size === 0) streams.delete(k);
  };

  app.get(
    '/api/v1/notifications/stream',
    {
      schema: {
        tags: ['notifications'],
        summary:
          'Your new notifications as they come (Server-Sent Events; send Accept: text/event-stream). Events: `unread` {unread} first, then `notification` {notification, unread}; a comment line as heartbeat; `end` when the session ends',
        response: errorResponses,
      },
    },
    async (req: FastifyRequest, reply) => {
      const p = principalOf(req);
      if (!String(req.headers.accept ?? '').includes('text/event-stream'))
        throw validationError([
          fieldIssue(
            'accept',
            'this answers Server-Sent Events: send Accept: text/event-stream (EventSource does)',
            'ответ — поток событий (Server-Sent Events): нужен заголовок Accept: text/event-stream (его шлёт EventSource)',
            'invalid',
          ),
        ]);
      if (closing) throw validationError([fieldIssue('accept', 'the server is shutting down', 'сервер останавливается', 'closing')]);
      await listen();
      const header = req.headers.authorization;
      const bearer = header?.startsWith('Bearer ');
      const secret = bearer ? (header as string).slice(7).trim() : (req.cookies[SESSION_COOKIE] ?? '');
      const out = new PassThrough();
      const s: Stream = {
        principal: p,
        secret,
        carrier: bearer ? 'header' : 'cookie',
        out,
        timer: setInterval(() => void beat(), streamSettings.heartbeatMs),
        end: () => {
          clearInterval(s.timer);
          remove(s);
          if (!out.writableEnded) out.end();
        },
      };
      const beat = async () => {
        // The session may have ended (logged out elsewhere, expired, the user deactivated).
        const still = await authenticate(ctx, s.secret, ctx.caches.credentials, s.carrier).catch(() => null);
        if (!still) {
          out.write(event('end', { reason: 'signed_out' }));
          s.end();
          return;
        }
        out.write(': heartbeat\n\n');
      };
      const k = key(p.workspaceId, p.userId);
      if (!streams.has(k)) streams.set(k, new Set());
      streams.get(k)?.add(s);
      req.raw.on('close', () => s.end());
      out.write(`retry: 5000\n\n`);
      void sendCount(s);
      reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no');
      return reply.send(out);
    },
  );

  // Logout ends that session's streams at once (the heartbeat would notice within its period).
  app.addHook('onResponse', (req, reply, done) => {
    const p = req.principal;
    if (req.url === '/api/v1/auth/logout' && reply.statusCode < 400 && p)
      for (const s of [...(streams.get(key(p.workspaceId, p.userId)) ?? [])])
        if (s.principal.credentialId === p.credentialId && s.principal.via === p.via) {
          s.out.write(event('end', { reason: 'signed_out' }));
          s.end();
        }
    done();
  });

  // Shutdown: every stream ends before the server waits for its connections, so close() does not hang.
  app.addHook('preClose', async () => {
    closing = true;
    for (const s of all()) s.end();
    const stop = await stopListening;
    await stop?.();
  });
}
