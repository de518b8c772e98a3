// The OpenAPI document exactly as the server serves it at /api/v1/openapi.json, built in-process
// from the route modules: no port, no database (registering routes reads none; any query throws).
import { buildApp } from '../src/app.ts';
import { systemClock } from '../src/platform/clock.ts';
import { defaultConfig } from '../src/platform/context.ts';
import type { Db } from '../src/platform/db/types.ts';

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  [key: string]: unknown;
}
export interface OpenApiOperation {
  parameters?: { in: string; name: string; required?: boolean; description?: string; schema: JsonSchema }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema: JsonSchema }> }>;
  [key: string]: unknown;
}
export type JsonSchema = Record<string, unknown>;

function noDatabase(): never {
  throw new Error('the OpenAPI document is built without a database: a route module queried one while registering');
}

const db: Db = {
  engine: 'pglite',
  location: '(none: building the OpenAPI document)',
  query: noDatabase,
  run: noDatabase,
  exec: noDatabase,
  copyFrom: noDatabase,
  transaction: noDatabase,
  busy: () => false,
  close: async () => {},
};

export async function openApiDocument(): Promise<OpenApiDocument> {
  const app = await buildApp({ db, clock: systemClock, config: defaultConfig }, { webDist: null });
  try {
    await app.ready();
    return app.swagger() as unknown as OpenApiDocument;
  } finally {
    await app.close();
  }
}
