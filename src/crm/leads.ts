import { z } from 'zod';
import { oneOf, readTime, ref, requiredText, sharedWith, text, WHAT } from '../platform/resource/fields.ts';
import { archiveFields, type Resource } from '../platform/resource/resource.ts';

export const LEAD_STATUSES = ['new', 'working', 'qualified', 'disqualified', 'converted'] as const;

export const leads: Resource = {
  path: 'leads',
  table: 'leads',
  access: 'leads',
  what: WHAT.lead,
  custom: 'lead',
  archivable: true,
  defaultSort: '-created_at',
  fields: {
    shared_with: sharedWith,
    title: requiredText(300, { filter: 'text', sort: true }),
    company_name: text(300, { filter: 'text' }),
    contact_name: text(300, { filter: 'text' }),
    email: {
      out: z.string().nullable(),
      in: z.email().max(320).nullable(),
      filter: 'text',
    },
    phone: text(50, { filter: 'text' }),
    channel_id: ref('channels', WHAT.channel),
    owner_id: ref('users', WHAT.user),
    status: oneOf(LEAD_STATUSES, { sort: true }),
    fit_score: {
      out: z.number().int().nullable(),
      in: z.number().int().min(0).max(100).nullable(),
      filter: 'range',
      sort: true,
      description: 'Fit to the ideal customer profile, 0–100',
    },
    company_id: ref('companies', WHAT.company),
    contact_id: ref('contacts', WHAT.contact),
    deal_id: ref('deals', WHAT.deal),
    created_at: readTime(),
    ...archiveFields,
    updated_at: readTime(),
  },
};
