import { z } from 'zod';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { readTime, ref, text, WHAT } from '../platform/resource/fields.ts';
import { isoTime, type Resource } from '../platform/resource/resource.ts';

/**
 * `note`: a note on a card's timeline (its text in `notes`, may hold `@Имя Фамилия` mentions) —
 * not a contact with the client, so no report counts it as one (none counts activities today).
 */
export const ACTIVITY_TYPES = ['call', 'meeting', 'demo', 'email', 'proposal', 'note'] as const;
export const ACTIVITY_OUTCOMES = ['accepted', 'declined', 'held', 'no_show', 'rescheduled', 'no_answer', 'sent', 'replied'] as const;

export const activities: Resource = {
  path: 'activities',
  table: 'activities',
  access: 'activities',
  what: WHAT.activity,
  defaultSort: '-at',
  fields: {
    type: {
      out: z.enum(ACTIVITY_TYPES),
      in: z.enum(ACTIVITY_TYPES),
      required: true,
      filter: 'eq',
      description: 'call, meeting, demo, e-mail, proposal sent, or a note (text in `notes`, no outcome)',
    },
    outcome: {
      out: z.enum(ACTIVITY_OUTCOMES).nullable(),
      in: z.enum(ACTIVITY_OUTCOMES).nullable(),
      filter: 'eq',
      description: 'accepted / declined (an invitation), held / no_show (a meeting), no_answer, sent, replied …',
    },
    at: {
      out: isoTime,
      in: isoTime,
      required: true,
      filter: 'time',
      sort: true,
    },
    subject: text(300, { filter: 'text' }),
    notes: text(20_000),
    deal_id: ref('deals', WHAT.deal),
    company_id: ref('companies', WHAT.company),
    contact_id: ref('contacts', WHAT.contact),
    lead_id: ref('leads', WHAT.lead),
    owner_id: ref('users', WHAT.user, {
      description: 'Defaults to the caller',
    }),
    created_at: readTime(),
    updated_at: readTime(),
  },
  beforeWrite: async ({ principal, values, existing }) => {
    if (!existing && values.owner_id === undefined) values.owner_id = principal.userId;
    const type = values.type ?? existing?.type;
    if (type === 'note') {
      const notes = values.notes !== undefined ? values.notes : existing?.notes;
      if (!(typeof notes === 'string' && notes.trim()))
        throw validationError([fieldIssue('notes', 'a note needs its text', 'напишите текст заметки', 'required')]);
      if ((values.outcome ?? existing?.outcome ?? null) !== null)
        throw validationError([fieldIssue('outcome', 'a note has no outcome', 'у заметки нет результата')]);
    }
  },
};
