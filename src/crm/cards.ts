import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql, { empty, join, raw, type Sql } from 'sql-template-tag';
import { z } from 'zod';
import { ACCESS, type AccessObject, assertVisible, type Scope, scopeFor, visibleSql } from '../platform/auth/access.ts';
import type { Principal } from '../platform/auth/roles.ts';
import { type Db, prepared, type Queryable, type Row } from '../platform/db/types.ts';
import { readInWorkspace } from '../platform/db/workspace-scope.ts';
import { notFound } from '../platform/errors.ts';
import { jsonWriter, sendJson } from '../platform/http/serializer.ts';
import type { ServerContext } from '../platform/http/server.ts';
import { CUSTOM_FIELD_TYPES } from '../platform/resource/custom-values.ts';
import { apiJsonSql, getRecord, idSchema, isoTime, type Resource, schemasOf, toApi, utcSql } from '../platform/resource/resource.ts';
import { errorResponses, idParams, principalOf, scoped, scopedRead } from '../platform/resource/resource-routes.ts';
import { appliesTo, definitionOf, isFilled, type RequirementRow, requirementsSql, toRequirement } from '../process/requirements.ts';
import { companies } from './companies.ts';
import { contacts } from './contacts.ts';
import { deals } from './deals.ts';
import { leads } from './leads.ts';

/**
 * Cards: one request with everything a card shows — the record, the names behind
 * its references, its custom fields grouped in the blocks the head of sales laid
 * out (pinned first), and its timeline. The deal card adds the stage's guidance,
 * what the current and the next stage require, and the playbook tasks.
 */

const block = z.object({
  id: idSchema.nullable(),
  name_ru: z.string(),
  name_en: z.string(),
  pinned: z.boolean(),
  fields: z.array(
    z.object({
      key: z.string(),
      label_ru: z.string(),
      label_en: z.string(),
      type: z.enum(CUSTOM_FIELD_TYPES),
      choices: z.array(z.object({ value: z.string(), label_ru: z.string(), label_en: z.string() })),
    }),
  ),
});
const editChange = z.object({
  field: z.string(),
  from: z.unknown(),
  to: z.unknown(),
  from_name: z.string().nullable().optional().describe('The name behind a reference’s old id (owner, company …)'),
  to_name: z.string().nullable().optional(),
});
const timelineItem = z.object({
  kind: z.enum(['stage', 'activity', 'task_created', 'task_done', 'edit']),
  at: isoTime,
  title: z.string(),
  detail: z.string().nullable(),
  user: z.string().nullable(),
  forced: z.boolean().optional(),
  /** An edit's fields, from → to; `archive` / `restore` for the archive. */
  action: z.enum(['update', 'archive', 'restore']).optional(),
  changes: z.array(editChange).optional(),
});
const taskItem = z.object({
  id: idSchema,
  title: z.string(),
  type: z.string(),
  status: z.string(),
  due_at: isoTime.nullable(),
  done_at: isoTime.nullable(),
  owner: z.string().nullable(),
  version: z.number().int(),
  playbook: z.boolean(),
});

/*
 * A card is read in one statement (after the record itself, except the deal card, whose statement
 * reads the deal too): each part (timeline sources, names, blocks…) is a scalar subquery answering
 * JSON, because a round trip per part cost both sides more than the card's own work. Times come
 * out of SQL already as the API writes them (`utcSql`).
 */
const jsonList = (select: Sql, order: string) => sql`(select coalesce(json_agg(x order by ${raw(order)}), '[]'::json) from (${select}) x)`;

/**
 * A part of a card read from rows of its own (tasks, moves, activities, edits): the rows as JSON
 * (with the names `joins` bring), and the same rows' ids and stored versions (`xmin`: the
 * transaction that wrote that version of the row) for the card's stamp, read without the joins, as
 * one text in the part's order. `order` (on the part's own table) ends with a unique column, so
 * that with the same data the part is always the same rows, cut at `limit`.
 */
