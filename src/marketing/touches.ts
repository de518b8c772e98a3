import { DateTime } from 'luxon';
import sql from 'sql-template-tag';
import { z } from 'zod';
import type { Queryable } from '../platform/db/types.ts';
import { type FieldIssue, fieldIssue, notFound, validationError } from '../platform/errors.ts';
import { WHAT } from '../platform/resource/fields.ts';
import { findChannel } from './spend.ts';

/**
 * Touches: a contact of a lead with a channel at an instant (kpi.md), kept once per
 * (lead, channel, at), and the journey they make — the lead's touches, then its deal's stages.
 */

export const TOUCH_KINDS = ['email', 'webinar', 'event', 'ad_click', 'call', 'referral', 'visit', 'form', 'other'] as const;

export const touchInputSchema = z.strictObject({
  lead_id: z.number().int().positive(),
  channel: z.union([z.string().min(1).max(200), z.number().int().positive()]).describe('Channel name or id'),
  at: z.string().max(64).describe('ISO 8601 with its offset, e.g. 2025-03-01T10:00:00+03:00'),
  kind: z.enum(TOUCH_KINDS).nullable().optional(),
  note: z.string().trim().max(1000).nullable().optional(),
});
export type TouchInput = z.infer<typeof touchInputSchema>;

export const touchSchema = z.object({
  id: z.number().int(),
  lead_id: z.number().int(),
  channel_id: z.number().int(),
  channel: z.string(),
  at: z.string(),
  kind: z.enum(TOUCH_KINDS).nullable(),
  note: z.string().nullable(),
});

/** An instant that names its zone: `Z` or an offset. A bare local time is refused, never guessed. */
export function parseInstant(raw: string, field: string): { ok: true; at: Date } | { ok: false; issue: FieldIssue } {
  const s = raw.trim();
  if (!/[zZ]$|[+-]\d{2}(:?\d{2})?$/.test(s) || !/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(s)) {
    const readable = DateTime.fromISO(s.replace(' ', 'T')).isValid;
    return {
      ok: false,
      issue: fieldIssue(
        field,
        readable
          ? `"${raw}" has no time zone: add its offset, e.g. ${s.replace(' ', 'T')}+03:00`
          : `"${raw}" is not an instant: use ISO 8601 with its offset, e.g. 2025-03-01T10:00:00+03:00`,
        readable
          ? `у «${raw}» нет часового пояса: добавьте смещение, например ${s.replace(' ', 'T')}+03:00`
          : `«${raw}» — не момент времени: используйте ISO 8601 со смещением, например 2025-03-01T10:00:00+03:00`,
        readable ? 'no_time_zone' : 'invalid',
      ),
    };
  }
  const d = DateTime.fromISO(s.replace(' ', 'T'), { setZone: true });
  if (!d.isValid)
    return {
      ok: false,
      issue: fieldIssue(
        field,
        `"${raw}" is not an instant: use ISO 8601 with its offset, e.g. 2025-03-01T10:00:00+03:00`,
        `«${raw}» — не момент времени: используйте ISO 8601 со смещением, например 2025-03-01T10:00:00+03:00`,
      ),
    };
  return { ok: true, at: d.toJSDate() };
}

/** Records a touch (once per lead, channel and instant: a repeat returns the one there). */
export async function addTouch(
  tx: Queryable,
  ws: number,
  input: TouchInput,
  by: { userId: number | null; at: Date },
): Promise<{ touch: z.infer<typeof touchSchema>; created: boolean }> {
  const issues: FieldIssue[] = [];
  const [lead] = await tx.query<{ id: number }>(sql`select id from leads where workspace_id = ${ws} and id = ${input.lead_id}`);
  if (!lead) throw notFound(WHAT.lead, input.lead_id);
  const ch = await findChannel(tx, ws, input.channel, 'channel');
  const at = parseInstant(input.at, 'at');
  if (!ch.ok) issues.push(ch.issue);
  if (!at.ok) issues.push(at.issue);
  if (issues.length || !ch.ok || !at.ok) throw validationError(issues);
  const inserted = await tx.query<{ id: number }>(sql`
    insert into touches (workspace_id, lead_id, channel_id, at, kind, note, created_by, created_at)
    values (${ws}, ${input.lead_id}, ${ch.id}, ${at.at}, ${input.kind ?? null}, ${input.note ?? null}, ${by.userId}, ${by.at})
    on conflict (workspace_id, lead_id, channel_id, at) do nothing returning id`);
  const [row] = await tx.query<{
    id: number;
    lead_id: number;
    channel_id: number;
    channel: string;
    at: Date;
    kind: null;
    note: string | null;
  }>(sql`
    select t.id, t.lead_id, t.channel_id, c.name as channel, t.at, t.kind, t.note
      from touches t join channels c on c.workspace_id = t.workspace_id and c.id = t.channel_id
     where t.workspace_id = ${ws} and t.lead_id = ${input.lead_id} and t.channel_id = ${ch.id} and t.at = ${at.at}`);
  return {
    touch: { ...row, id: Number(row.id), lead_id: Number(row.lead_id), channel_id: Number(row.channel_id), at: row.at.toISOString() },
    created: inserted.length > 0,
  };
}

