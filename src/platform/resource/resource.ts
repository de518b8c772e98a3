import sql, { empty, join, raw, type Sql } from 'sql-template-tag';
import { type ZodType, z } from 'zod';
import { audit, diffRows } from '../audit.ts';
import type { AccessObject } from '../auth/access.ts';
import type { Principal } from '../auth/roles.ts';
import type { RowJsonCache } from '../cache/row-json-cache.ts';
import type { AppContext } from '../context.ts';
import { prepared, type Queryable, type Row } from '../db/types.ts';
import { AppError, type FieldIssue, fieldIssue, type Msg, notFound, validationError, versionConflict } from '../errors.ts';
import { ownMessage, RequestValidationError } from '../http/validation.ts';
import { conflictChanges, type NamedChange } from './conflict.ts';
import { customValueIssues, loadCustomFieldDefs, type ObjectType } from './custom-values.ts';

/**
 * A resource is described once — its fields, what may be written, filtered and
 * sorted — and the same description produces the zod schemas (hence validation
 * and the OpenAPI document), the SQL, and the routes. Identifiers in SQL only
 * ever come from these descriptions; values are always parameters.
 */
export interface Field {
  /** SQL column; defaults to the field name. */
  col?: string;
  /** Type in responses. */
  out: ZodType;
  /** Type accepted on writes; absent means read-only. */
  in?: ZodType;
  /** Required on create (otherwise optional). */
  required?: boolean;
  /** Writable on update (default: true when `in` is set). */
  updatable?: boolean;
  filter?: 'eq' | 'range' | 'time' | 'text' | 'bool';
  sort?: boolean;
  /** A reference checked to exist in the same workspace before writing. */
  ref?: { table: string; what: Msg };
  /** Accepted on writes, never returned (passwords). */
  writeOnly?: boolean;
  /** Stored in a PostgreSQL array column (not jsonb). */
  pgArray?: boolean;
  description?: string;
}

export interface WriteHookArgs {
  tx: Queryable;
  ctx: AppContext;
  principal: Principal;
  /** Column values about to be written (by SQL column name); hooks may add or change them. */
  values: Record<string, unknown>;
  /** The current row on update. */
  existing?: Row;
}

export interface Resource {
  /** URL segment and OpenAPI tag, e.g. `companies`. */
  path: string;
  table: string;
  what: Msg;
  fields: Record<string, Field>;
  /** Custom fields of this object type are accepted under `custom`. */
  custom?: ObjectType;
  defaultSort: string;
  /** Extra checks and derived columns before insert/update; may throw AppError. */
  beforeWrite?: (args: WriteHookArgs) => Promise<void>;
  afterCreate?: (args: WriteHookArgs & { row: Row }) => Promise<void>;
  afterUpdate?: (args: WriteHookArgs & { row: Row }) => Promise<void>;
  /** Fields refused on update with a pointer to the right endpoint. */
  immutable?: Record<string, Msg>;
  /** Routes to leave out (e.g. a resource with its own create). */
  without?: ('create' | 'update' | 'list' | 'get')[];
  /** Whose records are whose: the access table's object (src/platform/auth/access.ts). */
  access?: AccessObject;
  /**
   * Archived rather than deleted (`archived_at`, `archived_by`): lists leave archived rows out
   * unless `archived=true`, which lists only them; a list by `id` shows them too.
   */
  archivable?: boolean;
  /**
   * Versions this resource makes without an audit row (a deal's stage moves), as the changes a
   * stale write names (`conflictChanges`): the `n` latest.
   */
  unaudited?: (tx: Queryable, ws: number, id: number, n: number) => Promise<NamedChange[]>;
}

/** The fields of an archivable resource (`archivable`): when and by whom it was put in the archive. */
export const archiveFields: Record<string, Field> = {
  archived_at: {
    out: z.iso.datetime({ offset: true }).nullable(),
    description: 'When the record was archived (null: not archived); POST …/archive and …/restore change it',
  },
  archived_by: { out: z.number().int().nullable(), description: 'Who archived it' },
};

const MAX_LIMIT = 500;
const colOf = (name: string, f: Field) => f.col ?? name;

export const isoTime = z.iso.datetime({ offset: true }).describe('ISO 8601 timestamp with offset');
export const idSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const customValuesSchema = z
  .record(z.string().max(63), z.union([z.string(), z.number(), z.boolean(), z.array(z.string().max(100)).max(200), z.null()]))
  .describe('Custom field values by key (see /api/v1/custom-fields); null removes a value');

function outputSchema(r: Resource) {
  const shape: Record<string, ZodType> = { id: idSchema };
  for (const [name, f] of Object.entries(r.fields)) if (!f.writeOnly) shape[name] = f.out;
  if (r.custom) shape.custom = z.record(z.string(), z.unknown());
  shape.version = z.number().int();
  return z.object(shape);
}

