/**
 * Hostile HTTP input for property-based tests: fast-check arbitraries built from the
 * JSON schemas of the live OpenAPI document (valid values, then mutated ones), hostile
 * scalars and strings, deep and huge JSON, raw and wrongly typed bodies, odd query
 * strings and path segments — and a raw HTTP client that sends them exactly as built.
 */
import http from 'node:http';
import fc from 'fast-check';

// ---------------------------------------------------------------------------
// JSON written exactly as we want it

/** A JSON fragment written as is: numbers JSON.stringify cannot write (-0, 1e999), deep nesting. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold RawJson fragments and own `__proto__` keys. */
export function toJson(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? '-0' : JSON.stringify(v)) : 'null';
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .map((k) => `${JSON.stringify(k)}:${toJson(o[k])}`)
      .join(',')}}`;
  }
  return 'null';
}

/** Sets a key as an own property, even `__proto__`. */
function setOwn(o: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (v && typeof v === 'object' && !(v instanceof RawJson)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) setOwn(out, k, clone((v as Record<string, unknown>)[k]));
    return out;
  }
  return v;
}

// ---------------------------------------------------------------------------
// Hostile values

/** Numbers at and beyond every limit, written raw: -0, 1e308, 1e999 (Infinity when parsed), 2^64 … */
export const hostileNumber: fc.Arbitrary<RawJson> = fc
  .constantFrom(
    '-0',
    '0',
    '-1',
    '1e308',
    '-1e308',
    '1e309',
    '-1e999',
    '4.9e-324',
    '1e-7',
    '0.5',
    '1.0',
    '1e2',
    '1E+2',
    '2147483648',
    '-2147483649',
    '9007199254740991',
    '9007199254740993',
    '9223372036854775808',
    '18446744073709551616',
    '123456789012345678901234567890',
    '-0.0',
  )
  .map((t) => new RawJson(t));

/** Strings that break naive code: NUL, lone surrogates, RTL overrides, SQL, look-alike numbers and dates. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '   padded   ',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '1e308',
  '0x1F',
  '０１２',
  '١٢٣',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udc00x',
  'x\ud83d',
  '\u202eevil\u202c.exe',
  '\u200f\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627',
  '\u200b\u200c\u200d',
  '\ufeffBOM',
  '\u2028\u2029',
  'e\u0301\u0301\u0301\u0301',
  '👨‍👩‍👧‍👦🏳️‍🌈',
  '\uffff\ufffe',
  '\r\n\t\v\f\b',
  '\\',
  '"',
  "' or 1=1 --",
  "'); drop table deals; --",
  '$1',
  '%00',
  '%s%s%n',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection attempt, meant literally
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'Иван Петров',
  'none',
  '9999-99-99',
  '2025-02-30',
  '2025-02-29T00:00:00Z',
  '2024-02-29T24:00:00Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01',
  '9999-12-31T23:59:59+14:00',
  '10000-01-01T00:00:00Z',
  '-001000-01-01T00:00:00Z',
  '2025-01-01T00:00:00.123456789012Z',
  '2025-01-01T00:00:00+99:00',
  'infinity',
  '-infinity',
  'epoch',
  'now',
  'allballs',
  'a@b',
  'user@[127.0.0.1]',
];

/** Unicode oddities short enough to fit most text fields: they test storage, not validation. */
export const ODD_UNICODE: readonly string[] = [
  '\u0000',
  'a\u0000b',
  'Ромашка\u0000',
  '\ud800',
  'x\udfff',
  '\u202eevil',
  '\u200f\u05e9\u05dc\u05d5\u05dd',
  '\u200b',
  '\ufeffBOM',
  '\u2028',
  'e\u0301\u0301',
  '👨‍👩‍👧',
  '\uffff',
  '\u0007\u001b[31m',
];

/** Up to ~1 MB of one odd character (ASCII, Cyrillic, astral, NUL, lone surrogate, RTL, digits). */
export const hugeString: fc.Arbitrary<string> = fc
  .record({
    unit: fc.constantFrom('x', 'я', '😀', '\u0000', '\ud800', '\u202e', ' ', '9', 'a\u0301'),
    size: fc.constantFrom(256, 4_097, 65_537, 300_000, 1_000_000),
  })
  .map(({ unit, size }) => unit.repeat(Math.ceil(size / unit.length)));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 2 },
  { arbitrary: hugeString, weight: 1 },
);

/** Nested arrays or objects, 2 to 100,000 levels deep, written raw. */
export const deepJson: fc.Arbitrary<RawJson> = fc
  .record({
    depth: fc.constantFrom(2, 64, 1_000, 10_000, 100_000),
    kind: fc.constantFrom('array', 'object', 'mixed'),
  })
  .map(({ depth, kind }) => {
    const open = kind === 'array' ? '[' : kind === 'object' ? '{"a":' : '[{"a":';
    const close = kind === 'array' ? ']' : kind === 'object' ? '}' : '}]';
    return new RawJson(`${open.repeat(depth)}1${close.repeat(depth)}`);
  });

/** Keys that should never be taken at face value. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    'valueOf',
    '',
    ' ',
    'id',
    'workspace_id',
    'version',
    'created_at',
    'password_hash',
    'token_hash',
    'Title',
    'title ',
    'a.b',
    '$where',
    '\u0000',
    '\ud800',
    'я',
    'x'.repeat(64),
  ),
  fc.string({ maxLength: 12 }),
);

/** Any JSON value, small. */
export const smallJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });

/** A value of any kind that is likely wrong wherever it lands. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileNumber, weight: 3 },
  { arbitrary: hostileString, weight: 4 },
  { arbitrary: smallJson, weight: 3 },
  { arbitrary: deepJson, weight: 1 },
  {
    arbitrary: fc.constantFrom(
      new RawJson('{"__proto__":{"admin":true}}'),
      new RawJson('{"constructor":{"prototype":{"admin":true}}}'),
      new RawJson('{"a":1,"a":{"b":2}}'),
      new RawJson('[null,null,null]'),
      new RawJson('""'),
    ),
    weight: 1,
  },
);

// ---------------------------------------------------------------------------
// JSON Schema (as in the OpenAPI document) → values

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
}

/** Lets the caller steer a named field (real ids for `*_id`, a current `version`, a real e-mail). */
export type Hint = (name: string, schema: JsonSchema) => fc.Arbitrary<unknown> | undefined;

const isoInstant = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

function stringFor(s: JsonSchema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? 40, 40));
  if (s.format === 'date-time') return isoInstant;
  if (s.pattern) {
    return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length >= min && x.length <= (s.maxLength ?? Infinity));
  }
  const fits = (x: string) => x.length >= min && x.length <= (s.maxLength ?? Infinity);
  const odd = HOSTILE_STRINGS.filter(fits);
  const oddUnicode = ODD_UNICODE.filter(fits);
  return fc.oneof(
    {
      arbitrary: fc.string({ minLength: min, maxLength: max, unit: 'grapheme' }).filter((x) => x.trim().length >= Math.min(min, 1)),
      weight: 3,
    },
    ...(odd.length ? [{ arbitrary: fc.constantFrom(...odd), weight: 1 }] : []),
    ...(oddUnicode.length ? [{ arbitrary: fc.constantFrom(...oddUnicode), weight: 2 }] : []),
    { arbitrary: fc.string({ minLength: min, maxLength: max, unit: 'binary' }), weight: 1 },
  );
}

/** Values that satisfy the schema (mostly: cross-field rules and references are the server's business). */
export function fromSchema(s: JsonSchema, hint: Hint, name = '', depth = 0): fc.Arbitrary<unknown> {
  const hinted = hint(name, s);
  if (hinted) return hinted;
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map((a) => fromSchema(a, hint, name, depth)));
  if (Array.isArray(s.type)) return fc.oneof(...s.type.map((t) => fromSchema({ ...s, type: t }, hint, name, depth)));
  switch (s.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const lo = s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : (s.minimum ?? -1_000_000);
      const hi = s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : (s.maximum ?? 1_000_000);
      return fc.oneof(fc.integer({ min: lo, max: Math.min(hi, lo + 1000) }), fc.integer({ min: lo, max: hi }));
    }
    case 'number':
      return fc.double({
        min: s.minimum ?? -1e9,
        max: s.maximum ?? 1e9,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'string':
      return stringFor(s);
    case 'array': {
      if (depth > 6 || !s.items) return fc.constant([]);
      const minLength = s.minItems ?? 0;
      return fc.array(fromSchema(s.items, hint, name, depth + 1), {
        minLength,
        maxLength: Math.max(minLength, Math.min(s.maxItems ?? 4, 4)),
      });
    }
    case 'object': {
      if (depth > 6) return fc.constant({});
      const props = s.properties ?? {};
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, ps] of Object.entries(props)) model[k] = fromSchema(ps, hint, k, depth + 1);
      const rec = fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        const extra = fc.dictionary(
          s.propertyNames ? stringFor(s.propertyNames) : fc.string({ maxLength: 12 }),
          fromSchema(s.additionalProperties, hint, '', depth + 1),
          { maxKeys: 3 },
        );
        return fc.tuple(rec, extra).map(([a, b]) => ({ ...b, ...a }));
      }
      return rec;
    }
    default:
      return smallJson;
  }
}

/** Values just outside (and exactly on) the schema's limits. */
export function boundaryValues(s: JsonSchema | undefined): unknown[] {
  if (!s) return [];
  const out: unknown[] = [];
  const alts = s.anyOf ?? s.oneOf;
  if (alts) for (const a of alts) out.push(...boundaryValues(a));
  if (s.enum) {
    const e = String(s.enum[0]);
    out.push(`${e} `, e.toUpperCase(), `x${e}`, s.enum.length > 1 ? s.enum : [e]);
  }
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  for (const t of types) {
    if (t === 'integer' || t === 'number') {
      const lo = s.exclusiveMinimum ?? s.minimum;
      const hi = s.exclusiveMaximum ?? s.maximum;
      if (lo !== undefined) out.push(lo, lo - 1, lo - 0.5);
      if (hi !== undefined) out.push(hi, hi + 1, new RawJson(`${hi}0`));
      out.push(String(lo ?? 1), 0.1 + 0.2, new RawJson('1e400'));
    }
    if (t === 'string') {
      if (s.maxLength !== undefined) out.push('я'.repeat(s.maxLength), 'x'.repeat(s.maxLength + 1));
      if (s.minLength) out.push('x'.repeat(s.minLength - 1), ' '.repeat(s.minLength + 1));
      if (s.pattern || s.format) out.push('2025-13-01T00:00:00Z', '2025-01-01', '1', 'A'.repeat(3), 'ab@');
      out.push(123, true);
    }
    if (t === 'array') {
      out.push({}, 'a,b');
      if (s.maxItems !== undefined) out.push(Array.from({ length: s.maxItems + 1 }, () => null));
    }
    if (t === 'object') out.push([], 'object', {});
    if (t === 'boolean') out.push('true', 1, 0, 'yes');
  }
  return out;
}

/** The schema of the value at `path` (object keys, array indexes), following anyOf to its first non-null member. */
function schemaAt(s: JsonSchema | undefined, key: string | number): JsonSchema | undefined {
  if (!s) return undefined;
  const alts = s.anyOf ?? s.oneOf;
  if (alts)
    return schemaAt(
      alts.find((a) => a.type !== 'null'),
      key,
    );
  if (typeof key === 'number') return s.items;
  return s.properties?.[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
}

export interface Mutation {
  kind: 'set' | 'drop' | 'unknown' | 'boundary';
  path: number[];
  key: string;
  value: unknown;
  pick: number;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('set', 'drop', 'unknown', 'boundary'),
  path: fc.array(fc.nat(), { maxLength: 4 }),
  key: hostileKey,
  value: hostileValue,
  pick: fc.nat(),
});

/** Applies a mutation somewhere inside `root` (the path's numbers choose the way down). */
export function applyMutation(root: unknown, schema: JsonSchema, m: Mutation): unknown {
  const top = clone(root);
  let parent: Record<string, unknown> | unknown[] | null = null;
  let at: string | number = '';
  let cur = top;
  let s: JsonSchema | undefined = schema;
  for (const step of m.path) {
    if (Array.isArray(cur) && cur.length > 0) {
      at = step % cur.length;
    } else if (cur && typeof cur === 'object' && !(cur instanceof RawJson) && Object.keys(cur).length > 0) {
      const keys = Object.keys(cur);
      at = keys[step % keys.length];
    } else break;
    parent = cur as Record<string, unknown> | unknown[];
    s = schemaAt(s, at);
    cur = (parent as Record<string | number, unknown>)[at];
  }
  const replace = (v: unknown) => {
    if (parent === null) return v;
    if (Array.isArray(parent)) parent[at as number] = v;
    else setOwn(parent, at as string, v);
    return top;
  };
  switch (m.kind) {
    case 'set':
      return replace(m.value);
    case 'boundary': {
      const b = boundaryValues(s);
      return replace(b.length ? b[m.pick % b.length] : m.value);
    }
    case 'drop':
      if (parent === null) return undefined;
      if (Array.isArray(parent)) parent.splice(at as number, 1);
      else delete parent[at as string];
      return top;
    case 'unknown':
      if (cur && typeof cur === 'object' && !Array.isArray(cur) && !(cur instanceof RawJson)) {
        setOwn(cur as Record<string, unknown>, m.key, m.value);
        return top;
      }
      return replace({ [m.key]: m.value });
  }
}

/** A schema-valid object with one to three mutations: wrong types, limits, unknown and dropped fields. */
export function mutatedFromSchema(s: JsonSchema, hint: Hint): fc.Arbitrary<unknown> {
  return fc
    .tuple(fromSchema(s, hint), fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
    .map(([v, ms]) => ms.reduce((acc, m) => applyMutation(acc, s, m), v));
}

// ---------------------------------------------------------------------------
// Raw bodies and content types

export interface RawBody {
  contentType: string | undefined;
  bytes: Buffer;
  label: string;
}

const invalidJsonTexts = [
  '',
  ' ',
  '{',
  '}',
  '{"a":1,}',
  "{'a':1}",
  '{a:1}',
  '{"a":1}//c',
  '{"a":1} {"b":2}',
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":undefined}',
  '{"a":01}',
  '{"a":.5}',
  '{"a":"\\x41"}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"a":"unterminated}',
  '[1,2',
  'nul',
  'tru',
  '\ufeff{}',
  '\u0000',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
];

const invalidUtf8: Buffer[] = [
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]),
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
  Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
  Buffer.from([0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]),
  Buffer.from('{"title":"x"}', 'utf16le'),
  Buffer.from([0x80]),
];

export const CONTENT_TYPES: readonly (string | undefined)[] = [
  undefined,
  '',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;',
  'application/json ; x=y',
  'application/jsonx',
  'application/vnd.api+json',
  'application/problem+json',
  'text/json',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----voronka',
  'multipart/form-data',
  'application/octet-stream',
  'application/xml',
  '*/*',
  'json',
  ';',
  'application/json, text/plain',
];

function multipart(fields: Record<string, unknown>): string {
  const parts = Object.entries(fields).map(
    ([k, v]) => `------voronka\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${typeof v === 'string' ? v : toJson(v)}\r\n`,
  );
  return `${parts.join('')}------voronka--\r\n`;
}

function formEncoded(fields: Record<string, unknown>): string {
  return new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? v : toJson(v)])).toString();
}

/**
 * A body that is not a well-typed JSON object in application/json: a valid object in
 * the wrong content type (or none), invalid JSON, invalid UTF-8, random bytes.
 */
export function rawBody(valid: fc.Arbitrary<unknown>): fc.Arbitrary<RawBody> {
  const asObject = (v: unknown): Record<string, unknown> =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { v };
  return fc.oneof(
    fc.tuple(valid, fc.constantFrom(...CONTENT_TYPES), fc.constantFrom('json', 'form', 'multipart')).map(([v, ct, enc]) => ({
      contentType: ct,
      bytes: Buffer.from(enc === 'json' ? toJson(v) : enc === 'form' ? formEncoded(asObject(v)) : multipart(asObject(v))),
      label: `${enc} as ${ct ?? '(no content-type)'}`,
    })),
    fc.tuple(valid, fc.nat()).map(([v, cut]) => {
      const text = toJson(v);
      return {
        contentType: 'application/json',
        bytes: Buffer.from(text.slice(0, cut % Math.max(1, text.length))),
        label: 'truncated JSON',
      };
    }),
    fc.tuple(fc.constantFrom(...invalidJsonTexts), fc.constantFrom('application/json', undefined, 'text/plain')).map(([t, ct]) => ({
      contentType: ct,
      bytes: Buffer.from(t),
      label: `invalid JSON as ${ct ?? '(none)'}`,
    })),
    fc.constantFrom(...invalidUtf8).map((b) => ({ contentType: 'application/json', bytes: b, label: 'invalid UTF-8' })),
    fc.uint8Array({ maxLength: 64 }).map((a) => ({ contentType: 'application/json', bytes: Buffer.from(a), label: 'random bytes' })),
  );
}

// ---------------------------------------------------------------------------
// URLs

/** Percent-encodes every byte of the UTF-8 form (lone surrogates become U+FFFD, as a browser would send). */
export function pct(s: string): string {
  return Array.from(Buffer.from(s, 'utf8'), (b) =>
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f || b === 0x2e
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');
}

/** Already-encoded URL fragments that a percent-encoder would never produce. */
export const RAW_URL_FRAGMENTS: readonly string[] = [
  '%',
  '%zz',
  '%FF%FE',
  '%C0%AF',
  '%ED%A0%80',
  '%00',
  '%u0041',
  '+',
  '%2B',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '~',
  "'",
  '!$()*',
  '[]',
  '{}',
];

// ---------------------------------------------------------------------------
// A raw HTTP client

export interface RawRequest {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface RawResponse {
  status: number;
  contentType: string | undefined;
  text: string;
  json: unknown;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** Sends exactly what it is given (a body on GET, no content type, invalid bytes) and reads the whole answer. */
export function send(base: string, r: RawRequest): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.body) headers['content-length'] = r.body.length;
    const req = http.request({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text, json });
      });
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

export function closeClient() {
  agent.destroy();
}
