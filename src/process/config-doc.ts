import sql from 'sql-template-tag';
import { z } from 'zod';
import type { Queryable } from '../platform/db/types.ts';
import { AppError, fieldIssue, validationError } from '../platform/errors.ts';
import { issuesToFields } from '../platform/http/validation.ts';
import { CUSTOM_FIELD_TYPES } from '../platform/resource/custom-values.ts';
import { checkRulesDoc, exportRules, importRules, rulesDocSchema } from './config-rules.ts';
import { checkFieldChoices } from './custom-fields.ts';
import { checkStageSet, MAX_STAGES, normalisePositions, STAGE_KINDS } from './pipelines.ts';
import { TASK_TYPES } from './task-kinds.ts';

/**
 * The sales standard as one JSON document — segments, the custom fields of deals
 * (`deal_fields`) and of companies, contacts and leads (`fields`), each card's blocks
 * (`blocks`: the card designer's layout), pipelines with their stages, guidance,
 * requirements and playbooks, and the business calendar — so a head of sales can
 * version it and carry it between workspaces. Import merges by name (stages, segments,
 * blocks), key (fields, task templates) and date: nothing with history is deleted,
 * templates left out of the document are deactivated, requirements are replaced, a
 * card's blocks are the document's (an object the document has no blocks for keeps
 * its layout).
 */

const name = z.string().trim().min(1).max(200);
const requirementDoc = z.strictObject({
  field: z
    .string()
    .regex(
      /^(title|amount_minor|company_id|contact_id|lead_id|segment_id|channel_id|region|custom\.[a-z][a-z0-9_]{0,62})$/,
      'a deal field or custom.<key>',
    ),
  segments: z.array(name).min(1).nullable().default(null),
});
const templateDoc = z.strictObject({
  key: z.string().regex(/^[A-Za-z0-9_.-]{1,80}$/),
  title_ru: z.string().trim().min(1).max(300),
  title_en: z.string().trim().min(1).max(300),
  type: z.enum(TASK_TYPES).default('other'),
  due_days: z.number().int().min(0, 'cannot be negative').max(365, 'more than a year is not a deadline'),
  day_kind: z.enum(['calendar', 'business']).default('business'),
  segment: name.nullable().default(null),
  anchor: z.string().nullable().default(null).describe('key of the template whose task being done starts the count'),
  owner_email: z.string().email().nullable().default(null).describe('a fixed owner; null: the deal owner'),
  on_stage_exit: z.enum(['skip', 'keep_open']).default('skip'),
  active: z.boolean().default(true),
});
const stageDoc = z.strictObject({
  name,
  kind: z.enum(STAGE_KINDS),
  guidance_ru: z.string().max(4000).nullable().default(null),
  guidance_en: z.string().max(4000).nullable().default(null),
  requirements: z.array(requirementDoc).max(50).default([]),
  playbook: z.array(templateDoc).max(100).default([]),
  archived: z.boolean().optional().describe('Archived: kept for its history and reports, no longer a move target (written only when true)'),
});
const fieldDoc = z.strictObject({
  key: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/),
  label_ru: name,
  label_en: name,
  type: z.enum(CUSTOM_FIELD_TYPES),
  choices: z.array(z.strictObject({ value: z.string().min(1).max(100), label_ru: name, label_en: name })).default([]),
});
const fieldList = z.array(fieldDoc).max(200).default([]);
const blockList = z
  .array(
    z.strictObject({
      name_ru: name,
      name_en: name,
      pinned: z.boolean().default(false),
      fields: z.array(z.string()).max(200).default([]).describe('keys of the object’s fields, in order'),
    }),
  )
  .max(100);
const CARD_OBJECTS = ['deal', 'company', 'contact', 'lead'] as const;
type CardObject = (typeof CARD_OBJECTS)[number];

