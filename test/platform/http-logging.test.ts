/**
 * Errors are logged at every log setting (issue 14.7): without VORONKA_LOG=1 the server logs no
 * request lines, but every 5xx and every unexpected error still writes one error line carrying the
 * request id, which the 500's body gives the client to quote.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeModules } from '../../src/app.ts';
import { fixedClock } from '../../src/platform/clock.ts';
import { type AppContext, defaultConfig } from '../../src/platform/context.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { buildServer, type RouteModule } from '../../src/platform/http/server.ts';
import { T0 } from '../support/harness.ts';
import { openTestDb } from '../support/test-db.ts';

/** Routes that fail as a bug would: an exception, and a handler answering 503 itself. */
const failing: RouteModule = (app) => {
  app.get('/api/v1/test/boom', { config: { public: true } }, async () => {
    throw new TypeError('boom: cannot read properties of undefined');
  });
  app.get('/api/v1/test/unavailable', { config: { public: true } }, async (_req, reply) =>
    reply.status(503).send({ error: { code: 'UNAVAILABLE', message: 'try later' } }),
  );
};

interface Server {
  app: FastifyInstance;
  url: string;
  lines: () => Record<string, unknown>[];
}

let db: Db;
const servers: Server[] = [];

async function start(opts: { logger?: boolean }): Promise<Server> {
  let log = '';
  const logStream = new Writable({
    write(chunk, _enc, done) {
      log += chunk.toString();
      done();
    },
  });
  const ctx: AppContext = { db, clock: fixedClock(T0), config: { ...defaultConfig, reportCacheMs: 0, authCacheMs: 0 } };
  const app = await buildServer(ctx, [...routeModules, failing], { ...opts, logStream, webDist: null });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const s = {
    app,
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    lines: () =>
      log
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
  servers.push(s);
  return s;
}

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  for (const s of servers) await s.app.close();
  await db.close();
});

const errors = (s: Server) => s.lines().filter((l) => (l.level as number) >= 50);

describe('errors are logged whatever the log setting', () => {
  it('without VORONKA_LOG: no request lines, and a 500 writes one error line with its request id', async () => {
    const s = await start({});
    const ok = await fetch(`${s.url}/api/v1/openapi.json`);
    expect(ok.status).toBe(200);
    const refused = await fetch(`${s.url}/api/v1/deals`);
    expect(refused.status).toBe(401);
    expect(s.lines()).toEqual([]);

    const res = await fetch(`${s.url}/api/v1/test/boom`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; request_id: string } };
    expect(body.error.code).toBe('INTERNAL');
    expect(typeof body.error.request_id).toBe('string');
    const lines = s.lines();
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      reqId: body.error.request_id,
      err: { type: 'TypeError', message: 'boom: cannot read properties of undefined' },
      req: { method: 'GET', url: '/api/v1/test/boom' },
    });
    expect(String((lines[0].err as { stack: string }).stack)).toContain('http-logging.test.ts');
  });

  it('a 5xx a handler answers itself is logged once as well', async () => {
    const s = await start({});
    const res = await fetch(`${s.url}/api/v1/test/unavailable`);
    expect(res.status).toBe(503);
    const lines = s.lines();
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ level: 50, res: { statusCode: 503 }, req: { method: 'GET', url: '/api/v1/test/unavailable' } });
    expect(typeof lines[0].reqId).toBe('string');
  });

  it('with VORONKA_LOG=1 (logger on): request lines, and still exactly one error line per 500', async () => {
    const s = await start({ logger: true });
    const res = await fetch(`${s.url}/api/v1/test/boom`);
    expect(res.status).toBe(500);
    const { error } = (await res.json()) as { error: { request_id: string } };
    const mine = s.lines().filter((l) => l.reqId === error.request_id);
    expect(mine.map((l) => l.level)).toEqual([30, 50, 30]);
    expect(errors(s).length).toBe(1);
  });
});
