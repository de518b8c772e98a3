import { z } from 'zod';
import { ownMessage } from '../platform/http/validation.ts';
import { readTime, ref, requiredText, sharedWith, text, WHAT } from '../platform/resource/fields.ts';
import { archiveFields, type Resource } from '../platform/resource/resource.ts';

export const companies: Resource = {
  path: 'companies',
  table: 'companies',
  access: 'companies',
  what: WHAT.company,
  custom: 'company',
  archivable: true,
  defaultSort: 'name',
  fields: {
    shared_with: sharedWith,
    external_id: text(200, { filter: 'eq', updatable: false }),
    name: requiredText(300, { filter: 'text', sort: true }),
    inn: {
      out: z.string().nullable(),
      in: z
        .string()
        .regex(
          /^\d{10}(\d{2})?$/,
          ownMessage({ en: 'an INN is 10 digits (a company) or 12 (a sole trader)', ru: 'ИНН — 10 цифр у организации или 12 у ИП' }),
        )
        .nullable(),
      filter: 'eq',
      description: 'Russian taxpayer number (ИНН), 10 digits for companies, 12 for sole traders',
    },
    industry: text(200, { filter: 'eq', sort: true }),
    website: text(500),
    phone: text(50, { filter: 'text' }),
    city: text(200, { filter: 'eq', sort: true }),
    employees: {
      out: z.number().int().nullable(),
      in: z.number().int().min(0).max(10_000_000).nullable(),
      filter: 'range',
      sort: true,
    },
    owner_id: ref('users', WHAT.user),
    created_at: readTime(),
    ...archiveFields,
    updated_at: readTime(),
  },
};