export function schemasOf(r: Resource) {
  const createShape: Record<string, ZodType> = {};
  const updateShape: Record<string, ZodType> = {
    version: z.number().int().positive().describe('The version you read; a stale one answers 409'),
  };
  for (const [name, f] of Object.entries(r.fields)) {
    if (!f.in) continue;
    createShape[name] = f.required ? f.in : f.in.optional();
    if (f.updatable !== false) updateShape[name] = f.in.optional();
  }
  if (r.custom) {
    createShape.custom = customValuesSchema.optional();
    updateShape.custom = customValuesSchema.optional();
  }
  for (const name of Object.keys(r.immutable ?? {})) updateShape[name] = z.unknown().optional();

  const sortable = [
    'id',
    ...Object.entries(r.fields)
      .filter(([n, f]) => f.sort && sortKind(n, f))
      .map(([n]) => n),
  ];
  const listShape: Record<string, ZodType> = {
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(50).describe(`Page size, 1–${MAX_LIMIT}`),
    cursor: z.string().max(2000).optional().describe('The `next_cursor` of the previous page'),
    sort: z
      .enum([...sortable, ...sortable.map((s) => `-${s}`)] as [string, ...string[]])
      .optional()
      .describe('Field to sort by; prefix with - for descending'),
    lang: z.enum(['ru', 'en']).optional(),
    id: z.string().max(5000).optional().describe('Only these ids, separated by commas'),
  };
  if (r.archivable)
    listShape.archived = z.enum(['true', 'false']).optional().describe('true: only archived records; default: only those not archived');
  let hasText = false;
  for (const [name, f] of Object.entries(r.fields)) {
    switch (f.filter) {
      case 'eq':
        listShape[name] = z.string().max(2000).optional().describe(`Exact match; several values separated by commas`);
        break;
      case 'bool':
        listShape[name] = z.enum(['true', 'false']).optional();
        break;
      case 'range':
        listShape[`${name}_min`] = z.coerce.number().optional().describe(`${name} ≥ this`);
        listShape[`${name}_max`] = z.coerce.number().optional().describe(`${name} ≤ this`);
        break;
      case 'time':
        listShape[`${name}_from`] = timeParam.describe(
          `${name} ≥ this: an ISO 8601 time with offset, or a day (YYYY-MM-DD or DD.MM.YYYY) from its start in the workspace time zone`,
        );
        listShape[`${name}_to`] = timeParam.describe(
          `${name} < this time (exclusive), or up to the end of this day (inclusive: YYYY-MM-DD or DD.MM.YYYY, workspace time zone)`,
        );
        break;
      case 'text':
        hasText = true;
        break;
    }
  }
  if (hasText) listShape.q = z.string().max(200).optional().describe('Case-insensitive search');
  const output = outputSchema(r);
  return {
    output,
    create: z.strictObject(createShape),
    update: z.strictObject(updateShape),
    list: listQuerySchema(r, listShape),
    page: z.object({
      items: z.array(output),
      next_cursor: z.string().nullable(),
    }),
    sortable,
  };
}

const nullables = new WeakMap<Field, boolean>();
/** Whether a field's value may be null in the API (and so in its column). */
function nullable(f: Field): boolean {
  let n = nullables.get(f);
  if (n === undefined) {
    n = f.out.safeParse(null).success;
    nullables.set(f, n);
  }
  return n;
}

const apiColumns = new WeakMap<Resource, [string, string][]>();
/** The readable fields of a resource with their columns, worked out once (lists map thousands of rows). */
function readable(r: Resource): [string, string][] {
  let cols = apiColumns.get(r);
  if (!cols) {
    cols = Object.entries(r.fields)
      .filter(([, f]) => !f.writeOnly)
      .map(([name, f]) => [name, colOf(name, f)]);
    apiColumns.set(r, cols);
  }
  return cols;
}

/**
 * A time as the API writes it (UTC, milliseconds), whatever the session's time zone and however
 * old the date; `US`: to the microsecond, as stored (list cursors).
 */
export const utcSql = (col: string, fraction: 'MS' | 'US' = 'MS') =>
  raw(`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.${fraction}"Z"')`);

const times = new WeakMap<Field, boolean>();
/** Whether the API writes a field as a time (its JSON Schema says `date-time`). */
function isTime(f: Field): boolean {
  let t = times.get(f);
  if (t === undefined) {
    const js = z.toJSONSchema(f.out, { io: 'output', unrepresentable: 'any' }) as { format?: string; anyOf?: { format?: string }[] };
    t = js.format === 'date-time' || (js.anyOf ?? []).some((x) => x.format === 'date-time');
    times.set(f, t);
  }
  return t;
}

const jsonObjects = new WeakMap<Resource, Map<string, string>>();
/**
 * The API object of a row of `r.table` (referred to as `t`, its own name by default) written by SQL
 * as JSON text: the fields of `toApi`, in its order, with times formatted as `toApi` writes them.
 * Turning many columns per row into JS values (a Date per time) and back into JSON had been most
 * of a list's server time; PostgreSQL writes the JSON and the server passes it on. `row_to_json`
 * of a one-row subquery, because `json_build_object` works out every argument's type on every
 * call. test/platform/list-json.test.ts proves it equal to `toApi` for every resource with a list.
 */
export function apiJsonSql(r: Resource, t = r.table): Sql {
  let texts = jsonObjects.get(r);
  if (!texts) {
    texts = new Map();
    jsonObjects.set(r, texts);
  }
  let text = texts.get(t);
  if (!text) {
    const cols = [`${t}.id`];
    for (const [name, col] of readable(r))
      cols.push(isTime(r.fields[name]) ? `${utcSql(`${t}.${col}`).text} as "${name}"` : `${t}.${col} as "${name}"`);
    if (r.custom) cols.push(`coalesce(${t}.custom, '{}'::jsonb) as custom`);
    cols.push(`${t}.version`);
    text = `(select row_to_json(a)::text from (select ${cols.join(', ')}) a)`;
    texts.set(t, text);
  }
  return raw(text);
}

/** A database row → the API object (timestamps as ISO strings, only declared fields). */
export function toApi(r: Resource, row: Row): Row {
  const out: Row = { id: row.id };
  for (const [name, col] of readable(r)) {
    const v = row[col];
    out[name] = v instanceof Date ? v.toISOString() : (v ?? null);
  }
  if (r.custom) out.custom = row.custom ?? {};
  out.version = row.version;
  return out;
}

async function checkRefs(tx: Queryable, ws: number, r: Resource, input: Record<string, unknown>): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  for (const [name, f] of Object.entries(r.fields)) {
    const v = input[name];
    if (!f.ref || v === undefined || v === null) continue;
    const rows = await tx.query(sql`select 1 from ${raw(f.ref.table)} where workspace_id = ${ws} and id = ${v}`);
    if (rows.length === 0) {
      issues.push(
        fieldIssue(
          name,
          `no ${f.ref.what.en} ${String(v)} in this workspace`,
          `в этом пространстве нет: ${f.ref.what.ru} ${String(v)}`,
          'not_found',
        ),
      );
    }
  }
  return issues;
}

async function checkCustom(tx: Queryable, ws: number, r: Resource, custom: unknown): Promise<FieldIssue[]> {
  if (!r.custom || custom === undefined) return [];
  return customValueIssues(tx, ws, r.custom, custom as Record<string, unknown>);
}

