import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { authenticate } from '../auth/auth-service.ts';
import type { Principal } from '../auth/roles.ts';
import { Caches, SWITCHABLE, type Switchable } from '../cache/caches.ts';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { errorHandler, loggedErrors } from './error-handler.ts';
import { serializerCompiler } from './serializer.ts';
import { zodValidatorCompiler } from './validation.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    /** Every route as registered (method, url), for checking the OpenAPI document against them. */
    routeList: { method: string; url: string }[];
    /** The server's caches (also on the context its route modules get). */
    caches: Caches;
  }
  interface FastifyContextConfig {
    /** Reachable without signing in (health, sign-in, the OpenAPI document). */
    public?: boolean;
    /** Answers carry an ETag of their bytes, and a GET with a matching If-None-Match answers 304 (lists, cards). */
    etag?: boolean;
  }
}

export type App = FastifyInstance;
export type ZApp = ReturnType<FastifyInstance['withTypeProvider']> & FastifyInstance;
export const SESSION_COOKIE = 'voronka_session';
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** What route modules get: the app's context with the server's caches. */
export type ServerContext = AppContext & { caches: Caches };

export type RouteModule = (app: FastifyInstance, ctx: ServerContext) => void;

/**
 * The Content-Security-Policy of every answer, tuned to the web app: a Vite build whose page loads
 * one module script and one style sheet from /assets and has no inline script, talking to its own
 * API only. Scripts come from the server's own files, never inline or from `eval` (the build has
 * neither). Styles: ECharts writes its tooltips as HTML with `style` attributes, which a policy
 * without 'unsafe-inline' for styles would strip, so style *attributes* are allowed
 * (`style-src-attr`), while style *elements* and sheets still come from the server's files only
 * (`style-src-elem`; `style-src` is what browsers without the two finer directives use). React's
 * `style={…}` goes through the CSSOM, which a policy does not restrict. No page may frame the app
 * (`frame-ancestors 'none'`, and X-Frame-Options DENY for older browsers). `upgrade-insecure-requests`
 * is left out: the server is often reached over plain HTTP on a local network, where it would break
 * every asset.
 */
export const CONTENT_SECURITY_POLICY: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'style-src-elem': ["'self'"],
  'style-src-attr': ["'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * A request Node's HTTP parser refuses (headers or URL over 16 KiB, malformed request
 * line) never reaches Fastify: answer it in the API's error shape, and close the
 * connection gracefully so the client can read the answer (Fastify's default resets it).
 */
function clientErrorHandler(err: Error & { code?: string }, socket: Socket) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'the URL and headers must stay under 16 KiB']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request took too long to arrive']
        : [400, 'BAD_REQUEST', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } });
  if (!socket.writable) return void socket.destroy();
  socket.resume(); // discard the rest of what the client sends
  socket.setTimeout(5_000, () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * The security headers of every answer (docs/security.md), as @fastify/helmet writes them: the
 * policy above, nosniff, no referrer, no framing, cross-origin isolation of the window and the
 * resources, and HSTS only where the server is set up behind HTTPS (secure cookies), for 180 days
 * and this host alone. They depend on nothing in the request, so they are worked out once, from
 * one request to a throwaway app with the plugin, and set by one hook: the plugin builds helmet's
 * middleware anew for every request, which halved the requests a second of a trivial route
 * (docs/operations.md#load).
 */
async function securityHeaders(behindHttps: boolean): Promise<Record<string, string>> {
  const probe = Fastify();
  await probe.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: behindHttps ? { maxAge: 15_552_000, includeSubDomains: false } : false,
  });
  probe.get('/', async () => '');
  const res = await probe.inject('/');
  await probe.close();
  const own = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);
  return Object.fromEntries(Object.entries(res.headers).flatMap(([k, v]) => (own.has(k) || v === undefined ? [] : [[k, String(v)]])));
}

/** True when a browser request comes from this server's own pages. */
function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * An ETag of the answer: a client that sends it back in If-None-Match gets 304 without the body when
 * nothing it shows has changed; any change to what it shows changes the tag.
 * `no-cache`: a browser keeps the answer but asks every time; `private`: no shared cache keeps it.
 */