export const configDocSchema = z.strictObject({
  voronka_config: z.literal(1),
  segments: z
    .array(z.strictObject({ name, kind: z.enum(['typical', 'atypical']).default('typical') }))
    .max(100)
    .default([]),
  deal_fields: fieldList.describe('The deal’s custom fields (kept here for documents written before the card designer)'),
  fields: z
    .strictObject({ company: fieldList, contact: fieldList, lead: fieldList })
    .partial()
    .optional()
    .describe('The custom fields of companies, contacts and leads'),
  blocks: z
    .strictObject({ deal: blockList, company: blockList, contact: blockList, lead: blockList })
    .partial()
    .optional()
    .describe('Each card’s blocks in order with the keys of their fields in order; an object left out keeps its layout'),
  pipelines: z
    .array(z.strictObject({ name, stages: z.array(stageDoc).min(3).max(MAX_STAGES) }))
    .min(1)
    .max(50),
  calendar: z
    .array(
      z.strictObject({
        day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
        kind: z.enum(['holiday', 'workday']),
        note: z.string().max(300).nullable().default(null),
      }),
    )
    .default([]),
  rules: rulesDocSchema,
});
export type ConfigDoc = z.infer<typeof configDocSchema>;

export async function exportConfig(tx: Queryable, ws: number): Promise<ConfigDoc> {
  const segments = await tx.query<{ id: number; name: string; kind: 'typical' | 'atypical' }>(
    sql`select id, name, kind from segments where workspace_id = ${ws} order by position, id`,
  );
  const segName = new Map(segments.map((s) => [s.id, s.name]));
  const cards = await exportCards(tx, ws);
  const pipelines = await tx.query<{ id: number; name: string }>(
    sql`select id, name from pipelines where workspace_id = ${ws} and not archived order by position, id`,
  );
  const out: ConfigDoc['pipelines'] = [];
  for (const p of pipelines) {
    const stages = await tx.query<{
      id: number;
      name: string;
      kind: 'open' | 'won' | 'lost';
      guidance_ru: string | null;
      guidance_en: string | null;
      archived: boolean;
    }>(
      sql`select id, name, kind, guidance_ru, guidance_en, archived_at is not null as archived
            from stages where workspace_id = ${ws} and pipeline_id = ${p.id} order by position`,
    );
    const docStages: ConfigDoc['pipelines'][number]['stages'] = [];
    for (const s of stages) {
      const reqs = await tx.query<{ field: string; segment_ids: number[] | null }>(
        sql`select field, segment_ids from stage_requirements where workspace_id = ${ws} and stage_id = ${s.id} order by position, id`,
      );
      const templates = await tx.query<Record<string, unknown>>(sql`
        select t.id, t.key, t.title_ru, t.title_en, t.type, t.due_days, t.day_kind, t.segment_id, a.key as anchor_key, a.id as anchor_id,
               u.email as owner_email, t.on_stage_exit, t.active
          from task_templates t
          left join task_templates a on a.workspace_id = t.workspace_id and a.id = t.anchor_template_id
          left join users u on u.workspace_id = t.workspace_id and u.id = t.owner_id
         where t.workspace_id = ${ws} and t.stage_id = ${s.id} order by t.position, t.id`);
      docStages.push({
        name: s.name,
        kind: s.kind,
        guidance_ru: s.guidance_ru,
        guidance_en: s.guidance_en,
        requirements: reqs.map((r) => ({
          field: r.field,
          segments: r.segment_ids ? r.segment_ids.map((id) => segName.get(id) ?? String(id)) : null,
        })),
        playbook: templates.map((t) => ({
          key: (t.key as string | null) ?? `t${t.id}`,
          title_ru: t.title_ru as string,
          title_en: t.title_en as string,
          type: t.type as (typeof TASK_TYPES)[number],
          due_days: t.due_days as number,
          day_kind: t.day_kind as 'calendar' | 'business',
          segment: t.segment_id ? (segName.get(t.segment_id as number) ?? null) : null,
          anchor: t.anchor_id ? ((t.anchor_key as string | null) ?? `t${t.anchor_id}`) : null,
          owner_email: (t.owner_email as string | null) ?? null,
          on_stage_exit: t.on_stage_exit as 'skip' | 'keep_open',
          active: t.active as boolean,
        })),
        ...(s.archived ? { archived: true } : {}),
      });
    }
    out.push({ name: p.name, stages: docStages });
  }
  const calendar = await tx.query<ConfigDoc['calendar'][number]>(
    sql`select to_char(day, 'YYYY-MM-DD') as day, kind, note from calendar_days where workspace_id = ${ws} order by day`,
  );
  return {
    voronka_config: 1,
    segments: segments.map((s) => ({ name: s.name, kind: s.kind })),
    deal_fields: cards.fields.deal,
    fields: { company: cards.fields.company, contact: cards.fields.contact, lead: cards.fields.lead },
    blocks: cards.blocks,
    pipelines: out,
    calendar,
    rules: await exportRules(tx, ws),
  };
}

