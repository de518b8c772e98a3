import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql, { raw } from 'sql-template-tag';
import { z } from 'zod';
import { assertVisible, scopeFor } from '../platform/auth/access.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable } from '../platform/db/types.ts';
import { AppError, type ErrorCode, type Locale, pick, versionConflict } from '../platform/errors.ts';
import { requestLocale } from '../platform/http/locale.ts';
import { idSchema, type Resource, schemasOf } from '../platform/resource/resource.ts';
import { createChecked, errorResponses, scoped, updateChecked } from '../platform/resource/resource-routes.ts';
import { tasks } from '../process/tasks.ts';
import { companies } from './companies.ts';
import { contacts } from './contacts.ts';
import { deals } from './deals.ts';
import { leads } from './leads.ts';
import { moveDeal } from './move-deal.ts';

/**
 * Bulk actions on a list's selection (`POST /api/v1/{deals,companies,contacts,leads}/bulk`): a new
 * owner for each record; for deals also a move to a stage (the move of POST /deals/{id}/move, with
 * its requirement checks) and a task on each. All or nothing: one transaction, each record in a
 * savepoint so that every refusal is collected, and any refusal rolls everything back, answering
 * which record was refused and why (a requirement missing on deal 12, deal 7 changed by someone
 * else, no deal 40 here). Each record's change goes through the same code as one edit, so it gets
 * its audit entry (and a move its history entry) just as one would.
 */
export const BULK_MAX = 500;

const target = z.union([
  idSchema,
  z.strictObject({ id: idSchema, version: z.number().int().positive().describe('The version you read: a stale one answers 409') }),
]);
const idsSchema = z
  .array(target)
  .min(1)
  .max(BULK_MAX)
  .describe(`The records, at most ${BULK_MAX}: ids, or {id, version} to refuse a record changed since it was read`);
const ownerSet = { owner_id: idSchema.describe('The new owner') };
const taskInput = schemasOf(tasks).create.omit({ deal_id: true }).describe('A task to create on each deal');

const bulkResult = z.object({ updated: z.array(z.object({ id: idSchema, version: z.number().int() })), tasks_created: z.number().int() });

type Target = z.infer<typeof target>;
interface BulkInput {
  ids: Target[];
  set: { owner_id?: number; stage_id?: number };
  add_task?: Record<string, unknown>;
  reason?: string;
  loss_reason_id?: number;
}

interface ItemError {
  id: number;
  code: ErrorCode;
  message: string;
  missing?: unknown;
}

/** Which status the whole refusal answers: a record not found first, then a stale version, else the first refusal's. */
const RANK: ErrorCode[] = ['NOT_FOUND', 'VERSION_CONFLICT'];
function refusal(r: Resource, errors: ItemError[]): AppError {
  const code = RANK.find((c) => errors.some((e) => e.code === c)) ?? errors[0].code;
  const en = errors.map((e) => `${r.what.en} ${e.id}: ${e.message}`).join('; ');
  const ru = errors.map((e) => `${r.what.ru} ${e.id}: ${e.message}`).join('; ');
  return new AppError(
    code,
    { en: `nothing changed, ${errors.length} refused — ${en}`, ru: `ничего не изменено, отказано: ${errors.length} — ${ru}` },
    { errors },
  );
}