function columnsFromInput(r: Resource, input: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(r.fields)) {
    if (f.in && input[name] !== undefined) values[colOf(name, f)] = input[name];
  }
  return values;
}

export async function createRecord(
  tx: Queryable,
  ctx: AppContext,
  principal: Principal,
  r: Resource,
  input: Record<string, unknown>,
): Promise<Row> {
  const ws = principal.workspaceId;
  const issues = [...(await checkRefs(tx, ws, r, input)), ...(await checkCustom(tx, ws, r, input.custom))];
  if (issues.length > 0) throw validationError(issues);
  const values = columnsFromInput(r, input);
  if (r.custom) values.custom = stripNulls((input.custom as Record<string, unknown>) ?? {});
  await r.beforeWrite?.({ tx, ctx, principal, values });
  const now = ctx.clock.now();
  if (!('created_at' in values)) values.created_at = now;
  values.updated_at = now;
  const cols = Object.keys(values);
  const arrays = arrayColumns(r);
  const [row] = await tx.query<Row>(
    sql`insert into ${raw(r.table)} (workspace_id, ${raw(cols.join(', '))})
        values (${ws}, ${join(cols.map((c) => (arrays.has(c) ? values[c] : jsonParam(values[c]))))}) returning *`,
  );
  await audit(tx, {
    workspaceId: ws,
    userId: principal.userId,
    entity: r.table,
    entityId: row.id as number,
    action: 'create',
    at: now,
    version: row.version as number,
  });
  if (r.afterCreate) {
    await r.afterCreate({ tx, ctx, principal, values, row });
    return getRecord(tx, ws, r, row.id as number);
  }
  return row;
}

export async function getRecord(tx: Queryable, ws: number, r: Resource, id: number, lock = false): Promise<Row> {
  const rows = await tx.query<Row>(
    prepared(sql`select * from ${raw(r.table)} where workspace_id = ${ws} and id = ${id} ${lock ? raw('for update') : empty}`),
  );
  if (rows.length === 0) throw notFound(r.what, id);
  return rows[0];
}

export async function updateRecord(
  tx: Queryable,
  ctx: AppContext,
  principal: Principal,
  r: Resource,
  id: number,
  input: Record<string, unknown>,
): Promise<Row> {
  const ws = principal.workspaceId;
  const refused = Object.keys(r.immutable ?? {}).filter((k) => input[k] !== undefined);
  if (refused.length > 0) {
    throw validationError(
      refused.map((k) => ({
        field: k,
        code: 'immutable',
        message: r.immutable?.[k] ?? { en: 'read-only', ru: 'только чтение' },
      })),
    );
  }
  // Lock the row: the version check and the write are one atomic step.
  const existing = await getRecord(tx, ws, r, id, true);
  const given = input.version as number;
  if (existing.version !== given)
    throw versionConflict(
      r.what,
      id,
      existing.version as number,
      given,
      await conflictChanges(tx, ws, r, id, given, existing.version as number),
    );
  const issues = [...(await checkRefs(tx, ws, r, input)), ...(await checkCustom(tx, ws, r, input.custom))];
  if (issues.length > 0) throw validationError(issues);
  const values = columnsFromInput(r, input);
  if (r.custom && input.custom !== undefined) {
    values.custom = stripNulls({
      ...((existing.custom as Row) ?? {}),
      ...(input.custom as Row),
    });
  }
  await r.beforeWrite?.({ tx, ctx, principal, values, existing });
  values.updated_at = ctx.clock.now();
  const arrays = arrayColumns(r);
  const sets = Object.keys(values).map((c) => sql`${raw(c)} = ${arrays.has(c) ? values[c] : jsonParam(values[c])}`);
  const [row] = await tx.query<Row>(
    sql`update ${raw(r.table)} set ${join(sets)}, version = version + 1
         where workspace_id = ${ws} and id = ${id} returning *`,
  );
  let result = row;
  if (r.afterUpdate) {
    await r.afterUpdate({ tx, ctx, principal, values, existing, row });
    result = await getRecord(tx, ws, r, id);
  }
  const changes = diffRows(existing, result);
  if (Object.keys(changes).length > 0) {
    await audit(tx, {
      workspaceId: ws,
      userId: principal.userId,
      entity: r.table,
      entityId: id,
      action: 'update',
      at: values.updated_at as Date,
      changes,
      version: result.version as number,
    });
  }
  return result;
}

const arrayColumns = (r: Resource) =>
  new Set(
    Object.entries(r.fields)
      .filter(([, f]) => f.pgArray)
      .map(([n, f]) => colOf(n, f)),
  );

function stripNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
}

/** Objects and arrays go to jsonb columns as JSON text (both drivers then agree). */
function jsonParam(v: unknown): unknown {
  return v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : v;
}

interface CursorState {
  v: unknown;
  id: number;
}

function encodeCursor(c: CursorState): string {
  return Buffer.from(JSON.stringify([c.v instanceof Date ? c.v.toISOString() : c.v, c.id])).toString('base64url');
}

/** What the sort key of a list is (`pageSql`'s `k`), for checking a cursor before any SQL. */
type SortKind = 'time' | 'integer' | 'number' | 'string' | 'boolean';
/**
 * What a cursor's integer is compared as: int8, so that a safe integer beyond an int4 column's
 * range is compared (int4 and int8 share the index's operator family) rather than refused by the
 * database. Other kinds take their column's type, which holds any value `fitsSort` lets through.
 */
const castOf = (kind: SortKind) => (kind === 'integer' ? raw('::int8') : empty);

const sortKinds = new WeakMap<Field, SortKind>();
/** A sortable field's kind, from its JSON Schema (as `isTime`); a field of no such kind cannot be sorted. */
function sortKind(name: string, f: Field): SortKind {
  let k = sortKinds.get(f);
  if (k === undefined) {
    const js = z.toJSONSchema(f.out, { io: 'output', unrepresentable: 'any' }) as { type?: string | string[]; anyOf?: { type?: string }[] };
    const types = new Set([js.type ?? [], ...(js.anyOf ?? []).map((x) => x.type ?? [])].flat());
    types.delete('null');
    const [only] = types;
    if (isTime(f)) k = 'time';
    else if (types.size === 1 && (only === 'integer' || only === 'number' || only === 'string' || only === 'boolean')) k = only;
    else throw new Error(`${name} cannot be a sort field: lists sort by one time, number, text or boolean`);
    sortKinds.set(f, k);
  }
  return k;
}