export interface ConfigImportReport {
  segments_created: number;
  fields_created: number;
  pipelines_created: number;
  stages_created: number;
  requirements: number;
  templates_created: number;
  templates_updated: number;
  templates_deactivated: number;
  calendar_days: number;
  rules: number;
}

/** Validates the whole document (every problem named by its path) before writing anything. */
export function parseConfigDoc(json: unknown): ConfigDoc {
  const r = configDocSchema.safeParse(json);
  if (!r.success) throw validationError(issuesToFields(r.error.issues));
  const doc = r.data;
  const issues = [];
  const segmentNames = new Set(doc.segments.map((s) => s.name.toLowerCase()));
  const fieldKeys = new Set(doc.deal_fields.map((f) => f.key));
  issues.push(...checkCardsDoc(doc));
  const keys = new Map<string, string>();
  const days = new Set<string>();
  for (const [ci, c] of doc.calendar.entries()) {
    if (days.has(c.day)) issues.push(fieldIssue(`calendar.${ci}.day`, `${c.day} is listed twice`, `${c.day} указана дважды`, 'duplicate'));
    days.add(c.day);
  }
  for (const [pi, p] of doc.pipelines.entries()) {
    try {
      checkStageSet(p.stages, `pipelines.${pi}.stages`);
    } catch (e) {
      if (e instanceof AppError) issues.push(...(e.details.fields ?? []));
    }
    for (const [si, s] of p.stages.entries()) {
      const at = `pipelines.${pi}.stages.${si}`;
      if (s.kind !== 'open' && s.playbook.length)
        issues.push(
          fieldIssue(`${at}.playbook`, 'playbook tasks belong to open stages', 'задачи регламента бывают только у открытых этапов'),
        );
      if (s.kind === 'lost' && s.requirements.length)
        issues.push(fieldIssue(`${at}.requirements`, 'losing a deal is never blocked', 'проиграть сделку можно всегда'));
      for (const [ri, r] of s.requirements.entries()) {
        if (r.field.startsWith('custom.') && !fieldKeys.has(r.field.slice(7))) {
          issues.push(
            fieldIssue(
              `${at}.requirements.${ri}.field`,
              `no deal field "${r.field.slice(7)}" in deal_fields`,
              `нет поля «${r.field.slice(7)}» в deal_fields`,
              'not_found',
            ),
          );
        }
        for (const sg of r.segments ?? [])
          if (!segmentNames.has(sg.toLowerCase()))
            issues.push(
              fieldIssue(
                `${at}.requirements.${ri}.segments`,
                `no segment "${sg}" in segments`,
                `нет сегмента «${sg}» в segments`,
                'not_found',
              ),
            );
      }
      for (const [ti, t] of s.playbook.entries()) {
        if (keys.has(t.key))
          issues.push(fieldIssue(`${at}.playbook.${ti}.key`, `key "${t.key}" is used twice`, `ключ «${t.key}» повторяется`, 'duplicate'));
        keys.set(t.key, `${pi}.${si}`);
        if (t.segment && !segmentNames.has(t.segment.toLowerCase()))
          issues.push(
            fieldIssue(
              `${at}.playbook.${ti}.segment`,
              `no segment "${t.segment}" in segments`,
              `нет сегмента «${t.segment}» в segments`,
              'not_found',
            ),
          );
      }
    }
  }
  // Anchors: on the same stage, and no cycles.
  for (const [pi, p] of doc.pipelines.entries()) {
    for (const [si, s] of p.stages.entries()) {
      const local = new Map(s.playbook.map((t) => [t.key, t]));
      for (const [ti, t] of s.playbook.entries()) {
        if (!t.anchor) continue;
        const at = `pipelines.${pi}.stages.${si}.playbook.${ti}.anchor`;
        if (!local.has(t.anchor)) {
          issues.push(
            fieldIssue(at, `"${t.anchor}" is not a template of the same stage`, `«${t.anchor}» — не шаблон этого же этапа`, 'not_found'),
          );
          continue;
        }
        const seen = new Set([t.key]);
        let cur = local.get(t.anchor);
        while (cur) {
          if (seen.has(cur.key)) {
            issues.push(fieldIssue(at, 'a cycle of "counted from" references', 'цикл ссылок «считать от»', 'cycle'));
            break;
          }
          seen.add(cur.key);
          cur = cur.anchor ? local.get(cur.anchor) : undefined;
        }
      }
    }
  }
  issues.push(...checkRulesDoc(doc.rules));
  if (issues.length) throw validationError(issues);
  return doc;
}