export async function bulkEdit(tx: Queryable, ctx: AppContext, p: Principal, r: Resource, input: BulkInput, locale: Locale) {
  const ws = p.workspaceId;
  const seen = new Set<number>();
  const targets = input.ids.map((t) => (typeof t === 'number' ? { id: t, version: undefined } : t));
  const dupes = targets.filter((t) => seen.size === seen.add(t.id).size).map((t) => t.id);
  if (dupes.length > 0)
    throw new AppError(
      'VALIDATION_FAILED',
      { en: `ids repeated: ${dupes.join(', ')}`, ru: `повторяются идентификаторы: ${dupes.join(', ')}` },
      {
        fields: [
          { field: 'ids', code: 'duplicate', message: { en: `repeated: ${dupes.join(', ')}`, ru: `повторяются: ${dupes.join(', ')}` } },
        ],
      },
    );
  const scope = r.access ? await scopeFor(tx, p, r.access, 'write') : null;
  // Locked in id order, so that two bulk edits of overlapping selections wait for each other
  // instead of deadlocking.
  const ids = targets.map((t) => t.id);
  const rows = await tx.query<{ id: number; version: number }>(
    sql`select id, version from ${raw(r.table)} where workspace_id = ${ws} and id = any(${ids}::int8[]) order by id for update`,
  );
  const current = new Map(rows.map((x) => [Number(x.id), x.version]));
  const errors: ItemError[] = [];
  const fail = (id: number, e: unknown) => {
    if (!(e instanceof AppError)) throw e;
    errors.push({ id, code: e.code, message: pick(e.msg, locale), ...(e.details.missing ? { missing: e.details.missing } : {}) });
  };
  const updated: { id: number; version: number }[] = [];
  let created = 0;
  for (const t of targets) {
    const version = current.get(t.id);
    await tx.query(sql`savepoint bulk_item`);
    try {
      if (version === undefined)
        throw new AppError('NOT_FOUND', { en: `no ${r.what.en} ${t.id} here`, ru: `не найдено: ${r.what.ru} ${t.id}` });
      // Invisible to the caller reads as absent, as for one record.
      await assertVisible(tx, ws, r.table, t.id, scope, r.what);
      if (t.version !== undefined && t.version !== version) throw versionConflict(r.what, t.id, version, t.version);
      let v = version;
      if (input.set.owner_id !== undefined) {
        const row = await updateChecked(tx, ctx, p, r, t.id, { owner_id: input.set.owner_id, version: v });
        v = row.version as number;
      }
      if (input.set.stage_id !== undefined) {
        const moved = await moveDeal(tx, ctx, p, t.id, {
          stage_id: input.set.stage_id,
          version: v,
          reason: input.reason,
          loss_reason_id: input.loss_reason_id,
        });
        v = moved.deal.version as number;
      }
      if (input.add_task) {
        await createChecked(tx, ctx, p, tasks, { ...input.add_task, deal_id: t.id });
        created++;
      }
      await tx.query(sql`release savepoint bulk_item`);
      updated.push({ id: t.id, version: v });
    } catch (e) {
      await tx.query(sql`rollback to savepoint bulk_item`);
      fail(t.id, e);
    }
  }
  if (errors.length > 0) throw refusal(r, errors);
  return { updated, tasks_created: created };
}

export function registerBulkRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const dealBody = z
    .strictObject({
      ids: idsSchema,
      set: z
        .strictObject({
          ...ownerSet,
          stage_id: idSchema.describe("Move each deal to this stage of its pipeline (the stage's requirements are checked)"),
        })
        .partial()
        .default({}),
      add_task: taskInput.optional(),
      reason: z.string().trim().max(1000).optional().describe('Why the deals move (kept in their history)'),
      loss_reason_id: idSchema.optional().describe('Why the deals were lost, when set.stage_id is a lost stage (see /loss-reasons)'),
    })
    .refine((b) => b.set.owner_id !== undefined || b.set.stage_id !== undefined || b.add_task !== undefined, {
      message: 'nothing to do: give set.owner_id, set.stage_id or add_task',
      path: ['set'],
    });
  const ownerBody = z.strictObject({ ids: idsSchema, set: z.strictObject(ownerSet) });
  const routes: [Resource, z.ZodType][] = [
    [deals, dealBody],
    [companies, ownerBody],
    [contacts, ownerBody],
    [leads, ownerBody],
  ];
  for (const [r, body] of routes) {
    zapp.post(
      `/api/v1/${r.path}/bulk`,
      {
        schema: {
          tags: [r.path],
          summary:
            r === deals
              ? `Change the owner, move to a stage or add a task for up to ${BULK_MAX} deals at once (all or nothing)`
              : `Change the owner of up to ${BULK_MAX} ${r.path} at once (all or nothing)`,
          body,
          response: {
            200: bulkResult,
            ...errorResponses,
          },
        },
      },
      async (req) => scoped(ctx, req, (tx, p) => bulkEdit(tx, ctx, p, r, req.body as BulkInput, requestLocale(req))),
    );
  }
}
