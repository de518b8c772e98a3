import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql, { raw } from 'sql-template-tag';
import { z } from 'zod';
import { audit } from '../audit.ts';
import { type AccessObject, assertVisible, checkScopedWrite, knownScope, type Scope, scopeFor, visibleSql } from '../auth/access.ts';
import type { Principal } from '../auth/roles.ts';
import type { AppContext } from '../context.ts';
import type { Queryable, Row } from '../db/types.ts';
import { inWorkspace, readInWorkspace } from '../db/workspace-scope.ts';
import { AppError, fieldIssue, validationError, versionConflict } from '../errors.ts';
import { sendJson } from '../http/serializer.ts';
import { conflictChanges } from './conflict.ts';
import {
  conflict,
  createRecord,
  customFilterSql,
  getRecord,
  hasCustomFilters,
  listJsonPage,
  listQuerySchema,
  listTotals,
  type Resource,
  schemasOf,
  toApi,
  totalsSchema,
  updateRecord,
} from './resource.ts';

export const errorSchema = z
  .object({
    error: z
      .object({
        code: z.string(),
        message: z.string(),
        fields: z
          .array(
            z.object({
              field: z.string(),
              message: z.string(),
              code: z.string().optional(),
            }),
          )
          .optional(),
      })
      .passthrough(),
  })
  .describe('Error: `code` is machine-readable, `fields` names each bad field');

export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
  422: errorSchema,
};

export const idParams = z.strictObject({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'expected a positive integer id')
    .transform(Number)
    .pipe(z.number().max(Number.MAX_SAFE_INTEGER)),
});

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal)
    throw new AppError('UNAUTHENTICATED', {
      en: 'sign in first',
      ru: 'требуется вход',
    });
  return req.principal;
}

/** Runs a use case in the caller's workspace-scoped transaction. */
export function scoped<T>(ctx: AppContext, req: FastifyRequest, fn: (tx: Queryable, p: Principal) => Promise<T>): Promise<T> {
  const p = principalOf(req);
  return inWorkspace(ctx.db, p.workspaceId, (tx) => fn(tx, p));
}

/**
 * A read of one statement in the caller's scope on `obj` (null: everything; 403 as `scopeFor`):
 * a one-statement read (`readInWorkspace`) unless the scope must be looked up first (team leads),
 * then both in one transaction.
 */
export function scopedRead<T>(
  ctx: AppContext,
  req: FastifyRequest,
  obj: AccessObject | undefined,
  fn: (q: Queryable, scope: Scope | null) => Promise<T>,
): Promise<T> {
  const p = principalOf(req);
  const known = obj ? knownScope(p, obj, 'read') : null;
  return known === undefined
    ? inWorkspace(ctx.db, p.workspaceId, async (tx) => fn(tx, await scopeFor(tx, p, obj as AccessObject, 'read')))
    : readInWorkspace(ctx.db, p.workspaceId, (q) => fn(q, known));
}

/** The resources whose list route is registered (the list's JSON is written by SQL; tests check each). */
export const listedResources = new Set<Resource>();

/**
 * The conditions of a list query's custom-field filters (`customFilterSql`): their definitions are
 * read in a statement of their own, only when the query has such filters, so the list's page stays
 * one statement.
 */
function customFilters(ctx: AppContext, req: FastifyRequest, r: Resource) {
  const query = req.query as Record<string, unknown>;
  if (!r.custom || !hasCustomFilters(query)) return Promise.resolve([]);
  const ws = principalOf(req).workspaceId;
  return readInWorkspace(ctx.db, ws, (q) => customFilterSql(q, ws, r, query));
}

/** Users named in `shared_with` must exist in the workspace. */
async function checkShares(tx: Queryable, ws: number, input: Record<string, unknown>): Promise<void> {
  const ids = input.shared_with;
  if (!Array.isArray(ids) || ids.length === 0) return;
  const found = await tx.query<{ id: number }>(sql`select id from users where workspace_id = ${ws} and id = any(${ids}::int8[])`);
  const missing = ids.filter((id) => !found.some((f) => Number(f.id) === id));
  if (missing.length > 0)
    throw validationError([
      fieldIssue('shared_with', `no users ${missing.join(', ')} in this workspace`, `нет пользователей ${missing.join(', ')}`, 'not_found'),
    ]);
}

