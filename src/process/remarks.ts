import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql, { empty, join, raw, type Sql } from 'sql-template-tag';
import { z } from 'zod';
import { audit, type Change, changesSince } from '../platform/audit.ts';
import { type AccessObject, assertVisible, requireAccess, scopeFor } from '../platform/auth/access.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable } from '../platform/db/types.ts';
import { AppError, fieldIssue, type Msg, notFound, validationError, versionConflict } from '../platform/errors.ts';
import { idSchema, utcSql } from '../platform/resource/resource.ts';
import { errorResponses, idParams, principalOf, scoped } from '../platform/resource/resource-routes.ts';

/**
 * Remarks on the sales standard from cards, and the field-usage figures the head of sales reads
 * beside them (issue 17; docs/process.md «Remarks on the standard»): anyone who sees a card may say
 * «this field is never used» or «we need X here»; the head of sales sees every remark next to the
 * share of records where each field is filled, answers it, and retires what nobody fills.
 */
export const REMARK_OBJECTS = ['deal', 'company', 'contact', 'lead'] as const;
export type RemarkObject = (typeof REMARK_OBJECTS)[number];
export const REMARK_STATUSES = ['open', 'accepted', 'rejected', 'done'] as const;

const TABLE: Record<RemarkObject, AccessObject & string> = { deal: 'deals', company: 'companies', contact: 'contacts', lead: 'leads' };
const WHAT_REMARK: Msg = { en: 'remark', ru: 'замечание' };
const WHAT_RECORD: Record<RemarkObject, Msg> = {
  deal: { en: 'deal', ru: 'сделка' },
  company: { en: 'company', ru: 'компания' },
  contact: { en: 'contact', ru: 'контакт' },
  lead: { en: 'lead', ru: 'лид' },
};

/**
 * How a standard field counts as filled. A column the database never leaves empty still has the
 * value a record starts with: an amount of 0 and an unticked flag are counted as not filled, as
 * the stage requirements count the amount.
 */
type Filled = 'text' | 'set' | 'positive' | 'flag';
interface StandardField {
  name: string;
  ru: string;
  en: string;
  filled: Filled;
}
const f = (name: string, ru: string, en: string, filled: Filled = 'set'): StandardField => ({ name, ru, en, filled });
const OWNER = f('owner_id', 'Ответственный', 'Owner');

/** The standard fields each card shows, in the card's order (web/src/pages/DealCardPage.tsx, RecordCardPage.tsx). */
export const CARD_FIELDS: Record<RemarkObject, StandardField[]> = {
  deal: [
    f('title', 'Название', 'Title', 'text'),
    f('amount_minor', 'Сумма', 'Amount', 'positive'),
    f('company_id', 'Компания', 'Company'),
    f('contact_id', 'Контакт', 'Contact'),
    OWNER,
    f('segment_id', 'Сегмент', 'Segment'),
    f('channel_id', 'Канал', 'Channel'),
    f('region', 'Регион', 'Region', 'text'),
    f('atypical', 'Нетиповая', 'Atypical', 'flag'),
    f('atypical_reason', 'Почему нетиповая', 'Why atypical', 'text'),
  ],
  company: [
    f('name', 'Название', 'Name', 'text'),
    f('inn', 'ИНН', 'INN', 'text'),
    f('industry', 'Отрасль', 'Industry', 'text'),
    f('city', 'Город', 'City', 'text'),
    f('employees', 'Сотрудники', 'Employees'),
    f('website', 'Сайт', 'Website', 'text'),
    f('phone', 'Телефон', 'Phone', 'text'),
    OWNER,
  ],
  contact: [
    f('name', 'Название', 'Name', 'text'),
    f('company_id', 'Компания', 'Company'),
    f('position', 'Должность', 'Position', 'text'),
    f('email', 'E-mail', 'E-mail', 'text'),
    f('phone', 'Телефон', 'Phone', 'text'),
    f('is_decision_maker', 'ЛПР', 'Decision maker', 'flag'),
    OWNER,
  ],
  lead: [
    f('title', 'Название', 'Title', 'text'),
    f('status', 'Статус', 'Status', 'text'),
    f('company_name', 'Компания (из заявки)', 'Company (as given)', 'text'),
    f('contact_name', 'Контакт (из заявки)', 'Contact (as given)', 'text'),
    f('email', 'E-mail', 'E-mail', 'text'),
    f('phone', 'Телефон', 'Phone', 'text'),
    f('fit_score', 'Соответствие ICP', 'ICP fit'),
    f('channel_id', 'Канал', 'Channel'),
    f('company_id', 'Компания', 'Company'),
    f('contact_id', 'Контакт', 'Contact'),
    OWNER,
  ],
};