/**
 * A time as `utcSql(…, 'US')` writes it: the sort key of a cursor. Checked to the day of the month,
 * within what PostgreSQL's timestamptz holds (years 1 to 294276), so that a forged one is refused
 * here rather than by the database.
 */
function isCursorTime(s: string): boolean {
  const m = /^(\d{4,6})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d{1,6})?Z$/.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return year >= 1 && year <= 294_275 && days !== undefined && day >= 1 && day <= days && hour < 24 && minute < 60 && second < 60;
}

function fitsSort(v: unknown, kind: SortKind): boolean {
  switch (kind) {
    case 'time':
      return typeof v === 'string' && isCursorTime(v);
    case 'integer':
      return Number.isSafeInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'string':
      // PostgreSQL's text cannot hold NUL.
      return typeof v === 'string' && !v.includes('\u0000');
    case 'boolean':
      return typeof v === 'boolean';
  }
}

/**
 * A cursor from the query string, checked against the field the list is sorted by (`field` of `r`,
 * or `id`): a JSON pair of a sort key of the field's kind (null only where the field may be null;
 * always null for `id`) and a row id. Anything else — a forged or garbled cursor, or one of a list
 * sorted by another field — answers 400 naming `cursor` before any SQL runs (issue 14.6: the
 * embedded engine had answered 500 to a number for a time).
 */
function decodeCursor(s: string, r: Resource, field: string): CursorState {
  let pair: unknown;
  try {
    pair = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    pair = undefined;
  }
  const ok = (() => {
    if (!Array.isArray(pair) || pair.length !== 2 || !Number.isSafeInteger(pair[1])) return false;
    const v: unknown = pair[0];
    if (field === 'id') return v === null;
    const f = r.fields[field];
    return v === null ? nullable(f) : fitsSort(v, sortKind(field, f));
  })();
  if (!ok)
    throw new RequestValidationError('query', [
      fieldIssue(
        'cursor',
        `not a cursor returned by this list sorted by ${field}: pass the next_cursor of the previous page with the same sort`,
        `это не курсор этого списка с сортировкой по ${field}: передайте next_cursor предыдущей страницы с той же сортировкой`,
        'invalid_cursor',
      ),
    ]);
  const [v, id] = pair as [unknown, number];
  return { v, id };
}