const writeScope = (tx: Queryable, p: Principal, r: Resource): Promise<Scope | null> =>
  r.access ? scopeFor(tx, p, r.access, 'write') : Promise.resolve(null);

/** Creates a record after the checks every create passes, whichever route it comes by. */
export async function createChecked(
  tx: Queryable,
  ctx: AppContext,
  p: Principal,
  r: Resource,
  input: Record<string, unknown>,
): Promise<Row> {
  await checkScopedWrite(tx, p.workspaceId, await writeScope(tx, p, r), input, 'owner_id' in r.fields);
  await checkShares(tx, p.workspaceId, input);
  return createRecord(tx, ctx, p, r, input);
}

/**
 * Updates a record after the checks every update passes, whichever route it comes by
 * (PATCH, the fields a move fills in its `set`): visible and writable to the caller,
 * owners within the caller's scope, shared users that exist.
 */
export async function updateChecked(
  tx: Queryable,
  ctx: AppContext,
  p: Principal,
  r: Resource,
  id: number,
  input: Record<string, unknown>,
): Promise<Row> {
  const s = await writeScope(tx, p, r);
  await assertVisible(tx, p.workspaceId, r.table, id, s, r.what);
  await checkScopedWrite(tx, p.workspaceId, s, input, 'owner_id' in r.fields);
  await checkShares(tx, p.workspaceId, input);
  return updateRecord(tx, ctx, p, r, id, input);
}

/**
 * Puts a record in the archive (`archived`) or takes it out, version-checked and audited as
 * `archive` / `restore`. Nothing is deleted: the record leaves lists, search and pickers, its card
 * still opens.
 */
export async function setArchived(
  tx: Queryable,
  ctx: AppContext,
  p: Principal,
  r: Resource,
  id: number,
  version: number,
  archived: boolean,
): Promise<Row> {
  const ws = p.workspaceId;
  const s = await writeScope(tx, p, r);
  await assertVisible(tx, ws, r.table, id, s, r.what);
  const existing = await getRecord(tx, ws, r, id, true);
  if (existing.version !== version)
    throw versionConflict(
      r.what,
      id,
      existing.version as number,
      version,
      await conflictChanges(tx, ws, r, id, version, existing.version as number),
    );
  if ((existing.archived_at !== null) === archived)
    throw conflict(
      archived ? `${r.what.en} ${id} is already archived` : `${r.what.en} ${id} is not archived`,
      archived ? `Уже в архиве: ${r.what.ru} ${id}` : `Не в архиве: ${r.what.ru} ${id}`,
    );
  const now = ctx.clock.now();
  const [row] = await tx.query<Row>(sql`
    update ${raw(r.table)} set archived_at = ${archived ? now : null}, archived_by = ${archived ? p.userId : null},
           updated_at = ${now}, version = version + 1
     where workspace_id = ${ws} and id = ${id} returning *`);
  await audit(tx, {
    workspaceId: ws,
    userId: p.userId,
    entity: r.table,
    entityId: id,
    action: archived ? 'archive' : 'restore',
    at: now,
    changes: {
      archived_at: {
        from: existing.archived_at instanceof Date ? existing.archived_at.toISOString() : null,
        to: archived ? now.toISOString() : null,
      },
    },
    version: row.version as number,
  });
  return row;
}