function cardPart(p: {
  table: string;
  alias: string;
  joins?: Sql;
  where: Sql;
  cols: Sql;
  order: string;
  jsonOrder: string;
  limit?: number;
  /** What else of each row the stamp covers besides its id and version (text that joins can change). */
  stamp?: Sql;
}) {
  const from = raw(`from ${p.table} ${p.alias}`);
  // Its length first: two different lists of rows never give the same text.
  const extra = p.stamp ? sql`, ':', length(${p.stamp}), ':', ${p.stamp}` : empty;
  const tail = raw(` order by ${p.order}${p.limit ? ` limit ${p.limit}` : ''}`);
  // Built when asked: a card seen before needs only the versions, a card read whole the JSON.
  return {
    json: () => jsonList(sql`select ${p.cols} ${from} ${p.joins ?? empty} where ${p.where}${tail}`, p.jsonOrder),
    // In the part's order: the array constructor takes its query's `order by`.
    versions: () =>
      sql`array_to_string(array(select concat(${raw(`${p.alias}.id, ':', ${p.alias}.xmin`)}${extra}) ${from} where ${p.where}${tail}), ',')`,
  };
}

/** The table and name column behind each reference column an edit may change. */
const EDIT_REFS: [string, string, string][] = [
  ['owner_id', 'users', 'name'],
  ['company_id', 'companies', 'name'],
  ['contact_id', 'contacts', 'name'],
  ['segment_id', 'segments', 'name'],
  ['channel_id', 'channels', 'name'],
  ['lead_id', 'leads', 'title'],
  ['deal_id', 'deals', 'title'],
  ['archived_by', 'users', 'name'],
];
/**
 * The name behind reference `id` (an int8 column) of change `c`. The id is cast from the change's
 * JSON in a subquery of its own (`offset 0`: not merged into this one): under row-level security
 * a condition with a cast in it (not leakproof) is not used for an index, and each lookup became a
 * scan of the whole table, planned so dear that PostgreSQL compiled the statement (JIT) on every
 * card — 60–200 ms on the load bench's demo.
 */
const refNameSql = (id: 'from_id' | 'to_id') =>
  raw(
    `case c.key ${EDIT_REFS.map(
      ([col, table, name]) =>
        `when '${col}' then (select ${name} from ${table} t where t.workspace_id = a.workspace_id and t.id = c.${id})`,
    ).join(' ')} end`,
  );
const refIdSql = (end: 'from' | 'to') =>
  raw(`case when e.value->>'${end}' ~ '^[0-9]{1,15}$' then (e.value->>'${end}')::int8 end as ${end}_id`);
/**
 * An edit's changes as a JSON array in field order: field, from → to, and for a reference the
 * names behind its ids (now: a renamed company shows its new name).
 */
const editChangesSql = sql`(select coalesce(json_agg(json_build_object('field', c.key, 'from', c.value->'from', 'to', c.value->'to',
    'from_name', ${refNameSql('from_id')}, 'to_name', ${refNameSql('to_id')}) order by c.key), '[]'::json)
    from (select e.key, e.value, ${refIdSql('from')}, ${refIdSql('to')} from jsonb_each(a.changes) e offset 0) c)`;

/** Field edits from the audit log: which fields changed, from what to what, by whom; archive and restore. */
const editsPart = (ws: number, entity: string, id: number) =>
  cardPart({
    table: 'audit_log',
    alias: 'a',
    joins: sql`left join users u on u.workspace_id = a.workspace_id and u.id = a.user_id`,
    where: sql`a.workspace_id = ${ws} and a.entity = ${entity} and a.entity_id = ${id} and a.action in ('update', 'archive', 'restore')`,
    cols: sql`a.id, ${utcSql('a.at')} as at, u.name as "user", a.action, ${editChangesSql} as changes`,
    order: 'a.at desc, a.id desc',
    limit: 100,
    jsonOrder: 'x.at desc, x.id desc',
    // The names behind the changes' ids: a record renamed that only an edit names changes the card.
    stamp: sql`${editChangesSql}::text`,
  });
type EditChange = z.infer<typeof editChange>;
type EditRow = { at: string; user: string | null; action: 'update' | 'archive' | 'restore'; changes: EditChange[] };
const editItems = (rows: EditRow[]) =>
  rows.map((r) => ({
    kind: 'edit' as const,
    at: r.at,
    title: r.changes.map((c) => c.field).join(','),
    detail: null,
    user: r.user,
    action: r.action,
    changes: r.changes,
  }));