/** Builds the WHERE conditions of a list from its query string; `extra` adds resource-specific ones. */
export function listConditions(r: Resource, query: Record<string, unknown>, ws?: number): Sql[] {
  const where: Sql[] = [];
  const text: string[] = [];
  for (const [name, f] of Object.entries(r.fields)) {
    const col = raw(colOf(name, f));
    switch (f.filter) {
      case 'eq': {
        const v = query[name];
        if (typeof v !== 'string' || v === '') break;
        const list = v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const numeric = f.out instanceof z.ZodNumber || (f.out as { unwrap?: () => ZodType }).unwrap?.() instanceof z.ZodNumber;
        const options = enumOptions(f);
        if (options) {
          const bad = list.filter((x) => !options.includes(x));
          if (bad.length > 0)
            throw validationError([
              fieldIssue(
                name,
                `expected one of ${options.join(', ')}; got ${bad.join(', ')}`,
                `ожидалось одно из значений ${options.join(', ')}; получено ${bad.join(', ')}`,
                'invalid_value',
              ),
            ]);
        }
        if (numeric) {
          const bad = list.filter((x) => !/^\d{1,15}$/.test(x));
          if (bad.length > 0)
            throw validationError([
              fieldIssue(name, `expected ids, got ${bad.join(', ')}`, `ожидались идентификаторы, получено ${bad.join(', ')}`),
            ]);
          where.push(list.length === 1 ? sql`${col} = ${Number(list[0])}::int8` : sql`${col} = any(${list.map(Number)}::int8[])`);
        } else {
          // One value as `=`: a prepared statement's generic plan cannot read an index in order for
          // `= any(array)` (it would scan and sort the workspace), so every request was planned anew.
          where.push(list.length === 1 ? sql`${col} = ${list[0]}::text` : sql`${col} = any(${list}::text[])`);
        }
        break;
      }
      case 'bool':
        if (query[name] !== undefined) where.push(sql`${col} = ${query[name] === 'true'}`);
        break;
      case 'range':
        if (query[`${name}_min`] !== undefined) where.push(sql`${col} >= ${query[`${name}_min`]}`);
        if (query[`${name}_max`] !== undefined) where.push(sql`${col} <= ${query[`${name}_max`]}`);
        break;
      case 'time':
        for (const end of ['from', 'to'] as const) {
          const v = query[`${name}_${end}`];
          if (typeof v === 'string') where.push(timeBound(col, `${name}_${end}`, end, v, ws));
        }
        break;
      case 'text':
        text.push(colOf(name, f));
        break;
    }
  }
  if (r.archivable && !(typeof query.id === 'string' && query.id !== ''))
    where.push(query.archived === 'true' ? sql`archived_at is not null` : sql`archived_at is null`);
  if (typeof query.id === 'string' && query.id !== '') {
    const list = query.id.split(',').map((x) => x.trim());
    const bad = list.filter((x) => !/^\d{1,15}$/.test(x));
    if (bad.length > 0)
      throw validationError([
        fieldIssue('id', `expected ids, got ${bad.join(', ')}`, `ожидались идентификаторы, получено ${bad.join(', ')}`),
      ]);
    where.push(sql`id = any(${list.map(Number)}::int8[])`);
  }
  if (typeof query.q === 'string' && query.q.trim() !== '' && text.length > 0) {
    const pattern = `%${query.q.trim().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    where.push(
      sql`(${join(
        text.map((c) => sql`${raw(c)} ilike ${pattern}`),
        ' or ',
      )})`,
    );
  }
  return where;
}

/** How a list is ordered: the sort field, its column and direction, and the order by them. */
function orderOf(r: Resource, query: Record<string, unknown>) {
  const sortKey = (query.sort as string | undefined) ?? r.defaultSort;
  const desc = sortKey.startsWith('-');
  const field = desc ? sortKey.slice(1) : sortKey;
  const col = raw(field === 'id' ? 'id' : colOf(field, r.fields[field]));
  const dir = raw(desc ? 'desc' : 'asc');
  // Nulls come last either way; a column that cannot be null is ordered plainly, so that one
  // index on it serves both directions (migration 0010).
  const order =
    field === 'id'
      ? sql`id ${dir}`
      : !r.fields[field] || nullable(r.fields[field])
        ? sql`${col} ${dir} nulls last, id ${dir}`
        : sql`${col} ${dir}, id ${dir}`;
  return { sortKey, desc, field, col, order };
}

/**
 * One statement of a page of a list: its rows in order, `limit` + 1 of them (the last tells more
 * follow), each row what `columns` makes of it and of its sort key for the cursor (`key`).
 */
function pageSql(
  ws: number,
  r: Resource,
  query: Record<string, unknown>,
  extra: Sql[],
  columns: (key: Sql) => Sql,
): { q: Sql; limit: number; kind: SortKind | null } {
  const { desc, field, col, order } = orderOf(r, query);
  const limit = (query.limit as number | undefined) ?? 50;
  const where = listWhere(ws, r, query, extra);
  if (typeof query.cursor === 'string') {
    const c = decodeCursor(query.cursor, r, field);
    const cmp = raw(desc ? '<' : '>');
    if (field === 'id') where.push(sql`id ${cmp} ${c.id}`);
    else if (c.v === null) where.push(sql`(${col} is null and id ${cmp} ${c.id})`);
    else {
      const v = sql`${c.v}${castOf(sortKind(field, r.fields[field]))}`;
      where.push(sql`((${col} ${cmp} ${v} or (${col} = ${v} and id ${cmp} ${c.id})) or ${col} is null)`);
    }
  }
  // The sort key for the cursor: a time to the microsecond, as stored (the API's milliseconds would
  // skip or repeat rows that share a millisecond at a page's end).
  const key = field === 'id' ? raw('null') : isTime(r.fields[field]) ? utcSql(col.text, 'US') : col;
  return {
    q: sql`select ${columns(key)} from ${raw(r.table)} where ${join(where, ' and ')} order by ${order} limit ${limit + 1}`,
    limit,
    kind: field === 'id' ? null : sortKind(field, r.fields[field]),
  };
}

/** A page of `pageSql` with the columns `select` adds, and the cursor after its last row. */
async function listPage<T extends { id: number; k: unknown }>(
  tx: Queryable,
  ws: number,
  r: Resource,
  query: Record<string, unknown>,
  extra: Sql[],
  select: Sql,
): Promise<{ items: T[]; next_cursor: string | null }> {
  const { q, limit } = pageSql(ws, r, query, extra, (key) => sql`id, ${key} as k, ${select}`);
  const rows = await tx.query<T>(prepared(q));
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items, next_cursor: more && last ? encodeCursor({ v: last.k, id: last.id }) : null };
}

/**
 * Keyset pagination: stable under concurrent inserts, no OFFSET scans. Sorted by
 * (field, id) with NULLs last in both directions; the cursor holds the last row's
 * pair. The items come as JSON texts of their API objects (`apiJsonSql`), in one statement.
 */
export async function listRecords(
  tx: Queryable,
  ws: number,
  r: Resource,
  query: Record<string, unknown>,
  extra: Sql[] = [],
): Promise<{ items: string[]; next_cursor: string | null }> {
  const page = await listPage<{ id: number; k: unknown; j: string }>(tx, ws, r, query, extra, sql`${apiJsonSql(r)} as j`);
  return { items: page.items.map((x) => x.j), next_cursor: page.next_cursor };
}

/**
 * The version of a row as stored: the transaction that wrote it (`xmin`, new on every insert or
 * update, whatever wrote it — the API, an import, SQL by hand) and its API version, as one token.
 */
const tupleVersion = raw(`xmin::text || '.' || version`);

/** When the database server started: transaction ids repeat only on another server (`RowJsonCache.sameServer`). */
const serverStarted = raw('pg_postmaster_start_time()::text');

/** A page of a list without its contents (see `listJson`). */
export interface PageVersions {
  /**
   * The page's rows as the database wrote them: a JSON array of `[id, stored version, sort key]`
   * (all text) in the list's order, at most `limit` + 1 (the last tells more follow). The same rows
   * in the same versions give the same text, so a page seen before is known without reading it.
   */
  entries: string;
  /** The SHA-256 of `entries` (base64), written by the database: the page's key and its ETag's part. */
  digest: string;
  limit: number;
  kind: SortKind | null;
  /** When the database server started. */
  server: string;
}

/** The ids and stored versions of a page's rows, in order, and the sort key of the row at `limit` (for the cursor). */
export function pageEntries(p: PageVersions): { ids: number[]; versions: string[]; k: unknown } {
  const rows = JSON.parse(p.entries) as [string, string, string | null][];
  return {
    ids: rows.map((e) => Number(e[0])),
    versions: rows.map((e) => e[1]),
    k: rows.length > p.limit ? keyOf(rows[p.limit - 1][2], p.kind) : null,
  };
}

/** A sort key written as text by SQL, back to the value the one-statement path reads. */
function keyOf(text: string | null, kind: SortKind | null): unknown {
  if (text === null || kind === null) return null;
  if (kind === 'integer' || kind === 'number') return Number(text);
  if (kind === 'boolean') return text === 'true';
  return text;
}

/**
 * A page of a list without its contents, in one value: an array with an entry per row — id, stored
 * version, sort key as text — in the list's order, which the array constructor takes from its
 * query's `order by` (as the standard defines it; an aggregate would need an `order by` of its own,
 * a sort per aggregate). One value rather than `limit` + 1 rows, and as JSON text, taken apart only
 * when the page is not in the cache.
 */
export async function listVersions(
  tx: Queryable,
  ws: number,
  r: Resource,
  query: Record<string, unknown>,
  extra: Sql[] = [],
): Promise<PageVersions> {
  const { q, limit, kind } = pageSql(ws, r, query, extra, (key) => sql`array[id::text, ${tupleVersion}, (${key})::text]`);
  // `offset 0` keeps the array one value, built once, that its digest is taken of (a subquery the
  // planner pulled up would be written out, and computed, twice).
  const [row] = await tx.query<{ entries: string; digest: string; server: string }>(
    prepared(
      sql`select e.entries, encode(sha256(convert_to(e.entries, 'UTF8')), 'base64') as digest, ${serverStarted} as server
            from (select to_json(array(${q}))::text as entries offset 0) e`,
    ),
  );
  return { entries: row.entries, digest: row.digest, limit, kind, server: row.server };
}

/** Rows by id as API JSON, with their stored versions (rows outside `extra` or gone are absent). */
export function rowsJson(tx: Queryable, ws: number, r: Resource, ids: number[], extra: Sql[] = []) {
  return tx.query<{ id: number; x: string; j: string }>(
    prepared(
      sql`select id, ${tupleVersion} as x, ${apiJsonSql(r)} as j from ${raw(r.table)}
           where ${join([sql`workspace_id = ${ws}`, sql`id = any(${ids}::int8[])`, ...extra], ' and ')}`,
    ),
  );
}

/**
 * A page of a list as the API's JSON bytes. With a row cache: the page's ids and stored versions
 * are read (the database decides order, filters and visibility on every request), a page seen
 * before with exactly those rows is answered whole, else each row version's JSON comes from the
 * cache and the missing ones are read by id. A row version never changes, so a cached one is exact;
 * a row written between the two reads (its version differs, or it is gone or out of sight) makes the
 * whole page be read again in one statement, so a page always shows one moment of the database.
 * Without a cache: one statement. `read` runs a read of one statement in the caller's scope
 * (`scopedRead`).
 */
export async function listJson(
  read: <T>(fn: (q: Queryable, extra: Sql[]) => Promise<T>) => Promise<T>,
  cache: RowJsonCache | undefined,
  ws: number,
  r: Resource,
  query: Record<string, unknown>,
): Promise<Buffer> {
  return (await listJsonPage(read, cache, ws, r, query)).bytes;
}

/**
 * `listJson`, with the digest of the page's rows' ids and versions (`digest`) when the page was
 * answered from them: with the URL (resource, sort, limit) it names the bytes — an ETag without
 * hashing them.
 */
export async function listJsonPage(
  read: <T>(fn: (q: Queryable, extra: Sql[]) => Promise<T>) => Promise<T>,
  cache: RowJsonCache | undefined,
  ws: number,
  r: Resource,
  query: Record<string, unknown>,
): Promise<{ bytes: Buffer; digest?: string }> {
  const whole = async () => {
    const page = await read((q, extra) => listRecords(q, ws, r, query, extra));
    return { bytes: Buffer.from(`{"items":[${page.items.join(',')}],"next_cursor":${JSON.stringify(page.next_cursor)}}`) };
  };
  if (!cache) return whole();
  const v = await read((q, extra) => listVersions(q, ws, r, query, extra));
  cache.sameServer(v.server);
  // The page's bytes follow from its rows' ids and versions, the limit and the sort field (whose
  // value the cursor holds) alone.
  const pageKey = { resource: r.path, sort: (query.sort as string | undefined) ?? r.defaultSort, ws, limit: v.limit, digest: v.digest };
  const kept = cache.page(pageKey);
  if (kept !== undefined) return { bytes: kept, digest: v.digest };
  const { ids, versions, k } = pageEntries(v);
  const limit = v.limit;
  const n = Math.min(ids.length, limit);
  const next = ids.length > limit ? encodeCursor({ v: k as CursorState['v'], id: ids[limit - 1] }) : null;
  const parts: (string | undefined)[] = [];
  const missing: number[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(cache.row({ resource: r.path, ws, id: ids[i], version: versions[i] }));
    if (parts[i] === undefined) missing.push(ids[i]);
  }
  if (missing.length > 0) {
    const got = await read((q, extra) => rowsJson(q, ws, r, missing, extra));
    // Each row read is kept under its own version, the one the page asked for or a newer one.
    const fresh = new Map(
      got.map((x) => [x.id, { version: x.x, json: cache.keepRow({ resource: r.path, ws, id: x.id, version: x.x }, x.j) }]),
    );
    for (let i = 0; i < n; i++) {
      if (parts[i] !== undefined) continue;
      const f = fresh.get(ids[i]);
      if (f === undefined || f.version !== versions[i]) return whole();
      parts[i] = f.json;
    }
  }
  return { bytes: cache.keepPage(pageKey, pageBytes(parts as string[], next)), digest: v.digest };
}

/** The page's bytes, in memory of their own (kept by the cache), from its rows' UTF-8 bytes held as one-byte strings (`RowJsonCache`). */
function pageBytes(items: string[], next: string | null): Buffer {
  const head = '{"items":[';
  const tail = Buffer.from(`],"next_cursor":${JSON.stringify(next)}}`);
  let size = head.length + Math.max(items.length - 1, 0) + tail.length;
  for (const x of items) size += x.length;
  const out = Buffer.allocUnsafeSlow(size);
  let at = out.write(head, 0, 'latin1');
  for (const [i, x] of items.entries()) {
    if (i > 0) out[at++] = 0x2c; // ,
    at += out.write(x, at, 'latin1');
  }
  tail.copy(out, at);
  return out;
}

export const conflict = (en: string, ru: string, details: Record<string, unknown> = {}) => new AppError('CONFLICT', { en, ru }, details);

// ---- List filters and totals (issue 16) ----------------------------------------------------------

/** A time filter's value: checked by `timeBound`, which names the parameter in its answer. */
const timeParam = z.string().max(40).optional();

/** A custom field's filter parameter: `custom.<key>` (one of / contains) or `custom.<key>.min|max|from|to`. */
const CUSTOM_PARAM = /^custom\.([a-z][a-z0-9_]{0,62})(?:\.(min|max|from|to))?$/;

/**
 * A list's query schema: strict, and for a resource with custom fields also `custom.<key>…`
 * parameters (whether the key exists and fits the filter is known only from the workspace's
 * definitions: `customFilterSql`). Any other unknown parameter is refused, naming it.
 */
export function listQuerySchema(r: Resource, shape: Record<string, ZodType>) {
  if (!r.custom) return z.strictObject(shape);
  const unknown = ownMessage({ en: 'unknown field', ru: 'неизвестное поле' });
  return z
    .object(shape)
    .catchall(
      z
        .string()
        .max(2000)
        .describe(
          'custom.<key> = one of (choice, multi_choice: has any of) / contains (text, link) / user id[,id…] (user); custom.<key>.min|max (number, money in minor units); custom.<key>.from|to (date, inclusive)',
        ),
    )
    .superRefine((q, c) => {
      for (const k of Object.keys(q))
        if (!(k in shape) && !CUSTOM_PARAM.test(k)) c.addIssue({ code: 'custom', path: [k], message: unknown });
    });
}

const enumLists = new WeakMap<Field, string[] | null>();
/** The values of an enum field (also nullable), else null. */
function enumOptions(f: Field): string[] | null {
  let o = enumLists.get(f);
  if (o === undefined) {
    const js = z.toJSONSchema(f.out, { io: 'output', unrepresentable: 'any' }) as { enum?: unknown[]; anyOf?: { enum?: unknown[] }[] };
    const values = js.enum ?? (js.anyOf ?? []).flatMap((x) => x.enum ?? []);
    o = values.length > 0 ? values.filter((v): v is string => typeof v === 'string') : null;
    enumLists.set(f, o);
  }
  return o;
}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const RU_DAY = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;
/** 2026-03-05 or 05.03.2026 → `2026-03-05` when it is a day of the calendar, else null. */
export function calendarDay(text: string): string | null {
  const iso = ISO_DAY.exec(text);
  const ru = iso ? null : RU_DAY.exec(text);
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]].map(Number) : ru ? [ru[3], ru[2], ru[1]].map(Number) : [0, 0, 0];
  if (y < 1900 || y > 9999) return null;
  const t = new Date(Date.UTC(y, m - 1, d));
  if (t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) return null;
  return `${String(y)}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * One end of a time filter: an ISO time with offset as it is (`from` inclusive, `to` exclusive),
 * or a day — whole days in the workspace's time zone: `from` its first instant, `to` up to the end
 * of that day (so `created_at_from=01.03.2026&created_at_to=31.03.2026` is March in Moscow).
 */
