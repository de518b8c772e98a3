import { z } from 'zod';
import { readTime, ref, requiredText, sharedWith, text, WHAT } from '../platform/resource/fields.ts';
import { archiveFields, type Resource } from '../platform/resource/resource.ts';

export const contacts: Resource = {
  path: 'contacts',
  table: 'contacts',
  access: 'contacts',
  what: WHAT.contact,
  custom: 'contact',
  archivable: true,
  defaultSort: 'name',
  fields: {
    shared_with: sharedWith,
    name: requiredText(300, { filter: 'text', sort: true }),
    company_id: ref('companies', WHAT.company),
    position: text(200, { filter: 'text' }),
    email: {
      out: z.string().nullable(),
      in: z.email().max(320).nullable(),
      filter: 'text',
    },
    phone: text(50, { filter: 'text' }),
    is_decision_maker: {
      out: z.boolean(),
      in: z.boolean(),
      filter: 'bool',
      description: 'ЛПР: the decision maker',
    },
    owner_id: ref('users', WHAT.user),
    created_at: readTime(),
    ...archiveFields,
    updated_at: readTime(),
  },
};