const activitiesPart = (ws: number, column: string, id: number) =>
  cardPart({
    table: 'activities',
    alias: 'a',
    joins: sql`left join users u on u.workspace_id = a.workspace_id and u.id = a.owner_id`,
    where: sql`a.workspace_id = ${ws} and ${raw(`a.${column}`)} = ${id}`,
    cols: sql`a.id, ${utcSql('a.at')} as at, a.type, a.outcome, a.subject, a.notes, u.name as owner`,
    order: 'a.at desc, a.id desc',
    limit: 200,
    jsonOrder: 'x.at desc, x.id desc',
  });
type ActivityRow = { at: string; type: string; outcome: string | null; subject: string | null; notes: string | null; owner: string | null };
const activityItems = (rows: ActivityRow[]) =>
  rows.map((r) => ({
    kind: 'activity' as const,
    at: r.at,
    title: `${r.type}${r.outcome ? `:${r.outcome}` : ''}`,
    detail: [r.subject, r.notes].filter(Boolean).join(' — ') || null,
    user: r.owner,
  }));

/** The custom-field blocks of an object type with their fields (pinned blocks first). */
const blocksJson = (ws: number, object: string) => sql`
  ${jsonList(sql`select id, name_ru, name_en, pinned, position from field_blocks where workspace_id = ${ws} and object_type = ${object}`, 'x.pinned desc, x.position, x.id')} as blocks,
  ${jsonList(
    sql`select key, label_ru, label_en, type, choices, block_id, position, id from custom_fields where workspace_id = ${ws} and object_type = ${object}`,
    'x.position, x.id',
  )} as fields`;
type BlockRow = { id: number; name_ru: string; name_en: string; pinned: boolean };
type FieldRow = { key: string; label_ru: string; label_en: string; type: 'text'; choices: []; block_id: number | null };
function assembleBlocks(bs: BlockRow[], fs: FieldRow[]) {
  const field = ({ key, label_ru, label_en, type, choices }: FieldRow) => ({ key, label_ru, label_en, type, choices });
  const out = bs.map((b) => ({
    id: b.id,
    name_ru: b.name_ru,
    name_en: b.name_en,
    pinned: b.pinned,
    fields: fs.filter((f) => f.block_id === b.id).map(field),
  }));
  const loose = fs.filter((f) => f.block_id === null || !bs.some((b) => b.id === f.block_id));
  if (loose.length)
    out.push({ id: null as unknown as number, name_ru: 'Прочее', name_en: 'Other', pinned: false, fields: loose.map(field) });
  return out;
}

/** The names behind a record's references: name, table, column of the name, reference. */
const NAME_SOURCES = [
  ['company', 'companies', 'name', 'company_id'],
  ['contact', 'contacts', 'name', 'contact_id'],
  ['owner', 'users', 'name', 'owner_id'],
  ['segment', 'segments', 'name', 'segment_id'],
  ['channel', 'channels', 'name', 'channel_id'],
  ['lead', 'leads', 'title', 'lead_id'],
] as const;

/** The reference `col` of a record: its row, or the alias of its row in the statement. */
function reference(row: Row | string, col: string) {
  if (typeof row === 'string') return raw(`${row}.${col}`);
  const v = row[col];
  return v === null || v === undefined ? null : Number(v);
}

/** The names behind a record's references: the record's row, or the alias of its row in the statement. */
function namesSql(ws: number, row: Row | string) {
  return join(
    NAME_SOURCES.map(
      ([as, table, name, col]) =>
        sql`(select ${raw(name)} from ${raw(table)} where workspace_id = ${ws} and id = ${reference(row, col)}::int8) as ${raw(as)}`,
    ),
  );
}

/**
 * The names `namesSql` reads, each with its length first (two different lists of names never give
 * the same text); users' names are all in the deal card's stamp. Names rather than the rows'
 * versions: a company's new phone number changes nothing on its deals' cards.
 */