export async function importConfig(tx: Queryable, ws: number, doc: ConfigDoc, now: Date): Promise<ConfigImportReport> {
  const report: ConfigImportReport = {
    segments_created: 0,
    fields_created: 0,
    pipelines_created: 0,
    stages_created: 0,
    requirements: 0,
    templates_created: 0,
    templates_updated: 0,
    templates_deactivated: 0,
    calendar_days: 0,
    rules: 0,
  };
  for (const [i, s] of doc.segments.entries()) {
    const n = await tx.run(
      sql`update segments set kind = ${s.kind}, position = ${i + 1}, updated_at = ${now} where workspace_id = ${ws} and lower(name) = lower(${s.name})`,
    );
    if (n === 0) {
      await tx.query(
        sql`insert into segments (workspace_id, name, kind, position, created_at, updated_at) values (${ws}, ${s.name}, ${s.kind}, ${i + 1}, ${now}, ${now})`,
      );
      report.segments_created++;
    }
  }
  const segId = new Map(
    (await tx.query<{ id: number; name: string }>(sql`select id, name from segments where workspace_id = ${ws}`)).map((s) => [
      s.name.toLowerCase(),
      s.id,
    ]),
  );
  for (const object of CARD_OBJECTS) report.fields_created += await importCard(tx, ws, doc, object, now);
  const userByEmail = new Map(
    (
      await tx.query<{ id: number; email: string }>(
        sql`select id, lower(email) as email from users where workspace_id = ${ws} and email is not null`,
      )
    ).map((u) => [u.email, u.id]),
  );
  for (const [pi, p] of doc.pipelines.entries()) {
    let [pipe] = await tx.query<{ id: number }>(
      sql`select id from pipelines where workspace_id = ${ws} and lower(name) = lower(${p.name})`,
    );
    if (!pipe) {
      [pipe] = await tx.query<{ id: number }>(
        sql`insert into pipelines (workspace_id, name, position, created_at, updated_at) values (${ws}, ${p.name}, ${pi}, ${now}, ${now}) returning id`,
      );
      report.pipelines_created++;
    }
    const templateIds = new Map<string, number>();
    const anchors: { id: number; anchor: string }[] = [];
    for (const [si, s] of p.stages.entries()) {
      const at = `pipelines.${pi}.stages.${si}`;
      let [stage] = await tx.query<{ id: number; kind: string; archived: boolean; open_deals: number }>(
        sql`select id, kind, archived_at is not null as archived,
                   (select count(*)::int from deals d where d.workspace_id = ${ws} and d.stage_id = stages.id and d.status = 'open') as open_deals
              from stages where workspace_id = ${ws} and pipeline_id = ${pipe.id} and lower(name) = lower(${s.name})`,
      );
      if (stage && s.archived && !stage.archived && stage.open_deals > 0)
        throw validationError([
          fieldIssue(
            `${at}.archived`,
            `stage "${s.name}" has ${stage.open_deals} open deals here: archive it on the pipelines screen, which moves them`,
            `на этапе «${s.name}» здесь открытых сделок: ${stage.open_deals}; отправьте его в архив на экране воронок — он их переведёт`,
            'has_open_deals',
          ),
        ]);
      if (stage && stage.kind !== s.kind)
        throw validationError([
          fieldIssue(
            `${at}.kind`,
            `stage "${s.name}" exists here as ${stage.kind}; a kind cannot change`,
            `этап «${s.name}» уже есть с типом ${stage.kind}; тип не меняется`,
          ),
        ]);
      const archivedAt = s.archived ? now : null;
      if (!stage) {
        [stage] = await tx.query<{ id: number; kind: string; archived: boolean; open_deals: number }>(sql`
          insert into stages (workspace_id, pipeline_id, name, kind, position, guidance_ru, guidance_en, archived_at, created_at, updated_at)
          values (${ws}, ${pipe.id}, ${s.name}, ${s.kind}, ${si + 1}, ${s.guidance_ru}, ${s.guidance_en}, ${archivedAt}, ${now}, ${now})
          returning id, kind, archived_at is not null as archived, 0 as open_deals`);
        report.stages_created++;
      } else {
        // Archived here and in the document keeps its first archiving; otherwise the document says.
        await tx.query(
          sql`update stages set position = ${si + 1}, guidance_ru = ${s.guidance_ru}, guidance_en = ${s.guidance_en},
                     archived_at = case when ${!!s.archived} then coalesce(archived_at, ${now}) end,
                     archived_by = case when ${!!s.archived} then archived_by end, updated_at = ${now}
               where workspace_id = ${ws} and id = ${stage.id}`,
        );
      }
      await tx.query(sql`delete from stage_requirements where workspace_id = ${ws} and stage_id = ${stage.id}`);
      for (const [ri, r] of s.requirements.entries()) {
        await tx.query(sql`
          insert into stage_requirements (workspace_id, pipeline_id, stage_id, field, segment_ids, position, created_at, updated_at)
          values (${ws}, ${pipe.id}, ${stage.id}, ${r.field}, ${r.segments ? r.segments.map((n) => segId.get(n.toLowerCase()) as number) : null}::int8[], ${ri}, ${now}, ${now})`);
        report.requirements++;
      }
      for (const [ti, t] of s.playbook.entries()) {
        const owner = t.owner_email ? userByEmail.get(t.owner_email.toLowerCase()) : null;
        if (t.owner_email && !owner)
          throw validationError([
            fieldIssue(
              `${at}.playbook.${ti}.owner_email`,
              `no user ${t.owner_email} here`,
              `нет пользователя ${t.owner_email}`,
              'not_found',
            ),
          ]);
        const seg = t.segment ? (segId.get(t.segment.toLowerCase()) as number) : null;
        const values = sql`${t.title_ru}, ${t.title_en}, ${t.type}, ${t.due_days}, ${t.day_kind}, ${seg}::int8, ${owner ? 'user' : 'deal_owner'}, ${owner ?? null}::int8, ${t.on_stage_exit}, ${t.active}, ${ti}`;
        const [old] = await tx.query<{ id: number; stage_id: number }>(
          sql`select id, stage_id from task_templates where workspace_id = ${ws} and key = ${t.key}`,
        );
        let id: number;
        if (old) {
          if (old.stage_id !== stage.id)
            throw validationError([
              fieldIssue(
                `${at}.playbook.${ti}.key`,
                `template "${t.key}" belongs to another stage here`,
                `шаблон «${t.key}» здесь относится к другому этапу`,
              ),
            ]);
          await tx.query(sql`
            update task_templates set (title_ru, title_en, type, due_days, day_kind, segment_id, owner_rule, owner_id, on_stage_exit, active, position) = (${values}),
                   anchor_template_id = null, version = version + 1, updated_at = ${now}
             where workspace_id = ${ws} and id = ${old.id}`);
          id = old.id;
          report.templates_updated++;
        } else {
          const [row] = await tx.query<{ id: number }>(sql`
            insert into task_templates (workspace_id, key, pipeline_id, stage_id, title_ru, title_en, type, due_days, day_kind, segment_id, owner_rule, owner_id, on_stage_exit, active, position, created_at, updated_at)
            values (${ws}, ${t.key}, ${pipe.id}, ${stage.id}, ${values}, ${now}, ${now}) returning id`);
          id = row.id;
          report.templates_created++;
        }
        templateIds.set(t.key, id);
        if (t.anchor) anchors.push({ id, anchor: t.anchor });
      }
      report.templates_deactivated += await tx.run(sql`
        update task_templates set active = false, version = version + 1, updated_at = ${now}
         where workspace_id = ${ws} and stage_id = ${stage.id} and active and not (id = any(${[...templateIds.values()]}::int8[]))`);
    }
    for (const a of anchors)
      await tx.query(
        sql`update task_templates set anchor_template_id = ${templateIds.get(a.anchor) as number} where workspace_id = ${ws} and id = ${a.id}`,
      );
    await normalisePositions(tx, ws, pipe.id);
  }
  for (const c of doc.calendar) {
    await tx.query(sql`insert into calendar_days (workspace_id, day, kind, note) values (${ws}, ${c.day}::date, ${c.kind}, ${c.note})
                       on conflict (workspace_id, day) do update set kind = excluded.kind, note = excluded.note`);
    report.calendar_days++;
  }
  report.rules = await importRules(tx, ws, doc.rules, now);
  return report;
}

