import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { audit, type Change } from '../platform/audit.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable } from '../platform/db/types.ts';
import { AppError, type FieldIssue, fieldIssue, type Locale, validationError } from '../platform/errors.ts';
import { CUSTOM_FIELD_TYPES, type CustomFieldType, type ObjectType } from '../platform/resource/custom-values.ts';
import { errorResponses, principalOf, scoped } from '../platform/resource/resource-routes.ts';
import { checkFieldChoices, OBJECTS } from './custom-fields.ts';
import { configGuard } from './pipelines.ts';

/**
 * The card designer (issue 17): the whole layout of one object's card — its blocks in order
 * (named, pinned or not), each custom field's block and place — read as one document and saved
 * as one, in one transaction with one audit entry saying what changed in words. The layout is kept
 * in the field_blocks and custom_fields rows themselves; its `version` is a digest of those rows'
 * ids and versions, so any change to them (here, through the custom-fields resource, by the config
 * import) makes a layout read before it stale (409).
 */

const name = z.string().trim().min(1).max(200);
const key = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lowercase latin letters, digits and _, starting with a letter');
const choice = z.strictObject({ value: z.string().trim().min(1).max(100), label_ru: name, label_en: name });

const stageAsk = z.object({
  pipeline: z.string(),
  stage_id: z.number().int(),
  stage: z.string(),
  segments: z.array(z.string()).nullable().describe('The segments whose deals the stage asks it of; null: every deal'),
});
const layoutField = z.object({
  id: z.number().int(),
  key: z.string(),
  label_ru: z.string(),
  label_en: z.string(),
  type: z.enum(CUSTOM_FIELD_TYPES),
  choices: z.array(z.object({ value: z.string(), label_ru: z.string(), label_en: z.string() })),
  required_by: z.array(stageAsk).describe('Deals: the stages that ask for the field before a deal may enter them'),
});
const layoutOut = z.object({
  object_type: z.enum(OBJECTS),
  version: z.string().describe('A stamp of the layout as read; give it back to PUT'),
  blocks: z.array(
    z.object({
      id: z.number().int(),
      name_ru: z.string(),
      name_en: z.string(),
      pinned: z.boolean(),
      fields: z.array(layoutField),
    }),
  ),
  loose: z.array(layoutField).describe('Fields in no block (the card shows them last, under «Прочее»)'),
});
export type CardLayout = z.infer<typeof layoutOut>;

export const layoutIn = z.strictObject({
  version: z.string().min(1).max(100),
  blocks: z
    .array(
      z.strictObject({
        id: z.number().int().positive().nullable().describe('null: a new block'),
        name_ru: name,
        name_en: name,
        pinned: z.boolean(),
        fields: z.array(key).max(500).describe('Keys of the block’s fields in order'),
      }),
    )
    .max(100)
    .describe('Every block in order; an existing block left out is removed (it must have no fields left)'),
  loose: z.array(key).max(500).default([]),
  fields: z
    .array(
      z.strictObject({
        key,
        label_ru: name,
        label_en: name,
        type: z.enum(CUSTOM_FIELD_TYPES),
        choices: z.array(choice).max(200).default([]),
      }),
    )
    .max(500)
    .default([])
    .describe('Definitions to create (a new key) or to relabel (an existing key; the type stays)'),
});
export type LayoutInput = z.infer<typeof layoutIn>;

interface BlockRow {
  id: number;
  name_ru: string;
  name_en: string;
  pinned: boolean;
  position: number;
}
interface FieldRow {
  id: number;
  key: string;
  label_ru: string;
  label_en: string;
  type: CustomFieldType;
  choices: { value: string; label_ru: string; label_en: string }[];
  block_id: number | null;
  position: number;
}

/** The layout's stamp: the ids and versions of the object's blocks and fields. */
const stampSql = (ws: number, object: ObjectType) => sql`
  select md5(coalesce((select string_agg(id || ':' || version, ',' order by id) from field_blocks where workspace_id = ${ws} and object_type = ${object}), '')
    || '|' || coalesce((select string_agg(id || ':' || version, ',' order by id) from custom_fields where workspace_id = ${ws} and object_type = ${object}), '')) as stamp`;