function namesStampSql(ws: number, row: Row | string) {
  return join(
    NAME_SOURCES.filter(([, table]) => table !== 'users').map(
      ([, table, name, col]) =>
        sql`(select concat(length(${raw(name)}), ':', ${raw(name)}) from ${raw(table)} where workspace_id = ${ws} and id = ${reference(row, col)}::int8)`,
    ),
    `, '|', `,
    'concat(',
    ')',
  );
}
type Names = Record<'company' | 'contact' | 'owner' | 'segment' | 'channel' | 'lead', string | null>;
const pickNames = (r: Names): Names => ({
  company: r.company,
  contact: r.contact,
  owner: r.owner,
  segment: r.segment,
  channel: r.channel,
  lead: r.lead,
});

const namesSchema = z.object({
  company: z.string().nullable(),
  contact: z.string().nullable(),
  owner: z.string().nullable(),
  segment: z.string().nullable(),
  channel: z.string().nullable(),
  lead: z.string().nullable(),
});

const requirement = z.object({ field: z.string(), label_ru: z.string(), label_en: z.string(), filled: z.boolean() });
const dealCard = z.object({
  deal: schemasOf(deals).output,
  names: namesSchema,
  pipeline: z.object({
    id: idSchema,
    name: z.string(),
    stages: z.array(z.object({ id: idSchema, name: z.string(), kind: z.string(), position: z.number().int() })),
  }),
  stage: z.object({
    id: idSchema,
    name: z.string(),
    kind: z.string(),
    guidance_ru: z.string().nullable(),
    guidance_en: z.string().nullable(),
  }),
  requirements: z.object({ current: z.array(requirement), next: z.array(requirement), next_stage: z.string().nullable() }),
  blocks: z.array(block),
  tasks: z.array(taskItem),
  timeline: z.array(timelineItem),
});

/**
 * The deal card's statements. `d` is the deal's row (under the caller's scope) with its stored
 * version. The card's stamp covers everything of the database it shows but its configuration
 * (`PipelineConfig.stamp`): the deal's and each task's, move's, activity's and edit's id and stored
 * version (`xmin`: PostgreSQL gives each insert and update a new one, whoever writes), the names
 * behind the deal's references, and the names of the workspace's users and stages (which the
 * timeline and the tasks show). So an unchanged stamp means an unchanged card, whatever wrote to the
 * database. The parts' rows are read without their joins, and the users and stages whole: cheaper
 * for the database than the card's joins. The stamp travels and is kept as its SHA-256 (a
 * workspace's users alone can make it tens of kilobytes).
 */
export function dealCardSql(ws: number, id: number, scope: Scope | null) {
  const d = sql`with d as (select deals.*, deals.xmin as row_version from deals
                            where workspace_id = ${ws} and id = ${id} ${scope ? sql`and ${visibleSql('deals', scope)}` : empty})`;
  const tasks = cardPart({
    table: 'tasks',
    alias: 't',
    joins: sql`left join users u on u.workspace_id = t.workspace_id and u.id = t.owner_id`,
    where: sql`t.workspace_id = ${ws} and t.deal_id = ${id}`,
    cols: sql`t.id, t.title, t.type, t.status, ${utcSql('t.due_at')} as due_at, ${utcSql('t.done_at')} as done_at, u.name as owner, t.version, t.template_id is not null as playbook`,
    order: "(t.status = 'open') desc, t.due_at nulls last, t.id",
    limit: 200,
    jsonOrder: "(x.status = 'open') desc, x.due_at nulls last, x.id",
  });
  const moves = cardPart({
    table: 'stage_events',
    alias: 'e',
    joins: sql`join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
               left join users u on u.workspace_id = e.workspace_id and u.id = e.user_id`,
    where: sql`e.workspace_id = ${ws} and e.deal_id = ${id}`,
    cols: sql`e.id, ${utcSql('e.entered_at')} as at, s.name as stage, u.name as "user", e.reason, e.forced`,
    order: 'e.entered_at, e.id',
    jsonOrder: 'x.at, x.id',
  });
  const activities = activitiesPart(ws, 'deal_id', id);
  const edits = editsPart(ws, 'deals', id);
  const names = (table: string) =>
    sql`(select string_agg(concat(id, ':', length(name), ':', name), ',' order by id) from ${raw(table)} where workspace_id = ${ws})`;
  // Every part in a fixed place (`concat` takes a null as empty): two different cards never give the same text.
  const parts = [...[tasks, moves, activities, edits].map((p) => p.versions()), names('users'), names('stages'), namesStampSql(ws, 'd')];
  const stamp = () =>
    sql`encode(sha256(convert_to(concat(d.row_version, ${join(
      parts.map((p) => sql`'|', ${p}`),
      ', ',
    )}), 'UTF8')), 'base64')`;
  return {
    /** The deal's pipeline and the card's stamp: what a card kept in the cache is checked against. */
    stamp: () => prepared(sql`${d} select d.pipeline_id, ${stamp()} as stamp from d`),
    /** Everything of the deal's own on the card, with its stamp when the card is to be kept. */
    card: (withStamp: boolean) =>
      prepared(sql`${d}
        select ${apiJsonSql(deals, 'd')} as deal, ${tasks.json()} as tasks, ${moves.json()} as moves,
               ${activities.json()} as activities, ${edits.json()} as edits, ${namesSql(ws, 'd')}${withStamp ? sql`, ${stamp()} as stamp` : empty}
          from d`),
  };
}