function timeBound(col: Sql, param: string, end: 'from' | 'to', v: string, ws: number | undefined): Sql {
  const day = calendarDay(v.trim());
  if (day !== null) {
    if (ws === undefined) throw new Error('a day filter needs the workspace (its time zone)');
    const tz = sql`(select timezone from workspaces where workspace_id = ${ws})`;
    return end === 'from'
      ? sql`${col} >= ((${day}::date)::timestamp at time zone ${tz})`
      : sql`${col} < ((${day}::date + 1)::timestamp at time zone ${tz})`;
  }
  if (!isoTime.safeParse(v).success)
    throw validationError([
      fieldIssue(
        param,
        `expected a day (DD.MM.YYYY or YYYY-MM-DD) or an ISO 8601 time with offset, got "${v}"`,
        `ожидалась дата (дд.мм.гггг или гггг-мм-дд) или время ISO 8601 с часовым поясом, получено «${v}»`,
        'invalid_date',
      ),
    ]);
  return end === 'from' ? sql`${col} >= ${v}::timestamptz` : sql`${col} < ${v}::timestamptz`;
}

/** The predicate of a list — workspace, filters, `extra` (visibility, custom fields) — for its pages and its totals alike. */
export function listWhere(ws: number, r: Resource, query: Record<string, unknown>, extra: Sql[]): Sql[] {
  return [sql`workspace_id = ${ws}`, ...listConditions(r, query, ws), ...extra];
}