type FieldDoc = z.infer<typeof fieldDoc>;
type BlockDoc = z.infer<typeof blockList>[number];
const fieldsOf = (doc: ConfigDoc, object: CardObject): FieldDoc[] => (object === 'deal' ? doc.deal_fields : (doc.fields?.[object] ?? []));
const fieldsPath = (object: CardObject) => (object === 'deal' ? 'deal_fields' : `fields.${object}`);

/**
 * The custom fields and blocks of every card: fields in the order the card shows them (blocks in
 * order, each block's fields in order, then the fields in no block), blocks with their keys.
 */
async function exportCards(tx: Queryable, ws: number) {
  const blockRows = await tx.query<{ id: number; object_type: CardObject; name_ru: string; name_en: string; pinned: boolean }>(
    sql`select id, object_type, name_ru, name_en, pinned from field_blocks where workspace_id = ${ws} order by position, id`,
  );
  const order = new Map(blockRows.map((b, i) => [b.id, i]));
  const fieldRows = await tx.query<FieldDoc & { object_type: CardObject; block_id: number | null }>(
    sql`select object_type, key, label_ru, label_en, type, choices, block_id from custom_fields where workspace_id = ${ws} order by position, id`,
  );
  const rank = (f: { block_id: number | null }) => (f.block_id === null ? blockRows.length : (order.get(f.block_id) ?? blockRows.length));
  const sorted = fieldRows.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i);
  const fields = Object.fromEntries(CARD_OBJECTS.map((o) => [o, [] as FieldDoc[]])) as Record<CardObject, FieldDoc[]>;
  for (const { f } of sorted)
    fields[f.object_type].push({ key: f.key, label_ru: f.label_ru, label_en: f.label_en, type: f.type, choices: f.choices });
  const blocks = Object.fromEntries(CARD_OBJECTS.map((o) => [o, [] as BlockDoc[]])) as Record<CardObject, BlockDoc[]>;
  for (const b of blockRows)
    blocks[b.object_type].push({
      name_ru: b.name_ru,
      name_en: b.name_en,
      pinned: b.pinned,
      fields: sorted.filter(({ f }) => f.block_id === b.id).map(({ f }) => f.key),
    });
  return { fields, blocks };
}