/** A field a remark may name and the usage figures count: a card's standard field or a custom one. */
interface CardField {
  field: string;
  label_ru: string;
  label_en: string;
  custom: boolean;
  /** A custom field's type (text, number, money, date, choice, and whatever types come later); null for a standard one. */
  type: string | null;
  filled: Sql;
}

/**
 * Whether a custom value (jsonb) is filled: absent, JSON null, a blank string, an empty array (a
 * multi-choice with nothing chosen) and an empty object are not; any other value is, whatever the
 * field's type (a «no» answer too: the field was used). An absent key is SQL null, which the
 * simple `case` compares to nothing, so it falls to `else`.
 */
const customFilled = (key: string) => sql`case jsonb_typeof(t.custom -> ${key}::text)
    when 'string' then btrim(t.custom ->> ${key}::text) <> ''
    when 'array' then jsonb_array_length(t.custom -> ${key}::text) > 0
    when 'object' then t.custom -> ${key}::text <> '{}'::jsonb
    when 'number' then true
    when 'boolean' then true
    else false end`;

function standardFilled(s: StandardField): Sql {
  const col = raw(`t.${s.name}`);
  switch (s.filled) {
    case 'text':
      return sql`coalesce(btrim(${col}) <> '', false)`;
    case 'positive':
      return sql`coalesce(${col} > 0, false)`;
    case 'flag':
      return sql`coalesce(${col}, false)`;
    case 'set':
      return sql`${col} is not null`;
  }
}

/** The object's card fields: its standard ones in the card's order, then its custom fields in theirs. */
async function cardFields(q: Queryable, ws: number, object: RemarkObject): Promise<CardField[]> {
  const custom = await q.query<{ key: string; label_ru: string; label_en: string; type: string }>(sql`
    select cf.key, cf.label_ru, cf.label_en, cf.type from custom_fields cf
      left join field_blocks b on b.workspace_id = cf.workspace_id and b.id = cf.block_id
     where cf.workspace_id = ${ws} and cf.object_type = ${object}
     order by b.position nulls last, cf.position, cf.id`);
  return [
    ...CARD_FIELDS[object].map((s) => ({
      field: s.name,
      label_ru: s.ru,
      label_en: s.en,
      custom: false,
      type: null,
      filled: standardFilled(s),
    })),
    ...custom.map((c) => ({
      field: `custom.${c.key}`,
      label_ru: c.label_ru,
      label_en: c.label_en,
      custom: true,
      type: c.type,
      filled: customFilled(c.key),
    })),
  ];
}

const isHead = (p: Principal) => p.role === 'admin' || p.role === 'head_of_sales';

function headGuard(p: Principal, msg: Msg) {
  if (!isHead(p)) throw new AppError('FORBIDDEN', msg);
}

const remarkSchema = z.object({
  id: idSchema,
  object_type: z.enum(REMARK_OBJECTS),
  field: z.string().nullable().describe('A standard field of the card or `custom.<key>`; null: the card as a whole'),
  field_label_ru: z.string().nullable().describe('The field as the card names it (null: no field, or a custom field since removed)'),
  field_label_en: z.string().nullable(),
  record_id: idSchema.nullable(),
  record_name: z.string().nullable().describe("The record's title or name now"),
  stage_id: idSchema.nullable().describe("The deal's stage when the remark was written"),
  stage_name: z.string().nullable(),
  text: z.string(),
  author_id: idSchema,
  author: z.string(),
  created_at: z.string(),
  status: z.enum(REMARK_STATUSES),
  answer: z.string().nullable().describe("The head of sales' answer"),
  resolved_by: idSchema.nullable().describe('Who answered or set the status last (null while open)'),
  resolved_by_name: z.string().nullable(),
  resolved_at: z.string().nullable(),
  version: z.number().int(),
});
type RemarkOut = z.infer<typeof remarkSchema>;