/**
 * What the deal card shows of its pipeline — the name, stages, every stage's requirements (of all
 * segments), the blocks and fields of deals: configuration, the same for every deal of the pipeline
 * and rarely changed. `stamp` is a digest of its content: a configuration read again but unchanged
 * keeps the cards made with it.
 */
type PipelineConfig = {
  pipeline: string;
  stages: {
    id: number;
    name: string;
    kind: string;
    position: number;
    guidance_ru: string | null;
    guidance_en: string | null;
    archived: boolean;
  }[];
  requirements: RequirementRow[];
  blocks: ReturnType<typeof assembleBlocks>;
  stamp: string;
};

async function readPipelineConfig(db: Db, ws: number, pid: number): Promise<PipelineConfig> {
  const [c] = await readInWorkspace(db, ws, (q) =>
    q.query<Omit<PipelineConfig, 'blocks' | 'stamp'> & { blocks: BlockRow[]; fields: FieldRow[] }>(
      prepared(sql`
      select (select name from pipelines where workspace_id = ${ws} and id = ${pid}) as pipeline,
             ${jsonList(sql`select id, name, kind, position, guidance_ru, guidance_en, archived_at is not null as archived from stages where workspace_id = ${ws} and pipeline_id = ${pid}`, 'x.position, x.id')} as stages,
             ${jsonList(requirementsSql(ws, pid), 'x.position, x.id')} as requirements,
             ${blocksJson(ws, 'deal')}`),
    ),
  );
  const config = { pipeline: c.pipeline, stages: c.stages, requirements: c.requirements, blocks: assembleBlocks(c.blocks, c.fields) };
  return { ...config, stamp: createHash('sha256').update(JSON.stringify(config)).digest('base64url') };
}

/** The deal's own parts of its card, as `dealCardSql(…).card` reads them. */
type DealCardRow = Names & {
  deal: string;
  tasks: z.infer<typeof taskItem>[];
  moves: { at: string; stage: string; user: string | null; reason: string | null; forced: boolean }[];
  activities: ActivityRow[];
  edits: EditRow[];
  stamp?: string;
};

