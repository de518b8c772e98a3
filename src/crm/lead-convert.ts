import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { assertVisible, scopeFor, visibleSql } from '../platform/auth/access.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable, Row } from '../platform/db/types.ts';
import { AppError, fieldIssue, validationError, versionConflict } from '../platform/errors.ts';
import { conflictChanges } from '../platform/resource/conflict.ts';
import { getRecord, idSchema, schemasOf, toApi } from '../platform/resource/resource.ts';
import { createChecked, errorResponses, idParams, scoped, updateChecked } from '../platform/resource/resource-routes.ts';
import { companies } from './companies.ts';
import { contacts } from './contacts.ts';
import { deals } from './deals.ts';
import { leads } from './leads.ts';

/**
 * A lead converted into a deal (issue 16): one transaction picks or creates the company and the
 * contact, creates the deal through the same code as POST /deals (createChecked → the deal's
 * stage entry, visits, checkpoints and playbook tasks), and marks the lead `converted` with the
 * three links. Every record written is audited as its own route would audit it.
 */
const pick = z.strictObject({ id: idSchema });
export const convertBody = z.strictObject({
  version: z.number().int().positive().describe('The lead version you read; a stale one answers 409'),
  company: z.union([pick, schemasOf(companies).create]).describe('An existing company ({id}) or a new one ({name, inn?, …})'),
  contact: z
    .union([pick, schemasOf(contacts).create.omit({ company_id: true })])
    .nullable()
    .describe('An existing contact ({id}), a new one ({name, email?, phone?}) or none'),
  deal: schemasOf(deals)
    .create.omit({ company_id: true, contact_id: true, lead_id: true })
    .describe('The new deal: title, amount_minor, pipeline_id, stage_id, owner_id …'),
});
type ConvertInput = z.infer<typeof convertBody>;

const converted = z.object({
  lead: schemasOf(leads).output,
  company: schemasOf(companies).output,
  contact: schemasOf(contacts).output.nullable(),
  deal: schemasOf(deals).output,
  duplicates: z
    .object({ company: z.array(idSchema), contact: z.array(idSchema) })
    .describe('Records that already had the new company’s INN or the new contact’s e-mail (created anyway, as the “+” warns)'),
});

/** Runs `fn` naming its refused fields under `prefix` (company.inn, deal.title). */
async function under<T>(prefix: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AppError && e.details.fields?.length) {
      const fields = e.details.fields.map((f) => ({ ...f, field: `${prefix}.${f.field}` }));
      throw new AppError(e.code, e.msg, { ...e.details, fields });
    }
    throw e;
  }
}

async function pickVisible(tx: Queryable, p: Principal, r: typeof companies, id: number, field: string): Promise<Row> {
  return under(field, async () => {
    await assertVisible(tx, p.workspaceId, r.table, id, await scopeFor(tx, p, r.access ?? 'companies', 'read'), r.what);
    const row = await getRecord(tx, p.workspaceId, r, id);
    if (row.archived_at !== null)
      throw validationError([
        fieldIssue(
          'id',
          `${r.what.en} ${id} is archived: restore it first`,
          `${r.what.ru} ${id} в архиве: сначала восстановите`,
          'archived',
        ),
      ]);
    return row;
  });
}

