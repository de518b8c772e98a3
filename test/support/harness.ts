import type { FastifyInstance } from 'fastify';
import sql, { raw } from 'sql-template-tag';
import { buildApp } from '../../src/app.ts';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import type { Role } from '../../src/platform/auth/roles.ts';
import { fixedClock } from '../../src/platform/clock.ts';
import { type AppContext, defaultConfig } from '../../src/platform/context.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { scopeTo } from '../../src/platform/db/workspace-scope.ts';
import { addUser, createWorkspace } from '../../src/platform/workspaces.ts';
import { createPipeline, loadStages, type StageRow } from '../../src/process/pipelines.ts';
import { openTestDb } from './test-db.ts';

export const T0 = '2025-03-03T09:00:00Z';

export interface Harness {
  db: Db;
  ctx: AppContext;
  clock: ReturnType<typeof fixedClock>;
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** The real server on a real socket (127.0.0.1, random port) over a private test database. */
export async function startHarness(
  opts: {
    db?: Db;
    webDist?: string | null;
    clockAt?: Date | string;
    logStream?: NodeJS.WritableStream;
    config?: Partial<AppContext['config']>;
  } = {},
): Promise<Harness> {
  const db = opts.db ?? (await openTestDb());
  const clock = fixedClock(opts.clockAt ?? T0);
  // Reports and credentials are not cached in tests unless a test asks: many tests change
  // data directly in SQL.
  const ctx: AppContext = { db, clock, config: { ...defaultConfig, reportCacheMs: 0, authCacheMs: 0, ...opts.config } };
  const app = await buildApp(ctx, {
    webDist: opts.webDist === undefined ? null : opts.webDist,
    ...(opts.logStream ? { logger: true, logStream: opts.logStream } : {}),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    db,
    ctx,
    clock,
    app,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

export const STANDARD_STAGES = [
  { name: 'Новый лид', kind: 'open' as const },
  { name: 'Квалификация', kind: 'open' as const },
  { name: 'Встреча', kind: 'open' as const },
  { name: 'Демо', kind: 'open' as const },
  { name: 'КП отправлено', kind: 'open' as const },
  { name: 'Успешно реализовано', kind: 'won' as const },
  { name: 'Закрыто и не реализовано', kind: 'lost' as const },
];

export interface SeededWorkspace {
  ws: number;
  adminId: number;
  token: string;
  pipelineId: number;
  stages: StageRow[];
  stage(name: string): StageRow;
  api: ApiClient;
}

/** A workspace with an admin (API token), one pipeline of the standard stages. */
export async function seedWorkspace(h: Pick<Harness, 'db' | 'ctx' | 'url'>, name = 'Тест', role: Role = 'admin'): Promise<SeededWorkspace> {
  const now = h.ctx.clock.now();
  const { ws, pipelineId } = await h.db.transaction(async (tx) => {
    const w = await createWorkspace(tx, { name }, now);
    await scopeTo(tx, w.workspace_id);
    const pipelineId = await createPipeline(tx, w.workspace_id, now, { name: 'Продажи', stages: STANDARD_STAGES });
    return { ws: w.workspace_id, pipelineId };
  });
  const adminId = await addUser(h.db, ws, { name: 'Админ', email: `admin@${ws}.test`, role, password: 'correct horse battery' }, now);
  const { token } = await createApiToken(h.ctx, { workspaceId: ws, userId: adminId }, { name: 'tests' });
  const stages = await h.db.transaction(async (tx) => loadStages(tx, ws, pipelineId));
  return {
    ws,
    adminId,
    token,
    pipelineId,
    stages,
    stage: (n) => {
      const s = stages.find((x) => x.name === n);
      if (!s) throw new Error(`no stage ${n}`);
      return s;
    },
    api: apiClient(h.url, token),
  };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}
export interface ApiClient {
  get<T = any>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  patch<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  del<T = any>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  raw(path: string, init: RequestInit): Promise<ApiResponse>;
}

/** A real HTTP client (fetch over the socket) authenticated with an API token. */
export function apiClient(base: string, token: string | null): ApiClient {
  const raw = async (path: string, init: RequestInit): Promise<ApiResponse> => {
    const headers = new Headers(init.headers);
    if (token && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
    const res = await fetch(`${base}/api/v1${path}`, { ...init, headers });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body, headers: res.headers };
  };
  const json =
    (method: string) =>
    (path: string, body?: unknown, headers: Record<string, string> = {}) =>
      raw(path, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
  return {
    get: (path, headers = {}) => raw(path, { method: 'GET', headers }),
    post: json('POST'),
    patch: json('PATCH'),
    del: (path, headers = {}) => raw(path, { method: 'DELETE', headers }),
    raw,
  };
}

/** Counts rows of a table in a workspace — to prove a rejected request changed nothing. */
export async function countRows(db: Db, table: string, ws: number): Promise<number> {
  const [r] = await db.query<{ n: number }>(sql`select count(*)::int8 as n from ${raw(table)} where workspace_id = ${ws}`);
  return r.n;
}
