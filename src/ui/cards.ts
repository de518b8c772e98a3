import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql, { empty, raw } from 'sql-template-tag';
import { z } from 'zod';
import { companies } from '../crm/companies.ts';
import { contacts } from '../crm/contacts.ts';
import { deals } from '../crm/deals.ts';
import { leads } from '../crm/leads.ts';
import { ACCESS, type AccessObject, assertVisible, scopeFor, visibleSql } from '../platform/auth/access.ts';
import type { AppContext } from '../platform/context.ts';
import { prepared, type Queryable, type Row } from '../platform/db/types.ts';
import { getRecord, idSchema, isoTime, type Resource, schemasOf, toApi } from '../platform/resource/resource.ts';
import { errorResponses, idParams, scoped } from '../platform/resource/resource-routes.ts';
import { isFilled, requirementsFor } from '../process/requirements.ts';

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
      type: z.enum(['text', 'number', 'money', 'date', 'choice']),
      choices: z.array(z.object({ value: z.string(), label_ru: z.string(), label_en: z.string() })),
    }),
  ),
});
const timelineItem = z.object({
  kind: z.enum(['stage', 'activity', 'task_created', 'task_done', 'edit']),
  at: isoTime,
  title: z.string(),
  detail: z.string().nullable(),
  user: z.string().nullable(),
  forced: z.boolean().optional(),
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

/** Field edits from the audit log: which fields changed, by whom (values stay in the audit log). */
async function editTimeline(tx: Queryable, ws: number, entity: string, id: number) {
  const rows = await tx.query<{ at: Date; user: string | null; changes: Record<string, unknown> }>(
    prepared(sql`
    select a.at, u.name as user, a.changes
      from audit_log a left join users u on u.workspace_id = a.workspace_id and u.id = a.user_id
     where a.workspace_id = ${ws} and a.entity = ${entity} and a.entity_id = ${id} and a.action = 'update'
     order by a.at desc limit 100`),
  );
  return rows.map((r) => ({
    kind: 'edit' as const,
    at: r.at.toISOString(),
    title: Object.keys(r.changes).sort().join(','),
    detail: null,
    user: r.user,
  }));
}

async function blocksOf(tx: Queryable, ws: number, object: string) {
  const bs = await tx.query<{ id: number; name_ru: string; name_en: string; pinned: boolean }>(
    prepared(
      sql`select id, name_ru, name_en, pinned from field_blocks where workspace_id = ${ws} and object_type = ${object} order by pinned desc, position, id`,
    ),
  );
  const fs = await tx.query<{ key: string; label_ru: string; label_en: string; type: 'text'; choices: []; block_id: number | null }>(
    prepared(
      sql`select key, label_ru, label_en, type, choices, block_id from custom_fields where workspace_id = ${ws} and object_type = ${object} order by position, id`,
    ),
  );
  const out = bs.map((b) => ({ ...b, fields: fs.filter((f) => f.block_id === b.id).map(({ block_id: _b, ...f }) => f) }));
  const loose = fs.filter((f) => f.block_id === null || !bs.some((b) => b.id === f.block_id));
  if (loose.length)
    out.push({
      id: null as unknown as number,
      name_ru: 'Прочее',
      name_en: 'Other',
      pinned: false,
      fields: loose.map(({ block_id: _b, ...f }) => f),
    });
  return out;
}

async function activityTimeline(tx: Queryable, ws: number, column: string, id: number) {
  const rows = await tx.query<{
    at: Date;
    type: string;
    outcome: string | null;
    subject: string | null;
    notes: string | null;
    owner: string | null;
  }>(
    prepared(sql`
    select a.at, a.type, a.outcome, a.subject, a.notes, u.name as owner
      from activities a left join users u on u.workspace_id = a.workspace_id and u.id = a.owner_id
     where a.workspace_id = ${ws} and ${raw(`a.${column}`)} = ${id} order by a.at desc limit 200`),
  );
  return rows.map((r) => ({
    kind: 'activity' as const,
    at: r.at.toISOString(),
    title: `${r.type}${r.outcome ? `:${r.outcome}` : ''}`,
    detail: [r.subject, r.notes].filter(Boolean).join(' — ') || null,
    user: r.owner,
  }));
}

/** The names behind a record's references, in one query. */
async function names(tx: Queryable, ws: number, row: Row) {
  const id = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const [r] = await tx.query<Record<'company' | 'contact' | 'owner' | 'segment' | 'channel' | 'lead', string | null>>(
    prepared(sql`select (select name from companies where workspace_id = ${ws} and id = ${id(row.company_id)}::int8) as company,
               (select name from contacts where workspace_id = ${ws} and id = ${id(row.contact_id)}::int8) as contact,
               (select name from users where workspace_id = ${ws} and id = ${id(row.owner_id)}::int8) as owner,
               (select name from segments where workspace_id = ${ws} and id = ${id(row.segment_id)}::int8) as segment,
               (select name from channels where workspace_id = ${ws} and id = ${id(row.channel_id)}::int8) as channel,
               (select title from leads where workspace_id = ${ws} and id = ${id(row.lead_id)}::int8) as lead`),
  );
  return r;
}

const namesSchema = z.object({
  company: z.string().nullable(),
  contact: z.string().nullable(),
  owner: z.string().nullable(),
  segment: z.string().nullable(),
  channel: z.string().nullable(),
  lead: z.string().nullable(),
});

export function registerCardRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const requirement = z.object({ field: z.string(), label_ru: z.string(), label_en: z.string(), filled: z.boolean() });
  zapp.get(
    '/api/v1/deals/:id/card',
    {
      schema: {
        tags: ['cards'],
        summary: 'Everything the deal card shows: fields in blocks, stage guidance and requirements, tasks, timeline',
        params: idParams,
        response: {
          200: z.object({
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
          }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const ws = p.workspaceId;
        await assertVisible(tx, ws, 'deals', req.params.id, await scopeFor(tx, p, 'deals', 'read'), deals.what);
        const deal = await getRecord(tx, ws, deals, req.params.id);
        const stages = await tx.query<{
          id: number;
          name: string;
          kind: string;
          position: number;
          guidance_ru: string | null;
          guidance_en: string | null;
        }>(
          prepared(
            sql`select id, name, kind, position, guidance_ru, guidance_en from stages where workspace_id = ${ws} and pipeline_id = ${deal.pipeline_id as number} order by position`,
          ),
        );
        const [pipe] = await tx.query<{ id: number; name: string }>(
          prepared(sql`select id, name from pipelines where workspace_id = ${ws} and id = ${deal.pipeline_id as number}`),
        );
        const stage = stages.find((s) => s.id === deal.stage_id) ?? stages[0];
        const next = stage.kind === 'open' ? stages.find((s) => s.kind === 'open' && s.position > stage.position) : undefined;
        const withFilled = async (stageId: number) =>
          (await requirementsFor(tx, ws, stageId, (deal.segment_id as number | null) ?? null)).map((r) => ({
            ...r,
            filled: isFilled(deal, r.field),
          }));
        const tasks = await tx.query<Row>(
          prepared(sql`
          select t.id, t.title, t.type, t.status, t.due_at, t.done_at, u.name as owner, t.version, t.template_id is not null as playbook
            from tasks t left join users u on u.workspace_id = t.workspace_id and u.id = t.owner_id
           where t.workspace_id = ${ws} and t.deal_id = ${req.params.id}
           order by (t.status = 'open') desc, t.due_at nulls last, t.id limit 200`),
        );
        const moves = await tx.query<{ at: Date; stage: string; user: string | null; reason: string | null; forced: boolean }>(
          prepared(sql`
          select e.entered_at as at, s.name as stage, u.name as user, e.reason, e.forced
            from stage_events e join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
            left join users u on u.workspace_id = e.workspace_id and u.id = e.user_id
           where e.workspace_id = ${ws} and e.deal_id = ${req.params.id}`),
        );
        const taskEvents = tasks.flatMap((t) => [
          ...(t.done_at
            ? [
                {
                  kind: 'task_done' as const,
                  at: (t.done_at as Date).toISOString(),
                  title: t.title as string,
                  detail: null,
                  user: (t.owner as string | null) ?? null,
                },
              ]
            : []),
        ]);
        const timeline = [
          ...moves.map((m) => ({
            kind: 'stage' as const,
            at: m.at.toISOString(),
            title: m.stage,
            detail: m.reason,
            user: m.user,
            forced: m.forced,
          })),
          ...(await activityTimeline(tx, ws, 'deal_id', req.params.id)),
          ...taskEvents,
          ...(await editTimeline(tx, ws, 'deals', req.params.id)),
        ].sort((a, b) => b.at.localeCompare(a.at));
        return {
          deal: toApi(deals, deal),
          names: await names(tx, ws, deal),
          pipeline: { ...pipe, stages: stages.map(({ guidance_ru: _r, guidance_en: _e, ...s }) => s) },
          stage: { id: stage.id, name: stage.name, kind: stage.kind, guidance_ru: stage.guidance_ru, guidance_en: stage.guidance_en },
          requirements: {
            current: await withFilled(stage.id),
            next: next ? await withFilled(next.id) : [],
            next_stage: next?.name ?? null,
          },
          blocks: await blocksOf(tx, ws, 'deal'),
          tasks: tasks.map((t) => ({
            id: t.id as number,
            title: t.title as string,
            type: t.type as string,
            status: t.status as string,
            due_at: (t.due_at as Date | null)?.toISOString() ?? null,
            done_at: (t.done_at as Date | null)?.toISOString() ?? null,
            owner: (t.owner as string | null) ?? null,
            version: t.version as number,
            playbook: t.playbook as boolean,
          })),
          timeline,
        };
      }),
  );

  const related = z.object({ kind: z.enum(['deal', 'contact', 'lead']), id: idSchema, title: z.string(), detail: z.string().nullable() });
  for (const [r, object, column] of [
    [companies, 'company', 'company_id'],
    [contacts, 'contact', 'contact_id'],
    [leads, 'lead', 'lead_id'],
  ] as [Resource, string, string][]) {
    zapp.get(
      `/api/v1/${r.path}/:id/card`,
      {
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
          const rel: z.infer<typeof related>[] = [];
          // Related deals and contacts: only those the caller may see.
          const dealScope = ACCESS.deals[p.role][0] === 'none' ? null : await scopeFor(tx, p, 'deals', 'read');
          const dealRows =
            ACCESS.deals[p.role][0] === 'none'
              ? []
              : await tx.query<{ id: number; title: string; status: string; amount_minor: number }>(
                  prepared(sql`select id, title, status, amount_minor from deals where workspace_id = ${ws} and ${raw(column)} = ${req.params.id}
                      ${dealScope ? sql`and ${visibleSql('deals', dealScope)}` : empty} order by created_at desc limit 100`),
                );
          rel.push(...dealRows.map((d) => ({ kind: 'deal' as const, id: d.id, title: d.title, detail: d.status })));
          if (object === 'company') {
            const contactScope = await scopeFor(tx, p, 'contacts', 'read');
            const cs = await tx.query<{ id: number; name: string; position: string | null }>(
              prepared(sql`select id, name, position from contacts where workspace_id = ${ws} and company_id = ${req.params.id}
                  ${contactScope ? sql`and ${visibleSql('contacts', contactScope)}` : empty} order by name limit 100`),
            );
            rel.push(...cs.map((c) => ({ kind: 'contact' as const, id: c.id, title: c.name, detail: c.position })));
          }
          return {
            record: toApi(r, rec),
            names: await names(tx, ws, rec),
            blocks: await blocksOf(tx, ws, object),
            related: rel,
            timeline: [
              ...(await activityTimeline(tx, ws, column, req.params.id)),
              ...(await editTimeline(tx, ws, r.table, req.params.id)),
            ].sort((a, b) => b.at.localeCompare(a.at)),
          };
        }),
    );
  }
}