function withEtag(req: FastifyRequest, reply: FastifyReply, payload: unknown) {
  if (req.method !== 'GET' || reply.statusCode !== 200 || !(typeof payload === 'string' || Buffer.isBuffer(payload))) return payload;
  // A route that knows what its bytes follow from has set the tag (`Caches.etag`); else the bytes' own.
  const set = reply.getHeader('etag');
  const tag = typeof set === 'string' ? set : `"${createHash('sha1').update(payload).digest('base64url')}"`;
  reply.header('etag', tag);
  reply.header('cache-control', 'private, no-cache');
  const ask = req.headers['if-none-match'];
  if (typeof ask === 'string' && ask.split(',').some((t) => t.trim().replace(/^W\//, '') === tag)) {
    reply.code(304);
    reply.removeHeader('content-type');
    reply.removeHeader('content-length');
    return '';
  }
  return payload;
}

/**
 * For the load bench (`benchCacheSwitch`): lines on standard input turn caches off and on —
 * `cache off` (all), `cache off rows,cards`, `cache on` — each acknowledged on standard output as
 * `bench: <line>`. Only the process that started the server holds its standard input.
 */
function benchCacheSwitch(app: FastifyInstance, caches: Caches) {
  const onData = (b: Buffer) => {
    for (const line of b.toString().split('\n')) {
      const m = line.trim().match(/^cache (on|off)(?: ([a-z,]+))?$/);
      if (!m) continue;
      const names = m[2] ? (m[2].split(',') as Switchable[]) : [...SWITCHABLE];
      if (names.some((n) => !SWITCHABLE.includes(n))) continue;
      caches.switch(names, m[1] === 'on');
      process.stdout.write(`bench: ${line.trim()}\n`);
    }
  };
  process.stdin.on('data', onData);
  app.addHook('onClose', async () => {
    process.stdin.off('data', onData);
    process.stdin.pause();
  });
}

/**
 * Builds the HTTP app: API under /api/v1 (validated by the same zod schemas that make the OpenAPI document) and the web app.
 * The log (JSON lines, pino; stdout unless `logStream`) always holds errors — every 5xx and every
 * unexpected error, with its request id; `logger` (VORONKA_LOG=1) adds a line per request.
 */
export async function buildServer(
  ctx: AppContext,
  modules: RouteModule[],
  opts: { logger?: boolean; logStream?: NodeJS.WritableStream; webDist?: string | null } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: opts.logger ? 'info' : 'error',
      // Secrets never reach the log: credentials in headers, and request bodies are not logged at all.
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'req.headers["x-api-key"]'],
      ...(opts.logStream ? { stream: opts.logStream } : {}),
    },
    bodyLimit: 2 * 1024 * 1024,
    // Deep JSON is refused by the parser's depth guard rather than by a stack overflow.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // A URL the router refuses (bad percent-encoding, an over-long parameter) answers in the API's error shape.
    frameworkErrors: errorHandler,
    clientErrorHandler,
  });
  const routeList: { method: string; url: string }[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (r) => {
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) if (m !== 'HEAD') routeList.push({ method: m, url: r.url });
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  // A 5xx that did not come from an error (a handler answering 503 itself) is logged too; one the
  // error handler logged is not logged twice.
  // Hooks take callbacks, not promises: each runs on every request.
  app.addHook('onResponse', (req, reply, done) => {
    if (reply.statusCode >= 500 && !loggedErrors.has(req)) req.log.error({ req, res: reply }, 'server error answered');
    done();
  });
  // The API speaks JSON only: a text/plain body answers 415 instead of failing validation.
  app.removeContentTypeParser('text/plain');

  await app.register(fastifyCookie);
  // Security headers on every answer: the web app's page and assets, API answers and errors.
  const security = await securityHeaders(ctx.config.secureCookies);
  // Graceful shutdown: a handler whose client hung up keeps running; close() waits for it (at
  // most 10 s) so the database is not closed under a request still using it.
  const inflight = new Set<object>();
  let drained: (() => void) | null = null;
  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(security);
    inflight.add(req);
    done();
  });
  // Routes opt in (sign-in): per address and e-mail, so one attacker cannot lock out an office.
  await app.register(fastifyRateLimit, {
    global: false,
    hook: 'preHandler',
    keyGenerator: (req) => `${req.ip}|${String((req.body as { email?: unknown } | undefined)?.email ?? '').toLowerCase()}`,
    errorResponseBuilder: (_req, c) =>
      new AppError(
        'RATE_LIMITED',
        {
          en: `too many sign-in attempts: try again in ${Math.ceil(c.ttl / 1000)} s`,
          ru: `слишком много попыток входа: повторите через ${Math.ceil(c.ttl / 1000)} с`,
        },
        { retry_after_s: Math.ceil(c.ttl / 1000) },
      ),
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Voronka API',
        version: '1',
        description:
          'The Voronka CRM and funnel-KPI API. Sign in with POST /api/v1/auth/login (session cookie) or send `Authorization: Bearer <API token>`.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
    transform: jsonSchemaTransform,
  });

  app.addHook('onClose', async () => {
    if (inflight.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  });

  const caches = new Caches(ctx.config);
  app.decorate('caches', caches);
  if (ctx.config.benchCacheSwitch) benchCacheSwitch(app, caches);
  app.addHook('onSend', (req, reply, payload, done) => {
    inflight.delete(req);
    if (inflight.size === 0) drained?.();
    // Before the answer leaves (the write has committed): the writer's next request sees the change.
    if (req.principal && !['GET', 'HEAD', 'OPTIONS'].includes(req.method) && reply.statusCode < 400)
      caches.written(req.principal.workspaceId);
    done(null, req.routeOptions.config?.etag ? withEtag(req, reply, payload) : payload);
  });

  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/')) return;
    if (req.routeOptions.config?.public) return;
    const header = req.headers.authorization;
    const secret = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.cookies[SESSION_COOKIE];
    const principal = secret
      ? await authenticate(ctx, secret, caches.credentials, header?.startsWith('Bearer ') ? 'header' : 'cookie')
      : null;
    if (!principal) {
      throw new AppError('UNAUTHENTICATED', {
        en: 'sign in first: a session cookie or an API token (Authorization: Bearer …) is required',
        ru: 'требуется вход: нужна сессия или API-токен (Authorization: Bearer …)',
      });
    }
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
    // A token carries scopes: a read-only token cannot change anything.
    if (principal.via === 'token' && !principal.scopes?.includes(unsafe ? 'write' : 'read')) {
      throw new AppError('FORBIDDEN', {
        en: `this API token lacks the "${unsafe ? 'write' : 'read'}" scope`,
        ru: `у этого API-токена нет права «${unsafe ? 'write' : 'read'}»`,
      });
    }
    // Cross-site request forgery: a write carried by the session cookie must come from this
    // site's own pages (Fetch Metadata, else the Origin header). Scripts use API tokens.
    if (principal.via === 'session' && unsafe && !sameOrigin(req)) {
      throw new AppError('FORBIDDEN', {
        en: "cross-site request refused: writes with the session cookie must come from Voronka's own pages",
        ru: 'межсайтовый запрос отклонён: изменения с cookie сессии принимаются только со страниц Воронки',
      });
    }
    req.principal = principal;
  });

  const zapp = app.withTypeProvider<ZodTypeProvider>();
  zapp.get('/api/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  const serverCtx: ServerContext = { ...ctx, caches };
  for (const register of modules) register(app, serverCtx);

  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) {
      return reply.status(404).send({
        error: {
          code: 'NOT_FOUND',
          message: `no route ${req.method} ${req.url.split('?')[0]}`,
        },
      });
    }
    const dist = opts.webDist === undefined ? WEB_DIST : opts.webDist;
    if (req.method === 'GET' && dist && existsSync(`${dist}/index.html`)) return reply.sendFile('index.html', dist);
    return reply
      .status(404)
      .type('text/plain; charset=utf-8')
      .send('Voronka: the web app is not built. Run "npm run build:web" (npm start does it for you).');
  });
  const dist = opts.webDist === undefined ? WEB_DIST : opts.webDist;
  if (dist && existsSync(dist)) {
    await app.register(fastifyStatic, {
      root: dist,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
    });
  } else {
    await app.register(fastifyStatic, {
      root: fileURLToPath(new URL('.', import.meta.url)),
      serve: false,
    });
  }
  return app;
}