export async function readLayout(tx: Queryable, ws: number, object: ObjectType): Promise<CardLayout> {
  const [{ stamp }] = await tx.query<{ stamp: string }>(stampSql(ws, object));
  const blocks = await tx.query<BlockRow>(
    sql`select id, name_ru, name_en, pinned, position from field_blocks where workspace_id = ${ws} and object_type = ${object} order by position, id`,
  );
  const fields = await tx.query<FieldRow>(
    sql`select id, key, label_ru, label_en, type, choices, block_id, position from custom_fields
         where workspace_id = ${ws} and object_type = ${object} order by position, id`,
  );
  const asks = new Map<string, z.infer<typeof stageAsk>[]>();
  if (object === 'deal') {
    const rows = await tx.query<{ field: string; pipeline: string; stage_id: number; stage: string; segments: string[] | null }>(sql`
      select r.field, p.name as pipeline, s.id as stage_id, s.name as stage,
             case when r.segment_ids is null then null
                  else array(select g.name from segments g where g.workspace_id = r.workspace_id and g.id = any(r.segment_ids) order by g.position, g.id) end as segments
        from stage_requirements r
        join stages s on s.workspace_id = r.workspace_id and s.id = r.stage_id
        join pipelines p on p.workspace_id = r.workspace_id and p.id = r.pipeline_id
       where r.workspace_id = ${ws} and r.field like 'custom.%' and not p.archived
       order by p.position, p.id, s.position, r.position, r.id`);
    for (const r of rows) {
      const k = r.field.slice(7);
      asks.set(k, [...(asks.get(k) ?? []), { pipeline: r.pipeline, stage_id: Number(r.stage_id), stage: r.stage, segments: r.segments }]);
    }
  }
  const field = (f: FieldRow) => ({
    id: Number(f.id),
    key: f.key,
    label_ru: f.label_ru,
    label_en: f.label_en,
    type: f.type,
    choices: f.choices,
    required_by: asks.get(f.key) ?? [],
  });
  const ids = new Set(blocks.map((b) => b.id));
  return {
    object_type: object,
    version: stamp,
    blocks: blocks.map((b) => ({
      id: Number(b.id),
      name_ru: b.name_ru,
      name_en: b.name_en,
      pinned: b.pinned,
      fields: fields.filter((f) => f.block_id === b.id).map(field),
    })),
    loose: fields.filter((f) => f.block_id === null || !ids.has(f.block_id)).map(field),
  };
}

const TYPE_WORDS: Record<CustomFieldType, { ru: string; en: string }> = {
  text: { ru: 'текст', en: 'text' },
  number: { ru: 'число', en: 'number' },
  money: { ru: 'сумма', en: 'amount' },
  date: { ru: 'дата', en: 'date' },
  choice: { ru: 'список', en: 'choice' },
  multi_choice: { ru: 'несколько из списка', en: 'multiple choice' },
  user: { ru: 'сотрудник', en: 'user' },
  link: { ru: 'ссылка', en: 'link' },
};