export const journeyStepSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('touch'),
    at: z.string(),
    lead_id: z.number().int(),
    channel: z.string(),
    channel_id: z.number().int(),
    kind: z.enum(TOUCH_KINDS).nullable(),
    note: z.string().nullable(),
  }),
  z.object({ type: z.literal('lead'), at: z.string(), lead_id: z.number().int(), title: z.string(), channel: z.string().nullable() }),
  z.object({
    type: z.literal('stage'),
    at: z.string(),
    deal_id: z.number().int(),
    stage: z.string(),
    kind: z.enum(['open', 'won', 'lost']),
  }),
]);
export const journeySchema = z.object({
  deal_id: z.number().int().nullable(),
  lead_ids: z.array(z.number().int()),
  steps: z
    .array(journeyStepSchema)
    .describe('In time order: the leads’ creation and touches before the deal, then the deal’s stage entries'),
});
export type Journey = z.infer<typeof journeySchema>;

/** The journey of a deal (all its leads) or of a lead (and its deal once converted). */
export async function journeyOf(tx: Queryable, ws: number, of: { leadId: number } | { dealId: number }): Promise<Journey> {
  let dealId: number | null;
  let leadIds: number[];
  if ('leadId' in of) {
    const [lead] = await tx.query<{ deal_id: number | null }>(
      sql`select deal_id from leads where workspace_id = ${ws} and id = ${of.leadId}`,
    );
    if (!lead) throw notFound(WHAT.lead, of.leadId);
    dealId = lead.deal_id === null ? null : Number(lead.deal_id);
    leadIds = [of.leadId];
  } else {
    const [deal] = await tx.query<{ id: number }>(sql`select id from deals where workspace_id = ${ws} and id = ${of.dealId}`);
    if (!deal) throw notFound(WHAT.deal, of.dealId);
    dealId = of.dealId;
    leadIds = (
      await tx.query<{ id: number }>(
        sql`select id from leads where workspace_id = ${ws} and deal_id = ${of.dealId} order by created_at, id`,
      )
    ).map((r) => Number(r.id));
  }
  const steps: Journey['steps'] = [];
  if (leadIds.length) {
    const leads = await tx.query<{ id: number; title: string; created_at: Date; channel: string | null }>(sql`
      select l.id, l.title, l.created_at, c.name as channel from leads l
        left join channels c on c.workspace_id = l.workspace_id and c.id = l.channel_id
       where l.workspace_id = ${ws} and l.id = any(${leadIds}::int8[])`);
    for (const l of leads)
      steps.push({ type: 'lead', at: l.created_at.toISOString(), lead_id: Number(l.id), title: l.title, channel: l.channel });
    const touches = await tx.query<{ lead_id: number; at: Date; channel: string; channel_id: number; kind: null; note: string | null }>(sql`
      select t.lead_id, t.at, c.name as channel, t.channel_id, t.kind, t.note from touches t
        join channels c on c.workspace_id = t.workspace_id and c.id = t.channel_id
       where t.workspace_id = ${ws} and t.lead_id = any(${leadIds}::int8[])`);
    for (const t of touches)
      steps.push({
        type: 'touch',
        at: t.at.toISOString(),
        lead_id: Number(t.lead_id),
        channel: t.channel,
        channel_id: Number(t.channel_id),
        kind: t.kind,
        note: t.note,
      });
  }
  if (dealId !== null) {
    const entries = await tx.query<{ entered_at: Date; stage: string; kind: 'open' | 'won' | 'lost' }>(sql`
      select e.entered_at, s.name as stage, s.kind from stage_events e
        join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
       where e.workspace_id = ${ws} and e.deal_id = ${dealId}
       order by e.entered_at, s.position`);
    for (const e of entries) steps.push({ type: 'stage', at: e.entered_at.toISOString(), deal_id: dealId, stage: e.stage, kind: e.kind });
  }
  const order = { lead: 0, touch: 1, stage: 2 } as const;
  steps.sort((a, b) => a.at.localeCompare(b.at) || order[a.type] - order[b.type]);
  return { deal_id: dealId, lead_ids: leadIds, steps };
}