/** Whether a list query filters by custom fields (and so needs their definitions: `customFilterSql`). */
export const hasCustomFilters = (query: Record<string, unknown>) =>
  Object.entries(query).some(([k, v]) => k.startsWith('custom.') && typeof v === 'string' && v.trim() !== '');

const bad = (param: string, en: string, ru: string) => validationError([fieldIssue(param, en, ru, 'invalid_value')]);

/**
 * The conditions of a list's custom-field filters, checked against the workspace's definitions
 * (one statement, only when the query has such filters): a choice is one of the values given
 * (commas), a text contains the value, a number or money (minor units) lies in `.min`–`.max`, a
 * date (a calendar date, `YYYY-MM-DD` or `DD.MM.YYYY`) in `.from`–`.to`, both ends inclusive. A
 * value of another JSON type (written before its field changed) matches no range.
 */
export async function customFilterSql(q: Queryable, ws: number, r: Resource, query: Record<string, unknown>): Promise<Sql[]> {
  if (!r.custom || !hasCustomFilters(query)) return [];
  const defs = await loadCustomFieldDefs(q, ws, r.custom);
  const where: Sql[] = [];
  for (const [param, raw0] of Object.entries(query)) {
    const m = CUSTOM_PARAM.exec(param);
    if (!m || typeof raw0 !== 'string' || raw0.trim() === '') continue;
    const v = raw0.trim();
    const [, key, op] = m;
    const def = defs.get(key);
    if (!def) throw bad(param, `no custom field "${key}" for this object`, `у этого объекта нет дополнительного поля «${key}»`);
    const value = sql`(custom -> ${key}::text)`;
    const wrongOp = (ops: string) =>
      bad(param, `a ${def.type} field is filtered by ${ops}`, `поле типа «${def.type}» фильтруется так: ${ops}`);
    switch (def.type) {
      case 'choice':
      case 'multi_choice': {
        if (op) throw wrongOp(`custom.${key}=value[,value…]`);
        const list = v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const unknown = list.filter((x) => !def.choices.some((c) => c.value === x));
        if (unknown.length > 0) {
          const all = def.choices.map((c) => c.value).join(', ');
          throw bad(
            param,
            `expected one of ${all}; got ${unknown.join(', ')}`,
            `ожидалось одно из значений ${all}; получено ${unknown.join(', ')}`,
          );
        }
        if (def.type === 'multi_choice')
          // A record matches when its list holds any of the values asked for.
          where.push(
            sql`(${join(
              list.map((x) => sql`custom @> ${JSON.stringify({ [key]: [x] })}::jsonb`),
              ' or ',
            )})`,
          );
        else
          where.push(
            list.length === 1
              ? sql`custom @> ${JSON.stringify({ [key]: list[0] })}::jsonb`
              : sql`(custom ->> ${key}::text) = any(${list}::text[])`,
          );
        break;
      }
      case 'user': {
        if (op) throw wrongOp(`custom.${key}=id[,id…]`);
        const ids = v.split(',').map((s) => s.trim());
        if (ids.some((x) => !/^\d{1,18}$/.test(x)))
          throw bad(
            param,
            `expected user ids separated by commas, got "${v}"`,
            `ожидались id пользователей через запятую, получено «${v}»`,
          );
        where.push(
          sql`(case when jsonb_typeof(${value}) = 'number' then (custom ->> ${key}::text)::int8 end) = any(${ids.map(Number)}::int8[])`,
        );
        break;
      }
      case 'link':
      case 'text': {
        if (op) throw wrongOp(`custom.${key}=text`);
        where.push(sql`(custom ->> ${key}::text) ilike ${`%${v.replace(/[\\%_]/g, (x) => `\\${x}`)}%`}`);
        break;
      }
      case 'number':
      case 'money': {
        if (op !== 'min' && op !== 'max') throw wrongOp(`custom.${key}.min / custom.${key}.max`);
        const ok = def.type === 'money' ? /^-?\d{1,18}$/.test(v) : /^-?\d+(\.\d+)?$/.test(v);
        if (!ok)
          throw def.type === 'money'
            ? bad(
                param,
                `expected an integer amount in minor units, got "${v}"`,
                `ожидалась сумма целым числом в копейках, получено «${v}»`,
              )
            : bad(param, `expected a number, got "${v}"`, `ожидалось число, получено «${v}»`);
        const n = sql`(case when jsonb_typeof(${value}) = 'number' then (custom ->> ${key}::text)::numeric end)`;
        where.push(op === 'min' ? sql`${n} >= ${v}::numeric` : sql`${n} <= ${v}::numeric`);
        break;
      }
      case 'date': {
        if (op !== 'from' && op !== 'to') throw wrongOp(`custom.${key}.from / custom.${key}.to`);
        const day = calendarDay(v);
        if (day === null)
          throw bad(
            param,
            `expected a date DD.MM.YYYY or YYYY-MM-DD, got "${v}"`,
            `ожидалась дата дд.мм.гггг или гггг-мм-дд, получено «${v}»`,
          );
        const d = sql`(case when jsonb_typeof(${value}) = 'string' then (custom ->> ${key}::text) end)`;
        where.push(op === 'from' ? sql`${d} >= ${day}::text` : sql`${d} <= ${day}::text`);
        break;
      }
    }
  }
  return where;
}

