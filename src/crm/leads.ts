import sql from 'sql-template-tag';
import { z } from 'zod';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { oneOf, readTime, readTimeOrNull, ref, requiredText, sharedWith, text, WHAT } from '../platform/resource/fields.ts';
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
  beforeWrite: async ({ tx, ctx, principal, values, existing }) => {
    // A link to a deal is a conversion: when it was made is kept, a link removed forgets it.
    if (values.deal_id !== undefined && values.deal_id !== (existing?.deal_id ?? null))
      values.converted_at = values.deal_id === null ? null : ctx.clock.now();
    const status = values.status ?? existing?.status;
    const reason = values.disqualify_reason_id !== undefined ? values.disqualify_reason_id : (existing?.disqualify_reason_id ?? null);
    if (status !== 'disqualified') {
      if (reason !== null) values.disqualify_reason_id = null;
      return;
    }
    if (reason !== null) return;
    // Disqualified: why, once the workspace keeps a list of reasons.
    const [r] = await tx.query<{ n: number }>(
      sql`select count(*)::int as n from lead_disqualify_reasons where workspace_id = ${principal.workspaceId} and active`,
    );
    if (r.n > 0)
      throw validationError([
        fieldIssue(
          'disqualify_reason_id',
          'say why the lead is disqualified: pick a reason',
          'укажите, почему лид дисквалифицирован: выберите причину',
          'required',
        ),
      ]);
  },
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
    industry: text(200, { filter: 'text' }),
    employees: {
      out: z.number().int().nullable(),
      in: z.number().int().min(0).max(10_000_000).nullable(),
      filter: 'range',
      sort: true,
      description: 'Employees of the lead’s company (an ICP profile field)',
    },
    region: text(200, { filter: 'text' }),
    campaign: text(300, { filter: 'text' }),
    utm_source: text(300, { filter: 'text' }),
    utm_medium: text(300, { filter: 'text' }),
    utm_campaign: text(300, { filter: 'text' }),
    external_id: text(200, { description: 'The lead’s id in the system it came from (a bundle’s `lead_id`)' }),
    disqualify_reason_id: ref('lead_disqualify_reasons', WHAT.disqualifyReason, {
      description: 'Why the lead was disqualified (GET /api/v1/lead-disqualify-reasons); required with status `disqualified`',
    }),
    fit_score: {
      out: z.number().int().nullable(),
      in: z.number().int().min(-10_000).max(10_000).nullable(),
      filter: 'range',
      sort: true,
      description:
        'Fit to the ideal customer profile: the sum of the points of the ICP rules the lead matches, kept by the database ' +
        'whenever the lead or the rules change (kpi.md "Fit score"); entered by hand only while the workspace has no ICP rules',
    },
    icp_version: { out: z.number().int().nullable(), description: 'The ICP rules version that gave the score' },
    icp_matched: {
      out: z.array(z.number().int()).nullable(),
      pgArray: true,
      description: 'The rules of that version the lead matched (0-based positions)',
    },
    converted_at: readTimeOrNull({ description: 'When the lead was converted into its deal' }),
    company_id: ref('companies', WHAT.company),
    contact_id: ref('contacts', WHAT.contact),
    deal_id: ref('deals', WHAT.deal),
    created_at: readTime(),
    ...archiveFields,
    updated_at: readTime(),
  },
};