/** Remarks as API objects, newest first, with the names they show. */
async function remarkRows(q: Queryable, ws: number, where: Sql[], limit: number): Promise<RemarkOut[]> {
  const rows = await q.query<RemarkOut & { cf_ru: string | null; cf_en: string | null }>(sql`
    select r.id, r.object_type, r.field, cf.label_ru as cf_ru, cf.label_en as cf_en, r.record_id,
           case r.object_type
             when 'deal' then (select x.title from deals x where x.workspace_id = r.workspace_id and x.id = r.record_id)
             when 'company' then (select x.name from companies x where x.workspace_id = r.workspace_id and x.id = r.record_id)
             when 'contact' then (select x.name from contacts x where x.workspace_id = r.workspace_id and x.id = r.record_id)
             when 'lead' then (select x.title from leads x where x.workspace_id = r.workspace_id and x.id = r.record_id)
           end as record_name,
           r.stage_id, s.name as stage_name, r.text, r.author_id, a.name as author, ${utcSql('r.created_at')} as created_at,
           r.status, r.answer, r.resolved_by, rb.name as resolved_by_name, ${utcSql('r.resolved_at')} as resolved_at, r.version
      from standard_remarks r
      join users a on a.workspace_id = r.workspace_id and a.id = r.author_id
      left join users rb on rb.workspace_id = r.workspace_id and rb.id = r.resolved_by
      left join stages s on s.workspace_id = r.workspace_id and s.id = r.stage_id
      left join custom_fields cf on cf.workspace_id = r.workspace_id and cf.object_type = r.object_type and r.field = 'custom.' || cf.key
     where r.workspace_id = ${ws} ${where.length ? sql`and ${join(where, ' and ')}` : empty}
     order by r.id desc limit ${limit}`);
  return rows.map(({ cf_ru, cf_en, ...r }) => {
    const std = r.field === null ? undefined : CARD_FIELDS[r.object_type].find((s) => s.name === r.field);
    return { ...r, field_label_ru: std?.ru ?? cf_ru, field_label_en: std?.en ?? cf_en };
  });
}

const encodeCursor = (id: number) => Buffer.from(JSON.stringify([id])).toString('base64url');
function decodeCursor(c: string): number {
  try {
    const [id] = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown[];
    if (Number.isSafeInteger(id) && (id as number) > 0) return id as number;
  } catch {
    /* below */
  }
  throw validationError([fieldIssue('cursor', 'not a cursor of this list', 'это не курсор этого списка', 'invalid')]);
}

const fieldName = z
  .string()
  .regex(/^(custom\.)?[a-z][a-z0-9_]{0,62}$/, 'a field name such as region or custom.budget')
  .describe('A standard field of the card (its API name) or `custom.<key>`');

const createBody = z.strictObject({
  object_type: z.enum(REMARK_OBJECTS),
  field: fieldName.nullable().optional().describe('The field the remark is about; none: the card as a whole'),
  record_id: idSchema.nullable().optional().describe('The card the remark was written on'),
  stage_id: idSchema
    .nullable()
    .optional()
    .describe("A deal card's stage as the card showed it (a stage of the deal's pipeline); by default the deal's current stage"),
  text: z.string().trim().min(1).max(2000),
});

const patchBody = z
  .strictObject({
    version: z.number().int().min(1).describe('The version read (a stale one answers 409)'),
    status: z.enum(REMARK_STATUSES).optional(),
    answer: z.string().trim().max(2000).nullable().optional().describe('The answer to the author; empty or null removes it'),
  })
  .refine((b) => b.status !== undefined || b.answer !== undefined, { message: 'give status or answer', path: ['status'] });