/** The field a list's totals sum (money in the workspace currency) and the one they count by. */
const SUM_FIELD = 'amount_minor';
const BY_FIELD = 'status';
const byOptions = (r: Resource) => (r.fields[BY_FIELD] ? enumOptions(r.fields[BY_FIELD]) : null);

/** What `GET /api/v1/{list}/totals` answers for `r`: the count, and the sum and per-status counts where the list has them. */
export function totalsSchema(r: Resource) {
  const shape: Record<string, ZodType> = { count: z.number().int().describe('Rows matching the filter (in the caller’s scope)') };
  if (r.fields[SUM_FIELD]) {
    shape.amount_minor = z.number().int().describe('Sum of amount_minor of those rows, minor units of the workspace currency');
    shape.currency = z.string().describe('The workspace currency');
  }
  const by = byOptions(r);
  if (by) shape.by_status = z.strictObject(Object.fromEntries(by.map((o) => [o, z.number().int()]))).describe('Rows per status');
  return z.object(shape);
}

/**
 * The totals of a list: one statement over exactly the predicate of its pages (`listWhere`: the same
 * filters, the caller's visibility and custom filters in `extra`), so a count never disagrees with
 * the rows it counts.
 */
export async function listTotals(q: Queryable, ws: number, r: Resource, query: Record<string, unknown>, extra: Sql[] = []): Promise<Row> {
  const cols: Sql[] = [sql`count(*)::int8 as count`];
  if (r.fields[SUM_FIELD]) {
    cols.push(raw(`coalesce(sum(${colOf(SUM_FIELD, r.fields[SUM_FIELD])}), 0)::int8 as amount_minor`));
    cols.push(sql`(select currency from workspaces where workspace_id = ${ws}) as currency`);
  }
  const by = byOptions(r);
  if (by) {
    const col = colOf(BY_FIELD, r.fields[BY_FIELD]);
    cols.push(
      sql`json_build_object(${join(by.map((o) => sql`${o}::text, count(*) filter (where ${raw(col)} = ${o}::text)`))}) as by_status`,
    );
  }
  const [row] = await q.query<Row>(
    prepared(sql`select ${join(cols)} from ${raw(r.table)} where ${join(listWhere(ws, r, query, extra), ' and ')}`),
  );
  const out: Row = { count: Number(row.count) };
  if (r.fields[SUM_FIELD]) {
    out.amount_minor = Number(row.amount_minor);
    out.currency = row.currency;
  }
  if (by) out.by_status = typeof row.by_status === 'string' ? JSON.parse(row.by_status) : row.by_status;
  return out;
}