/** The cards' part of a document: each field's choices fit its type, keys once, blocks name fields of their object once. */
function checkCardsDoc(doc: ConfigDoc) {
  const issues = [];
  for (const object of CARD_OBJECTS) {
    const at = fieldsPath(object);
    const keys = new Set<string>();
    for (const [i, f] of fieldsOf(doc, object).entries()) {
      if (keys.has(f.key))
        issues.push(fieldIssue(`${at}.${i}.key`, `key "${f.key}" is used twice`, `ключ «${f.key}» повторяется`, 'duplicate'));
      keys.add(f.key);
      issues.push(...checkFieldChoices(f.type, f.choices, `${at}.${i}.choices`));
    }
    const placed = new Set<string>();
    const names = new Set<string>();
    for (const [bi, b] of (doc.blocks?.[object] ?? []).entries()) {
      const bat = `blocks.${object}.${bi}`;
      if (names.has(b.name_ru.toLowerCase()))
        issues.push(fieldIssue(`${bat}.name_ru`, `block "${b.name_ru}" is listed twice`, `блок «${b.name_ru}» указан дважды`, 'duplicate'));
      names.add(b.name_ru.toLowerCase());
      for (const [fi, k] of b.fields.entries()) {
        if (!keys.has(k))
          issues.push(fieldIssue(`${bat}.fields.${fi}`, `no field "${k}" in ${at}`, `нет поля «${k}» в ${at}`, 'not_found'));
        else if (placed.has(k))
          issues.push(fieldIssue(`${bat}.fields.${fi}`, `field "${k}" is in two blocks`, `поле «${k}» стоит в двух блоках`, 'duplicate'));
        placed.add(k);
      }
    }
  }
  return issues;
}

/**
 * One card's fields and (when the document has them) blocks: fields merged by key (a type never
 * changes), blocks by Russian name; a block the document leaves out is removed and its fields stay
 * in no block; fields take their places as the document lists them. Only rows that differ are
 * written (and get a new version), so importing a workspace's own export changes nothing.
 */