/** Create / read / update / list routes for a described resource. */
export function registerResourceRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  r: Resource,
  guard?: (p: Principal, action: 'read' | 'write') => void,
) {
  const s = schemasOf(r);
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const base = `/api/v1/${r.path}`;
  const tags = [r.path];
  const skip = new Set(r.without ?? []);
  const check = (req: FastifyRequest, action: 'read' | 'write') => guard?.(principalOf(req), action);
  /** The caller's scope on this resource (null: everything), 403 when the role has no access. */
  const scope = (tx: Queryable, p: Principal, action: 'read' | 'write'): Promise<Scope | null> =>
    r.access ? scopeFor(tx, p, r.access, action) : Promise.resolve(null);
  if (!skip.has('list')) {
    listedResources.add(r);
    zapp.get(
      base,
      {
        config: { etag: true },
        schema: {
          tags,
          summary: `List ${r.what.en} records`,
          querystring: s.list,
          response: { 200: s.page, ...errorResponses },
        },
      },
      async (req, reply) => {
        check(req, 'read');
        const ws = principalOf(req).workspaceId;
        const custom = await customFilters(ctx, req, r);
        const page = await listJsonPage(
          (fn) => scopedRead(ctx, req, r.access, (q, s) => fn(q, [...custom, ...(s ? [visibleSql(r.table, s)] : [])])),
          ctx.caches?.rows,
          ws,
          r,
          req.query as Record<string, unknown>,
        );
        if (page.digest !== undefined && ctx.caches) reply.header('etag', ctx.caches.etag(page.digest));
        return sendJson(reply, s.page, page.bytes);
      },
    );
  }
  if (!skip.has('list')) {
    const totals = totalsSchema(r);
    const { limit: _l, cursor: _c, ...filters } = s.list.shape;
    zapp.get(
      `${base}/totals`,
      {
        schema: {
          tags,
          summary: `Totals of the ${r.what.en} list: the rows its filters select in the caller's scope (the list's own predicate)`,
          querystring: listQuerySchema(r, filters),
          response: { 200: totals, ...errorResponses },
        },
      },
      async (req) => {
        check(req, 'read');
        const ws = principalOf(req).workspaceId;
        const query = req.query as Record<string, unknown>;
        const custom = await customFilters(ctx, req, r);
        return scopedRead(ctx, req, r.access, (q, sc) =>
          listTotals(q, ws, r, query, [...custom, ...(sc ? [visibleSql(r.table, sc)] : [])]),
        );
      },
    );
  }
  if (!skip.has('create')) {
    zapp.post(
      base,
      {
        schema: {
          tags,
          summary: `Create a ${r.what.en}`,
          body: s.create,
          response: { 201: s.output, ...errorResponses },
        },
      },
      async (req, reply) => {
        check(req, 'write');
        const row = await scoped(ctx, req, (tx, p) => createChecked(tx, ctx, p, r, req.body as Record<string, unknown>));
        return reply.status(201).send(toApi(r, row));
      },
    );
  }
  if (!skip.has('get')) {
    zapp.get(
      `${base}/:id`,
      {
        schema: {
          tags,
          summary: `Read a ${r.what.en}`,
          params: idParams,
          response: { 200: s.output, ...errorResponses },
        },
      },
      async (req) => {
        check(req, 'read');
        const row = await scoped(ctx, req, async (tx, p) => {
          await assertVisible(tx, p.workspaceId, r.table, req.params.id, await scope(tx, p, 'read'), r.what);
          return getRecord(tx, p.workspaceId, r, req.params.id);
        });
        return toApi(r, row);
      },
    );
  }
  if (!skip.has('update')) {
    zapp.patch(
      `${base}/:id`,
      {
        schema: {
          tags,
          summary: `Update a ${r.what.en} (send the version you read; a stale one answers 409)`,
          params: idParams,
          body: s.update,
          response: { 200: s.output, ...errorResponses },
        },
      },
      async (req) => {
        check(req, 'write');
        const row = await scoped(ctx, req, (tx, p) => updateChecked(tx, ctx, p, r, req.params.id, req.body as Record<string, unknown>));
        return toApi(r, row);
      },
    );
  }
  if (r.archivable) {
    for (const action of ['archive', 'restore'] as const) {
      zapp.post(
        `${base}/:id/${action}`,
        {
          schema: {
            tags,
            summary:
              action === 'archive'
                ? `Archive a ${r.what.en}: it leaves lists, search and pickers, its card still opens (nothing is deleted)`
                : `Take a ${r.what.en} out of the archive`,
            params: idParams,
            body: z.strictObject({ version: z.number().int().positive().describe('The version you read; a stale one answers 409') }),
            response: { 200: s.output, ...errorResponses },
          },
        },
        async (req) => {
          check(req, 'write');
          const row = await scoped(ctx, req, (tx, p) => setArchived(tx, ctx, p, r, req.params.id, req.body.version, action === 'archive'));
          return toApi(r, row);
        },
      );
    }
  }
}
