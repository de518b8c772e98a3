import { z } from 'zod';
import { readTime, ref, text, WHAT } from '../platform/resource/fields.ts';
import { isoTime, type Resource } from '../platform/resource/resource.ts';

export const ACTIVITY_TYPES = ['call', 'meeting', 'demo', 'email', 'proposal'] as const;
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
      description: 'call, meeting, demo, e-mail or proposal sent',
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
  },
};