async function importCard(tx: Queryable, ws: number, doc: ConfigDoc, object: CardObject, now: Date): Promise<number> {
  const list = fieldsOf(doc, object);
  const layout = doc.blocks?.[object];
  const old = new Map(
    (
      await tx.query<{ key: string; type: string }>(
        sql`select key, type from custom_fields where workspace_id = ${ws} and object_type = ${object}`,
      )
    ).map((f) => [f.key, f.type]),
  );
  for (const [i, f] of list.entries())
    if (old.has(f.key) && old.get(f.key) !== f.type)
      throw validationError([
        fieldIssue(
          `${fieldsPath(object)}.${i}.type`,
          `field "${f.key}" exists here as ${old.get(f.key)}; a type cannot change`,
          `поле «${f.key}» уже есть с типом ${old.get(f.key)}; тип не меняется`,
        ),
      ]);
  // Where each field goes: its block (by name, when the document lays the card out) and place.
  const blockOf = new Map<string, string>();
  for (const b of layout ?? []) for (const k of b.fields) blockOf.set(k, b.name_ru.toLowerCase());
  const blockIds = new Map<string, number>();
  if (layout) {
    const existing = await tx.query<{ id: number; name_ru: string }>(
      sql`select id, name_ru from field_blocks where workspace_id = ${ws} and object_type = ${object}`,
    );
    const byName = new Map(existing.map((b) => [b.name_ru.toLowerCase(), Number(b.id)]));
    for (const [i, b] of layout.entries()) {
      let id = byName.get(b.name_ru.toLowerCase());
      if (id === undefined) {
        const [row] = await tx.query<{ id: number }>(sql`
          insert into field_blocks (workspace_id, object_type, name_ru, name_en, position, pinned, created_at, updated_at)
          values (${ws}, ${object}, ${b.name_ru}, ${b.name_en}, ${i + 1}, ${b.pinned}, ${now}, ${now}) returning id`);
        id = Number(row.id);
      } else
        await tx.query(sql`
          update field_blocks set name_ru = ${b.name_ru}, name_en = ${b.name_en}, position = ${i + 1}, pinned = ${b.pinned}, version = version + 1, updated_at = ${now}
           where workspace_id = ${ws} and id = ${id} and (name_ru, name_en, position, pinned) is distinct from (${b.name_ru}, ${b.name_en}, ${i + 1}, ${b.pinned})`);
      blockIds.set(b.name_ru.toLowerCase(), id);
    }
  }
  const positions = new Map<string, number>();
  let created = 0;
  for (const f of list) {
    const group = blockOf.get(f.key) ?? '';
    const position = (positions.get(group) ?? 0) + 1;
    positions.set(group, position);
    const choices = JSON.stringify(f.choices);
    if (!old.has(f.key)) {
      created++;
      const block = layout ? (blockIds.get(group) ?? null) : null;
      await tx.query(sql`
        insert into custom_fields (workspace_id, object_type, key, label_ru, label_en, type, choices, block_id, position, created_at, updated_at)
        values (${ws}, ${object}, ${f.key}, ${f.label_ru}, ${f.label_en}, ${f.type}, ${choices}::jsonb, ${block}::int8, ${position}, ${now}, ${now})`);
    } else if (layout) {
      const block = blockIds.get(group) ?? null;
      await tx.query(sql`
        update custom_fields set label_ru = ${f.label_ru}, label_en = ${f.label_en}, choices = ${choices}::jsonb, block_id = ${block}::int8, position = ${position},
               version = version + 1, updated_at = ${now}
         where workspace_id = ${ws} and object_type = ${object} and key = ${f.key}
           and (label_ru, label_en, choices, block_id, position) is distinct from (${f.label_ru}, ${f.label_en}, ${choices}::jsonb, ${block}::int8, ${position})`);
    } else
      await tx.query(sql`
        update custom_fields set label_ru = ${f.label_ru}, label_en = ${f.label_en}, choices = ${choices}::jsonb, version = version + 1, updated_at = ${now}
         where workspace_id = ${ws} and object_type = ${object} and key = ${f.key}
           and (label_ru, label_en, choices) is distinct from (${f.label_ru}, ${f.label_en}, ${choices}::jsonb)`);
  }
  if (layout) {
    // Fields of this workspace the document does not list stay, after the listed ones, in no block.
    await tx.query(sql`
      update custom_fields set block_id = null, version = version + 1, updated_at = ${now}
       where workspace_id = ${ws} and object_type = ${object} and block_id is not null and not (key = any(${[...blockOf.keys()]}::text[]))`);
    await tx.query(sql`
      delete from field_blocks where workspace_id = ${ws} and object_type = ${object} and not (id = any(${[...blockIds.values()]}::int8[]))`);
  }
  return created;
}