export async function convertLead(tx: Queryable, ctx: AppContext, p: Principal, leadId: number, input: ConvertInput) {
  const ws = p.workspaceId;
  await assertVisible(tx, ws, 'leads', leadId, await scopeFor(tx, p, 'leads', 'write'), leads.what);
  const lead = await getRecord(tx, ws, leads, leadId, true);
  if (lead.version !== input.version)
    throw versionConflict(
      leads.what,
      leadId,
      lead.version as number,
      input.version,
      await conflictChanges(tx, ws, leads, leadId, input.version, lead.version as number),
    );
  if (lead.status === 'converted' || lead.status === 'disqualified')
    throw validationError([
      lead.status === 'converted'
        ? fieldIssue(
            'status',
            `lead ${leadId} is already converted (deal ${String(lead.deal_id)})`,
            `лид ${leadId} уже конвертирован (сделка ${String(lead.deal_id)})`,
            'already_converted',
          )
        : fieldIssue(
            'status',
            `lead ${leadId} is disqualified: set another status before converting it`,
            `лид ${leadId} дисквалифицирован: смените статус, прежде чем конвертировать`,
            'disqualified',
          ),
    ]);
  if (lead.archived_at !== null)
    throw validationError([
      fieldIssue(
        'archived_at',
        `lead ${leadId} is archived: restore it first`,
        `лид ${leadId} в архиве: сначала восстановите его`,
        'archived',
      ),
    ]);
  const owner = input.deal.owner_id ?? (lead.owner_id as number | null) ?? p.userId;
  const duplicates = { company: [] as number[], contact: [] as number[] };

  let company: Row;
  if ('id' in input.company && Object.keys(input.company).length === 1) {
    company = await pickVisible(tx, p, companies, input.company.id as number, 'company');
  } else {
    const c = input.company as Record<string, unknown>;
    if (typeof c.inn === 'string') {
      const same = await tx.query<{ id: number }>(
        sql`select id from companies where workspace_id = ${ws} and inn = ${c.inn} and archived_at is null order by id limit 10`,
      );
      duplicates.company = same.map((x) => Number(x.id));
    }
    company = await under('company', () => createChecked(tx, ctx, p, companies, { owner_id: owner, ...c }));
  }

  let contact: Row | null = null;
  if (input.contact && 'id' in input.contact && Object.keys(input.contact).length === 1) {
    contact = await pickVisible(tx, p, contacts, input.contact.id as number, 'contact');
    if (contact.company_id === null)
      contact = await under('contact', () =>
        updateChecked(tx, ctx, p, contacts, (contact as Row).id as number, { version: (contact as Row).version, company_id: company.id }),
      );
  } else if (input.contact) {
    const c = input.contact as Record<string, unknown>;
    if (typeof c.email === 'string') {
      const scope = await scopeFor(tx, p, 'contacts', 'read');
      const same = await tx.query<{ id: number }>(
        sql`select id from contacts where workspace_id = ${ws} and lower(email) = lower(${c.email}) and archived_at is null
             ${scope ? sql`and ${visibleSql('contacts', scope)}` : sql``} order by id limit 10`,
      );
      duplicates.contact = same.map((x) => Number(x.id));
    }
    contact = await under('contact', () => createChecked(tx, ctx, p, contacts, { owner_id: owner, ...c, company_id: company.id }));
  }

  const deal = await under('deal', () =>
    createChecked(tx, ctx, p, deals, {
      channel_id: lead.channel_id ?? undefined,
      ...input.deal,
      owner_id: owner,
      company_id: company.id,
      contact_id: contact?.id ?? null,
      lead_id: leadId,
    }),
  );
  const updated = await updateChecked(tx, ctx, p, leads, leadId, {
    version: lead.version,
    status: 'converted',
    company_id: company.id,
    contact_id: contact?.id ?? null,
    deal_id: deal.id,
  });
  return {
    lead: toApi(leads, updated),
    company: toApi(companies, company),
    contact: contact ? toApi(contacts, contact) : null,
    deal: toApi(deals, deal),
    duplicates,
  };
}

export function registerLeadConvertRoute(app: FastifyInstance, ctx: AppContext) {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/api/v1/leads/:id/convert',
    {
      schema: {
        tags: ['leads'],
        summary: 'Convert a lead into a deal: pick or create its company and contact, create the deal, mark the lead converted',
        params: idParams,
        body: convertBody,
        response: { 200: converted, ...errorResponses },
      },
    },
    async (req) => scoped(ctx, req, (tx, p) => convertLead(tx, ctx, p, req.params.id, req.body)),
  );
}