const listQuery = z.strictObject({
  status: z.enum(REMARK_STATUSES).optional(),
  object: z.enum(REMARK_OBJECTS).optional(),
  field: fieldName.optional().describe('Remarks on this field (`none`: those on the card as a whole)'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional().describe('The `next_cursor` of the previous page'),
});

const fieldsAnswer = z.object({
  items: z.array(
    z.object({
      field: z.string(),
      label_ru: z.string(),
      label_en: z.string(),
      custom: z.boolean(),
      type: z.string().nullable(),
    }),
  ),
});

const count = z.number().int().min(0);
const usageAnswer = z.object({
  object: z.enum(REMARK_OBJECTS),
  pipeline_id: idSchema.nullable().describe('Deals: the pipeline counted'),
  records: count.describe('Records counted (archived ones are not)'),
  stages: z
    .array(z.object({ id: idSchema, name: z.string(), kind: z.enum(['open', 'won', 'lost']), records: count }))
    .describe('Deals: the stages of the pipeline in order (open ones, then won, then lost), with the deals in each now'),
  fields: z.array(
    z.object({
      field: z.string(),
      label_ru: z.string(),
      label_en: z.string(),
      custom: z.boolean(),
      type: z.string().nullable(),
      filled: count.describe('Records where the field is filled'),
      share: z.number().min(0).max(1).nullable().describe('filled / records; null when there are no records'),
      by_stage: z
        .array(z.object({ stage_id: idSchema, filled: count, records: count, share: z.number().min(0).max(1).nullable() }))
        .describe('Deals: the same per stage, in the order of `stages`'),
      open_remarks: count,
    }),
  ),
  open_remarks_general: count.describe('Open remarks on the card as a whole (no field)'),
});

const share = (filled: number, records: number) => (records === 0 ? null : filled / records);

/** The field a remark names must be one its card shows (400 naming `field` otherwise). */
function checkField(fields: CardField[], field: string | null | undefined): string | null {
  if (field === undefined || field === null) return null;
  if (fields.some((x) => x.field === field)) return field;
  throw validationError([fieldIssue('field', `"${field}" is not a field of this card`, `«${field}» — не поле этой карточки`, 'not_found')]);
}

export function registerRemarkRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['remarks'];

  zapp.get(
    '/api/v1/remarks/fields',
    {
      schema: {
        tags,
        summary: 'The fields of a card a remark may name: the standard ones in the card order, then the custom ones',
        querystring: z.strictObject({ object: z.enum(REMARK_OBJECTS) }),
        response: { 200: fieldsAnswer, ...errorResponses },
      },
    },
    async (req) => {
      requireAccess(principalOf(req), TABLE[req.query.object], 'read');
      return scoped(ctx, req, async (tx, p) => ({
        items: (await cardFields(tx, p.workspaceId, req.query.object)).map(({ filled: _, ...x }) => x),
      }));
    },
  );

  zapp.post(
    '/api/v1/remarks',
    {
      schema: {
        tags,
        summary: 'Leave a remark on the standard from a card (anyone who sees the card)',
        body: createBody,
        response: { 201: remarkSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const table = TABLE[b.object_type];
      requireAccess(principalOf(req), table, 'read');
      if (b.stage_id != null && b.object_type !== 'deal')
        throw validationError([fieldIssue('stage_id', 'only a deal has a stage', 'этап бывает только у сделки')]);
      if (b.stage_id != null && b.record_id == null)
        throw validationError([
          fieldIssue('stage_id', 'a stage needs the deal (record_id)', 'этап указывают вместе со сделкой (record_id)'),
        ]);
      const out = await scoped(ctx, req, async (tx, p) => {
        const ws = p.workspaceId;
        const field = checkField(await cardFields(tx, ws, b.object_type), b.field);
        let stageId: number | null = null;
        if (b.record_id != null) {
          const exists = await tx.query(sql`select 1 from ${raw(table)} where workspace_id = ${ws} and id = ${b.record_id}`);
          if (exists.length === 0) throw notFound(WHAT_RECORD[b.object_type], b.record_id);
          await assertVisible(tx, ws, table, b.record_id, await scopeFor(tx, p, table, 'read'), WHAT_RECORD[b.object_type]);
          if (b.object_type === 'deal') {
            const [d] = await tx.query<{ stage_id: number; pipeline_id: number }>(
              sql`select stage_id, pipeline_id from deals where workspace_id = ${ws} and id = ${b.record_id}`,
            );
            stageId = Number(d.stage_id);
            if (b.stage_id != null) {
              const ok = await tx.query(
                sql`select 1 from stages where workspace_id = ${ws} and pipeline_id = ${d.pipeline_id} and id = ${b.stage_id}`,
              );
              if (ok.length === 0)
                throw validationError([
                  fieldIssue(
                    'stage_id',
                    `no stage ${b.stage_id} in the deal's pipeline`,
                    `в воронке сделки нет этапа ${b.stage_id}`,
                    'not_found',
                  ),
                ]);
              stageId = b.stage_id;
            }
          }
        }
        const now = ctx.clock.now();
        const [{ id }] = await tx.query<{ id: number }>(sql`
          insert into standard_remarks (workspace_id, object_type, field, record_id, stage_id, text, author_id, created_at, updated_at)
          values (${ws}, ${b.object_type}, ${field}, ${b.record_id ?? null}, ${stageId}, ${b.text}, ${p.userId}, ${now}, ${now})
          returning id`);
        await audit(tx, {
          workspaceId: ws,
          userId: p.userId,
          entity: 'standard_remarks',
          entityId: Number(id),
          action: 'create',
          at: now,
          version: 1,
          changes: {
            object_type: { from: null, to: b.object_type },
            field: { from: null, to: field },
            record_id: { from: null, to: b.record_id ?? null },
            stage_id: { from: null, to: stageId },
            text: { from: null, to: b.text },
          },
        });
        const [row] = await remarkRows(tx, ws, [sql`r.id = ${id}`], 1);
        return row;
      });
      return reply.status(201).send(out);
    },
  );

  zapp.get(
    '/api/v1/remarks',
    {
      schema: {
        tags,
        summary: 'Remarks on the standard, newest first: all of them for an admin and the head of sales, one’s own for everyone else',
        querystring: listQuery,
        response: { 200: z.object({ items: z.array(remarkSchema), next_cursor: z.string().nullable() }), ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      return scoped(ctx, req, async (tx, p) => {
        const where: Sql[] = [];
        if (!isHead(p)) where.push(sql`r.author_id = ${p.userId}`);
        if (q.status) where.push(sql`r.status = ${q.status}`);
        if (q.object) where.push(sql`r.object_type = ${q.object}`);
        if (q.field === 'none') where.push(sql`r.field is null`);
        else if (q.field) where.push(sql`r.field = ${q.field}`);
        if (before !== undefined) where.push(sql`r.id < ${before}`);
        const rows = await remarkRows(tx, p.workspaceId, where, q.limit + 1);
        const items = rows.slice(0, q.limit);
        return { items, next_cursor: rows.length > q.limit ? encodeCursor(items[items.length - 1].id) : null };
      });
    },
  );

  zapp.patch(
    '/api/v1/remarks/:id',
    {
      schema: {
        tags,
        summary: 'Answer a remark and set its status (admin, head of sales); a rejection says why',
        params: idParams,
        body: patchBody,
        response: { 200: remarkSchema, ...errorResponses },
      },
    },
    async (req) => {
      headGuard(principalOf(req), {
        en: 'only an admin or the head of sales can answer remarks on the standard',
        ru: 'отвечать на замечания к стандарту может только администратор или РОП',
      });
      const b = req.body;
      const id = req.params.id;
      return scoped(ctx, req, async (tx, p) => {
        const ws = p.workspaceId;
        const [cur] = await tx.query<{ status: string; answer: string | null; version: number }>(
          sql`select status, answer, version from standard_remarks where workspace_id = ${ws} and id = ${id} for update`,
        );
        if (!cur) throw notFound(WHAT_REMARK, id);
        if (cur.version !== b.version)
          throw versionConflict(
            WHAT_REMARK,
            id,
            cur.version,
            b.version,
            await changesSince(tx, ws, 'standard_remarks', id, b.version, cur.version),
          );
        const status = b.status ?? cur.status;
        const answer = b.answer === undefined ? cur.answer : b.answer || null;
        if (status === 'rejected' && answer === null)
          throw validationError([
            fieldIssue('answer', 'say why the remark is rejected', 'напишите, почему замечание отклонено', 'required'),
          ]);
        const changes: Record<string, Change> = {};
        if (status !== cur.status) changes.status = { from: cur.status, to: status };
        if (answer !== cur.answer) changes.answer = { from: cur.answer, to: answer };
        if (Object.keys(changes).length > 0) {
          const now = ctx.clock.now();
          // Whoever answers or sets the status last is named; a remark opened again is nobody's answer yet.
          const reopened = status === 'open';
          await tx.query(sql`
            update standard_remarks set status = ${status}, answer = ${answer},
                   resolved_by = ${reopened ? null : p.userId}, resolved_at = ${reopened ? null : now},
                   updated_at = ${now}, version = version + 1
             where workspace_id = ${ws} and id = ${id}`);
          await audit(tx, {
            workspaceId: ws,
            userId: p.userId,
            entity: 'standard_remarks',
            entityId: id,
            action: 'update',
            at: now,
            version: cur.version + 1,
            changes,
          });
        }
        const [row] = await remarkRows(tx, ws, [sql`r.id = ${id}`], 1);
        return row;
      });
    },
  );

  zapp.get(
    '/api/v1/field-usage',
    {
      schema: {
        tags,
        summary:
          'Per field of a card: the share of records where it is filled (deals: also by the stage they are in now), and the open remarks on it (admin, head of sales)',
        querystring: z.strictObject({
          object: z.enum(REMARK_OBJECTS),
          pipeline_id: z.coerce
            .number()
            .int()
            .positive()
            .optional()
            .describe("Deals: the pipeline (by default the workspace's first pipeline in use)"),
        }),
        response: { 200: usageAnswer, ...errorResponses },
      },
    },
    async (req) => {
      headGuard(principalOf(req), {
        en: 'only an admin or the head of sales can see how the fields are used',
        ru: 'заполненность полей видят только администратор и РОП',
      });
      const { object, pipeline_id } = req.query;
      if (pipeline_id !== undefined && object !== 'deal')
        throw validationError([fieldIssue('pipeline_id', 'only deals are counted per pipeline', 'по воронке считаются только сделки')]);
      return scoped(ctx, req, async (tx, p) => {
        const ws = p.workspaceId;
        const fields = await cardFields(tx, ws, object);
        let pipelineId: number | null = null;
        let stages: { id: number; name: string; kind: 'open' | 'won' | 'lost' }[] = [];
        if (object === 'deal') {
          const [pl] = await tx.query<{ id: number }>(
            pipeline_id === undefined
              ? sql`select id from pipelines where workspace_id = ${ws} order by archived, position, id limit 1`
              : sql`select id from pipelines where workspace_id = ${ws} and id = ${pipeline_id}`,
          );
          if (!pl) throw notFound({ en: 'pipeline', ru: 'воронка' }, pipeline_id);
          pipelineId = Number(pl.id);
          stages = (
            await tx.query<{ id: number; name: string; kind: 'open' | 'won' | 'lost' }>(
              sql`select id, name, kind from stages where workspace_id = ${ws} and pipeline_id = ${pipelineId} order by position, id`,
            )
          ).map((s) => ({ ...s, id: Number(s.id) }));
        }
        // One pass over the object's rows: every field's filled count, for deals also per current stage.
        const counts = join(
          fields.map((x, i) => sql`count(*) filter (where ${x.filled})::int8 as ${raw(`f${i}`)}`),
          ', ',
        );
        const rows = await tx.query<Record<string, number> & { stage_id: number | null; whole: number }>(
          object === 'deal'
            ? sql`select t.stage_id, grouping(t.stage_id) as whole, count(*)::int8 as records, ${counts}
                    from deals t where t.workspace_id = ${ws} and t.pipeline_id = ${pipelineId}
                   group by grouping sets ((), (t.stage_id))`
            : sql`select null::int8 as stage_id, 1 as whole, count(*)::int8 as records, ${counts}
                    from ${raw(TABLE[object])} t where t.workspace_id = ${ws} and t.archived_at is null`,
        );
        const total = rows.find((r) => Number(r.whole) === 1) as Record<string, number>;
        const perStage = new Map(rows.filter((r) => Number(r.whole) === 0).map((r) => [Number(r.stage_id), r]));
        const remarks = await tx.query<{ field: string | null; n: number }>(sql`
          select field, count(*)::int8 as n from standard_remarks
           where workspace_id = ${ws} and object_type = ${object} and status = 'open' group by field`);
        const openOn = (field: string | null) => Number(remarks.find((r) => r.field === field)?.n ?? 0);
        return {
          object,
          pipeline_id: pipelineId,
          records: Number(total.records),
          stages: stages.map((s) => ({ ...s, records: Number(perStage.get(s.id)?.records ?? 0) })),
          fields: fields.map((x, i) => {
            const filled = Number(total[`f${i}`]);
            return {
              field: x.field,
              label_ru: x.label_ru,
              label_en: x.label_en,
              custom: x.custom,
              type: x.type,
              filled,
              share: share(filled, Number(total.records)),
              by_stage: stages.map((s) => {
                const r = perStage.get(s.id);
                const n = Number(r?.[`f${i}`] ?? 0);
                const of = Number(r?.records ?? 0);
                return { stage_id: s.id, filled: n, records: of, share: share(n, of) };
              }),
              open_remarks: openOn(x.field),
            };
          }),
          open_remarks_general: openOn(null),
        };
      });
    },
  );
}