/** Checks a layout against what the object has now, every problem named by its path in the body. */
export function checkLayout(input: LayoutInput, blocks: BlockRow[], fields: FieldRow[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const existing = new Map(fields.map((f) => [f.key, f]));
  const defined = new Map<string, number>();
  for (const [i, f] of input.fields.entries()) {
    const at = `fields.${i}`;
    if (defined.has(f.key))
      issues.push(fieldIssue(`${at}.key`, `field "${f.key}" is given twice`, `поле «${f.key}» указано дважды`, 'duplicate'));
    defined.set(f.key, i);
    const old = existing.get(f.key);
    if (old && old.type !== f.type)
      issues.push(
        fieldIssue(
          `${at}.type`,
          `field "${f.key}" is ${old.type}; the type is fixed: create a new field instead`,
          `поле «${f.key}» имеет тип «${TYPE_WORDS[old.type].ru}»; тип менять нельзя: создайте новое поле`,
          'immutable',
        ),
      );
    issues.push(...checkFieldChoices(f.type, f.choices, `${at}.choices`));
  }
  const blockIds = new Set(blocks.map((b) => b.id));
  const seenIds = new Set<number>();
  const names = new Map<string, number>();
  const placed = new Map<string, string>();
  const place = (k: string, at: string) => {
    if (placed.has(k))
      issues.push(
        fieldIssue(at, `field "${k}" is placed twice (also at ${placed.get(k)})`, `поле «${k}» стоит в двух местах`, 'duplicate'),
      );
    else if (!existing.has(k) && !defined.has(k))
      issues.push(fieldIssue(at, `no field "${k}": give its definition in fields`, `нет поля «${k}»: опишите его в fields`, 'not_found'));
    placed.set(k, at);
  };
  for (const [i, b] of input.blocks.entries()) {
    const at = `blocks.${i}`;
    if (b.id !== null) {
      if (!blockIds.has(b.id))
        issues.push(fieldIssue(`${at}.id`, `no block ${b.id} of this card`, `у этой карточки нет блока ${b.id}`, 'not_found'));
      if (seenIds.has(b.id)) issues.push(fieldIssue(`${at}.id`, `block ${b.id} is given twice`, `блок ${b.id} указан дважды`, 'duplicate'));
      seenIds.add(b.id);
    }
    const n = b.name_ru.trim().toLowerCase();
    if (names.has(n))
      issues.push(
        fieldIssue(`${at}.name_ru`, `another block is named "${b.name_ru}"`, `блок «${b.name_ru}» уже есть на этой карточке`, 'duplicate'),
      );
    names.set(n, i);
    for (const [j, k] of b.fields.entries()) place(k, `${at}.fields.${j}`);
  }
  for (const [j, k] of input.loose.entries()) place(k, `loose.${j}`);
  for (const f of fields)
    if (!placed.has(f.key))
      issues.push(
        fieldIssue(
          'blocks',
          `field "${f.key}" is missing from the layout`,
          `поля «${f.label_ru}» нет в раскладке: поставьте его в блок или оставьте без блока`,
          'required',
        ),
      );
  for (const [k, i] of defined)
    if (!placed.has(k))
      issues.push(fieldIssue(`fields.${i}.key`, `field "${k}" is not placed`, `поле «${k}» не поставлено ни в один блок`, 'required'));
  return issues;
}

const q = (s: string, lang: Locale) => (lang === 'ru' ? `«${s}»` : `“${s}”`);

/**
 * What changed between two layouts, as sentences a head of sales reads (the audit entry's keys,
 * from → to as values): «Поле «Бюджет»: блок «Квалификация» → «Деньги»», «Блок «Деньги» закреплён».
 */
export function describeLayoutChange(before: CardLayout, after: CardLayout, lang: Locale): Record<string, Change> {
  const ru = lang === 'ru';
  const out: Record<string, Change> = {};
  const noBlock = ru ? 'без блока' : 'no block';
  const blockName = (b: { name_ru: string; name_en: string }) => (ru ? b.name_ru : b.name_en);
  const fieldName = (f: { label_ru: string; label_en: string }) => (ru ? f.label_ru : f.label_en);
  const oldBlocks = new Map(before.blocks.map((b) => [b.id, b]));
  const newIds = new Set(after.blocks.map((b) => b.id));
  for (const b of after.blocks) {
    const o = oldBlocks.get(b.id);
    if (!o) {
      out[ru ? `Новый блок ${q(b.name_ru, lang)}` : `New block ${q(b.name_en, lang)}`] = { from: null, to: blockName(b) };
      if (b.pinned) out[ru ? `Блок ${q(b.name_ru, lang)} закреплён` : `Block ${q(b.name_en, lang)} pinned`] = { from: false, to: true };
      continue;
    }
    if (o.name_ru !== b.name_ru)
      out[ru ? `Блок ${q(o.name_ru, lang)} переименован в ${q(b.name_ru, lang)}` : `Block ${q(o.name_ru, lang)} renamed (Russian)`] = {
        from: o.name_ru,
        to: b.name_ru,
      };
    if (o.name_en !== b.name_en)
      out[ru ? `Блок ${q(b.name_ru, lang)}: английское название` : `Block ${q(o.name_en, lang)} renamed to ${q(b.name_en, lang)}`] = {
        from: o.name_en,
        to: b.name_en,
      };
    if (o.pinned !== b.pinned)
      out[
        ru
          ? `Блок ${q(b.name_ru, lang)} ${b.pinned ? 'закреплён' : 'откреплён'}`
          : `Block ${q(b.name_en, lang)} ${b.pinned ? 'pinned' : 'unpinned'}`
      ] = { from: o.pinned, to: b.pinned };
  }
  for (const o of before.blocks)
    if (!newIds.has(o.id))
      out[ru ? `Блок ${q(o.name_ru, lang)} удалён` : `Block ${q(o.name_en, lang)} removed`] = { from: blockName(o), to: null };
  const kept = (l: CardLayout) => l.blocks.filter((b) => oldBlocks.has(b.id) && newIds.has(b.id)).map(blockName);
  const order = [kept(before).join(', '), kept(after).join(', ')];
  if (order[0] !== order[1]) out[ru ? 'Порядок блоков' : 'Order of blocks'] = { from: order[0], to: order[1] };

  type Placed = { f: CardLayout['loose'][number]; block: string; blockId: number | null };
  const where = (l: CardLayout) => {
    const m = new Map<string, Placed>();
    for (const b of l.blocks) for (const f of b.fields) m.set(f.key, { f, block: blockName(b), blockId: b.id });
    for (const f of l.loose) m.set(f.key, { f, block: noBlock, blockId: null });
    return m;
  };
  const was = where(before);
  const now = where(after);
  for (const [k, n] of now) {
    const o = was.get(k);
    if (!o) {
      out[
        ru
          ? `Новое поле ${q(n.f.label_ru, lang)} (${TYPE_WORDS[n.f.type].ru})`
          : `New field ${q(n.f.label_en, lang)} (${TYPE_WORDS[n.f.type].en})`
      ] = {
        from: null,
        to: `${n.block}`,
      };
      continue;
    }
    if (o.f.label_ru !== n.f.label_ru)
      out[ru ? `Поле ${q(o.f.label_ru, lang)} переименовано в ${q(n.f.label_ru, lang)}` : `Field ${q(o.f.label_en, lang)}: Russian label`] =
        {
          from: o.f.label_ru,
          to: n.f.label_ru,
        };
    if (o.f.label_en !== n.f.label_en)
      out[
        ru ? `Поле ${q(n.f.label_ru, lang)}: английское название` : `Field ${q(o.f.label_en, lang)} renamed to ${q(n.f.label_en, lang)}`
      ] = {
        from: o.f.label_en,
        to: n.f.label_en,
      };
    const choices = (f: Placed['f']) => f.choices.map((c) => (ru ? c.label_ru : c.label_en)).join(', ');
    if (JSON.stringify(o.f.choices) !== JSON.stringify(n.f.choices))
      out[ru ? `Поле ${q(n.f.label_ru, lang)}: варианты` : `Field ${q(n.f.label_en, lang)}: choices`] = {
        from: choices(o.f),
        to: choices(n.f),
      };
    if (o.blockId !== n.blockId)
      out[`${ru ? 'Поле' : 'Field'} ${q(fieldName(n.f), lang)}: ${ru ? 'блок' : 'block'} ${q(o.block, lang)} → ${q(n.block, lang)}`] = {
        from: o.block,
        to: n.block,
      };
  }
  // The order of fields within a block: the fields that stayed in it, before and after.
  for (const b of [...after.blocks.map((x) => ({ id: x.id as number | null, name: blockName(x) })), { id: null, name: noBlock }]) {
    const keysIn = (l: CardLayout) => (b.id === null ? l.loose : (l.blocks.find((x) => x.id === b.id)?.fields ?? [])).map((f) => f.key);
    const stayed = (ks: string[]) => ks.filter((k) => was.get(k)?.blockId === b.id && now.get(k)?.blockId === b.id);
    const label = (ks: string[]) => ks.map((k) => fieldName((now.get(k) as Placed).f)).join(', ');
    const a = stayed(keysIn(before));
    const c = stayed(keysIn(after));
    if (a.join() !== c.join())
      out[ru ? `Порядок полей в блоке ${q(b.name, lang)}` : `Order of fields in block ${q(b.name, lang)}`] = {
        from: label(a),
        to: label(c),
      };
  }
  return out;
}

/** The audit entry's id for an object's layout (the log keys entries by entity and id). */
const LAYOUT_ID: Record<ObjectType, number> = { deal: 1, company: 2, contact: 3, lead: 4 };

/**
 * Saves a whole layout in the caller's transaction: refused with 409 when it changed since
 * `version` was read (the object's layout is locked first, so two saves take turns), every
 * problem named (400), then blocks created, renamed, reordered, pinned and removed, fields
 * created, relabelled and placed — only rows that change are written (and get a new version).
 */
export async function saveLayout(
  tx: Queryable,
  ws: number,
  userId: number | null,
  object: ObjectType,
  input: LayoutInput,
  now: Date,
): Promise<CardLayout> {
  await tx.query(sql`select pg_advisory_xact_lock(hashtext(${`card_layout:${ws}:${object}`}))`);
  const before = await readLayout(tx, ws, object);
  if (before.version !== input.version)
    throw new AppError(
      'VERSION_CONFLICT',
      {
        en: 'the card layout was changed by someone else since you opened it: reload it and make your change again',
        ru: 'раскладку карточки уже изменили, пока вы её редактировали: обновите страницу и повторите изменения',
      },
      { current_version: before.version, your_version: input.version },
    );
  const blocks = await tx.query<BlockRow>(
    sql`select id, name_ru, name_en, pinned, position from field_blocks where workspace_id = ${ws} and object_type = ${object}`,
  );
  const fields = await tx.query<FieldRow>(
    sql`select id, key, label_ru, label_en, type, choices, block_id, position from custom_fields where workspace_id = ${ws} and object_type = ${object}`,
  );
  const issues = checkLayout(input, blocks, fields);
  if (issues.length) throw validationError(issues);

  const keep = new Set(input.blocks.flatMap((b) => (b.id === null ? [] : [b.id])));
  const blockOf = new Map<string, { id: number | null; position: number }>();
  const blockIds: number[] = [];
  for (const [i, b] of input.blocks.entries()) {
    let id = b.id;
    if (id === null) {
      const [row] = await tx.query<{ id: number }>(sql`
        insert into field_blocks (workspace_id, object_type, name_ru, name_en, position, pinned, created_at, updated_at)
        values (${ws}, ${object}, ${b.name_ru}, ${b.name_en}, ${i + 1}, ${b.pinned}, ${now}, ${now}) returning id`);
      id = Number(row.id);
    } else {
      await tx.query(sql`
        update field_blocks set name_ru = ${b.name_ru}, name_en = ${b.name_en}, position = ${i + 1}, pinned = ${b.pinned},
               version = version + 1, updated_at = ${now}
         where workspace_id = ${ws} and id = ${id}
           and (name_ru, name_en, position, pinned) is distinct from (${b.name_ru}, ${b.name_en}, ${i + 1}, ${b.pinned})`);
    }
    blockIds.push(id);
    for (const [j, k] of b.fields.entries()) blockOf.set(k, { id, position: j + 1 });
  }
  for (const [j, k] of input.loose.entries()) blockOf.set(k, { id: null, position: j + 1 });
  const existing = new Map(fields.map((f) => [f.key, f]));
  for (const f of input.fields) {
    const at = blockOf.get(f.key) as { id: number | null; position: number };
    if (existing.has(f.key))
      await tx.query(sql`
        update custom_fields set label_ru = ${f.label_ru}, label_en = ${f.label_en}, choices = ${JSON.stringify(f.choices)}::jsonb,
               version = version + 1, updated_at = ${now}
         where workspace_id = ${ws} and object_type = ${object} and key = ${f.key}
           and (label_ru, label_en, choices) is distinct from (${f.label_ru}, ${f.label_en}, ${JSON.stringify(f.choices)}::jsonb)`);
    else
      await tx.query(sql`
        insert into custom_fields (workspace_id, object_type, key, label_ru, label_en, type, choices, block_id, position, created_at, updated_at)
        values (${ws}, ${object}, ${f.key}, ${f.label_ru}, ${f.label_en}, ${f.type}, ${JSON.stringify(f.choices)}::jsonb, ${at.id}::int8, ${at.position}, ${now}, ${now})`);
  }
  for (const [k, at] of blockOf)
    await tx.query(sql`
      update custom_fields set block_id = ${at.id}::int8, position = ${at.position}, version = version + 1, updated_at = ${now}
       where workspace_id = ${ws} and object_type = ${object} and key = ${k}
         and (block_id, position) is distinct from (${at.id}::int8, ${at.position})`);
  const gone = blocks.filter((b) => !keep.has(b.id)).map((b) => b.id);
  if (gone.length) await tx.query(sql`delete from field_blocks where workspace_id = ${ws} and id = any(${gone}::int8[])`);

  const after = await readLayout(tx, ws, object);
  const [{ locale }] = await tx.query<{ locale: Locale }>(sql`select locale from workspaces where workspace_id = ${ws}`);
  const changes = describeLayoutChange(before, after, locale);
  if (Object.keys(changes).length > 0)
    await audit(tx, { workspaceId: ws, userId, entity: 'card_layout', entityId: LAYOUT_ID[object], action: 'update', at: now, changes });
  return after;
}

export function registerCardDesignerRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const params = z.strictObject({ object: z.enum(OBJECTS) });
  zapp.get(
    '/api/v1/card-layouts/:object',
    {
      schema: {
        tags: ['custom fields'],
        summary: 'The card layout of an object type: blocks in order with their fields, loose fields, the stages that ask for each',
        params,
        response: { 200: layoutOut, ...errorResponses },
      },
    },
    async (req) => scoped(ctx, req, (tx, p) => readLayout(tx, p.workspaceId, req.params.object)),
  );
  zapp.put(
    '/api/v1/card-layouts/:object',
    {
      schema: {
        tags: ['custom fields'],
        summary: 'Save a whole card layout in one transaction (409 when it changed since it was read; one audit entry)',
        params,
        body: layoutIn,
        response: { 200: layoutOut, ...errorResponses },
      },
    },
    async (req) => {
      configGuard(principalOf(req), 'write');
      return scoped(ctx, req, (tx, p) => saveLayout(tx, p.workspaceId, p.userId, req.params.object, req.body, ctx.clock.now()));
    },
  );
}
