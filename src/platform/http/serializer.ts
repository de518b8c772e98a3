import { deepStrictEqual } from 'node:assert';
import fastJson from 'fast-json-stringify';
import type { FastifyReply } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { createSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { $ZodType } from 'zod/v4/core';

const zodSerializer = createSerializerCompiler({});

/**
 * Responses are written by a serializer compiled from each route's response schema
 * (fast-json-stringify, from the JSON Schema of the zod schema the OpenAPI document shows).
 * Checking every response with zod and then JSON.stringify cost a fifth of the server's time on a
 * list of 50 deals; the compiled serializer writes only the declared fields, in the declared order.
 * Each is compiled when its route first answers (compiling all ~100 at start took 0.5 s).
 *
 * Tests (and `VORONKA_CHECK_RESPONSES=1`) run both: zod checks the response against its schema
 * and the compiled serializer's output must equal zod's, so every test also proves the fast path
 * writes exactly what the schema allows. A schema JSON Schema cannot express falls back to zod.
 * The trade-off: without the check, a value of the wrong type is coerced (a null in a string
 * field is written as "", a fraction in an integer field truncated) instead of failing with 500 —
 * as fastify's own default serializer does; undeclared fields are never written either way.
 */
const CHECK = process.env.VORONKA_CHECK_RESPONSES === '1' || process.env.VITEST !== undefined;

function compile(route: Parameters<FastifySerializerCompiler<unknown>>[0]): (data: unknown) => string {
  const schema = route.schema;
  if (!(schema instanceof $ZodType)) return zodSerializer(route as never);
  return jsonWriter(schema as z.ZodType, `${route.method} ${route.url}`, () => zodSerializer(route as never));
}

/**
 * The compiled serializer of a schema, for a route that writes its answer's bytes itself (the deal
 * card keeps them: `sendJson`). Checked against zod like the routes' own; `fallback`: zod's.
 */
export function jsonWriter(
  schema: z.ZodType,
  label: string,
  fallback: () => (data: unknown) => string = () => (data) => JSON.stringify(schema.parse(data)),
): (data: unknown) => string {
  let stringify: (data: unknown) => string;
  try {
    stringify = fastJson(z.toJSONSchema(schema, { io: 'output', target: 'draft-7', unrepresentable: 'throw' }) as never);
  } catch {
    return fallback();
  }
  if (!CHECK) return stringify;
  const checked = fallback();
  return (data: unknown) => {
    const expected = checked(data);
    const fast = stringify(data);
    deepStrictEqual(JSON.parse(fast), JSON.parse(expected), `the compiled serializer of ${label} differs from zod's`);
    return fast;
  };
}

export const serializerCompiler: FastifySerializerCompiler<unknown> = (route) => {
  let serialize: ((data: unknown) => string) | undefined;
  return (data: unknown) => {
    serialize ??= compile(route);
    return serialize(data);
  };
};

/**
 * Answers with JSON bytes the database already wrote (lists: `apiJsonSql`, `listJson`); no
 * serializer runs. Under the same check as above, the bytes must parse, satisfy `schema` and hold
 * exactly the fields the schema writes (zod's output after parsing equals the text's).
 */
export function sendJson<R extends FastifyReply>(reply: R, schema: z.ZodType, json: Buffer): R {
  if (CHECK) {
    const parsed = JSON.parse(json.toString('utf8'));
    deepStrictEqual(
      parsed,
      JSON.parse(JSON.stringify(schema.parse(parsed))),
      `${reply.request.method} ${reply.request.url}: JSON from SQL`,
    );
  }
  return reply.type('application/json; charset=utf-8').send(json) as R;
}