/** The deal card from the deal's parts and its pipeline's configuration. */
function assembleDealCard(c: DealCardRow, deal: Row, config: PipelineConfig): z.infer<typeof dealCard> {
  // Archived stages are no target: the card offers the stages in use, and the deal's own even if archived.
  const stages = config.stages.filter((s) => !s.archived || s.id === deal.stage_id);
  const stage = stages.find((s) => s.id === deal.stage_id) ?? stages[0];
  const next = stage.kind === 'open' ? stages.find((s) => s.kind === 'open' && !s.archived && s.position > stage.position) : undefined;
  const requirementsOf = (stageId: number) =>
    config.requirements
      .filter((r) => r.stage_id === stageId && appliesTo(r, (deal.segment_id as number | null) ?? null))
      .map((r) => ({ ...toRequirement(r), filled: isFilled(deal, r.field, definitionOf(r)) }));
  const taskEvents = c.tasks.flatMap((t) =>
    t.done_at ? [{ kind: 'task_done' as const, at: t.done_at, title: t.title, detail: null, user: t.owner ?? null }] : [],
  );
  const timeline = [
    ...c.moves.map((m) => ({
      kind: 'stage' as const,
      at: m.at,
      title: m.stage,
      detail: m.reason,
      user: m.user,
      forced: m.forced,
    })),
    ...activityItems(c.activities),
    ...taskEvents,
    ...editItems(c.edits),
  ].sort((a, b) => b.at.localeCompare(a.at));
  return {
    deal: deal as z.infer<typeof dealCard>['deal'],
    names: pickNames(c),
    pipeline: {
      id: deal.pipeline_id as number,
      name: config.pipeline,
      stages: stages.map(({ id, name, kind, position }) => ({ id, name, kind, position })),
    },
    stage: { id: stage.id, name: stage.name, kind: stage.kind, guidance_ru: stage.guidance_ru, guidance_en: stage.guidance_en },
    requirements: {
      current: requirementsOf(stage.id),
      next: next ? requirementsOf(next.id) : [],
      next_stage: next?.name ?? null,
    },
    blocks: config.blocks,
    tasks: c.tasks,
    timeline,
  };
}

/**
 * The deal card. With the card cache (`ctx.caches.cards`), a card seen before costs one small
 * statement — the stamp, read under the caller's scope like the card — instead of reading and
 * writing everything again; any change by any process to the data it shows changes the stamp. Its
 * configuration is kept per workspace like the reports (`ctx.caches.dealConfig`: any write in the
 * workspace through this process drops it; a change in SQL or by another process shows within
 * `reportCacheMs`), for cards read whole and kept alike. An invisible deal answers 404 before any
 * cache is consulted.
 */
function registerDealCardRoute(app: FastifyInstance, ctx: ServerContext) {
  const pipelineConfig = (ws: number, pid: number) =>
    ctx.caches.dealConfig.get(ws, `deal-card:${pid}`, () => readPipelineConfig(ctx.db, ws, pid));
  const writeCard = jsonWriter(dealCard, 'GET /api/v1/deals/:id/card');
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/deals/:id/card',
    {
      config: { etag: true },
      schema: {
        tags: ['cards'],
        summary: 'Everything the deal card shows: fields in blocks, stage guidance and requirements, tasks, timeline',
        params: idParams,
        response: { 200: dealCard, ...errorResponses },
      },
    },
    async (req, reply) => {
      const ws = principalOf(req).workspaceId;
      const id = req.params.id;
      const cards = ctx.caches.cards;
      let seen: { pipeline_id: number; config: PipelineConfig } | undefined;
      if (cards) {
        const [s] = await scopedRead(ctx, req, 'deals', (q, scope) =>
          q.query<{ pipeline_id: number; stamp: string }>(dealCardSql(ws, id, scope).stamp()),
        );
        if (!s) throw notFound(deals.what, id);
        seen = { pipeline_id: s.pipeline_id, config: await pipelineConfig(ws, s.pipeline_id) };
        const stamp = `${seen.config.stamp}:${s.stamp}`;
        const hit = cards.card({ ws, id, stamp });
        if (hit !== undefined) return sendJson(reply.header('etag', ctx.caches.etag(seen.config.stamp, s.stamp)), dealCard, hit);
      }
      const c = await scopedRead(ctx, req, 'deals', async (q, scope) => {
        const rows = await q.query<DealCardRow>(dealCardSql(ws, id, scope).card(cards !== undefined));
        if (rows.length === 0) throw notFound(deals.what, id);
        return rows[0];
      });
      const deal = JSON.parse(c.deal) as Row;
      const pid = deal.pipeline_id as number;
      const config = seen?.pipeline_id === pid ? seen.config : await pipelineConfig(ws, pid);
      const json = writeCard(assembleDealCard(c, deal, config));
      if (!cards || c.stamp === undefined) return sendJson(reply, dealCard, Buffer.from(json));
      const stamp = `${config.stamp}:${c.stamp}`;
      return sendJson(reply.header('etag', ctx.caches.etag(config.stamp, c.stamp)), dealCard, cards.keepCard({ ws, id, stamp }, json));
    },
  );
}

const related = z.object({ kind: z.enum(['deal', 'contact', 'lead']), id: idSchema, title: z.string(), detail: z.string().nullable() });

/** The records related to a company's, contact's or lead's card that the caller may see: deals, and a company's contacts. */
async function relatedRecords(tx: Queryable, p: Principal, object: string, column: string, id: number) {
  const ws = p.workspaceId;
  const rel: z.infer<typeof related>[] = [];
  if (ACCESS.deals[p.role][0] !== 'none') {
    const dealScope = await scopeFor(tx, p, 'deals', 'read');
    const dealRows = await tx.query<{ id: number; title: string; status: string; amount_minor: number }>(
      prepared(sql`select id, title, status, amount_minor from deals where workspace_id = ${ws} and ${raw(column)} = ${id}
          ${dealScope ? sql`and ${visibleSql('deals', dealScope)}` : empty} order by created_at desc limit 100`),
    );
    rel.push(...dealRows.map((d) => ({ kind: 'deal' as const, id: d.id, title: d.title, detail: d.status })));
  }
  if (object === 'company') {
    const contactScope = await scopeFor(tx, p, 'contacts', 'read');
    const cs = await tx.query<{ id: number; name: string; position: string | null }>(
      prepared(sql`select id, name, position from contacts where workspace_id = ${ws} and company_id = ${id}
          ${contactScope ? sql`and ${visibleSql('contacts', contactScope)}` : empty} order by name limit 100`),
    );
    rel.push(...cs.map((c) => ({ kind: 'contact' as const, id: c.id, title: c.name, detail: c.position })));
  }
  return rel;
}

/** The company, contact and lead cards: the record, names, blocks, related records, timeline. */
function registerRecordCardRoutes(app: FastifyInstance, ctx: ServerContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  for (const [r, object, column] of [
    [companies, 'company', 'company_id'],
    [contacts, 'contact', 'contact_id'],
    [leads, 'lead', 'lead_id'],
  ] as [Resource, string, string][]) {
    zapp.get(
      `/api/v1/${r.path}/:id/card`,
      {
        config: { etag: true },
        schema: {
          tags: ['cards'],
          summary: `Everything the ${object} card shows: fields in blocks, related records, timeline`,
          params: idParams,
          response: {
            200: z.object({
              record: schemasOf(r).output,
              names: namesSchema,
              blocks: z.array(block),
              related: z.array(related),
              timeline: z.array(timelineItem),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) =>
        scoped(ctx, req, async (tx, p) => {
          const ws = p.workspaceId;
          await assertVisible(tx, ws, r.table, req.params.id, await scopeFor(tx, p, r.access as AccessObject, 'read'), r.what);
          const rec = await getRecord(tx, ws, r, req.params.id);
          const rel = await relatedRecords(tx, p, object, column, req.params.id);
          const [c] = await tx.query<Names & { activities: ActivityRow[]; edits: EditRow[]; blocks: BlockRow[]; fields: FieldRow[] }>(
            prepared(sql`select ${namesSql(ws, rec)}, ${blocksJson(ws, object)},
                                ${activitiesPart(ws, column, req.params.id).json()} as activities,
                                ${editsPart(ws, r.table, req.params.id).json()} as edits`),
          );
          return {
            record: toApi(r, rec),
            names: pickNames(c),
            blocks: assembleBlocks(c.blocks, c.fields),
            related: rel,
            timeline: [...activityItems(c.activities), ...editItems(c.edits)].sort((a, b) => b.at.localeCompare(a.at)),
          };
        }),
    );
  }
}

export function registerCardRoutes(app: FastifyInstance, ctx: ServerContext) {
  registerDealCardRoute(app, ctx);
  registerRecordCardRoutes(app, ctx);
}
