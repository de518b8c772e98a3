import sql, { raw } from 'sql-template-tag';
import { z } from 'zod';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { readTime, requiredText } from '../platform/resource/fields.ts';
import type { Resource } from '../platform/resource/resource.ts';

/** The lists the head of sales keeps for accounts: product groups and churn reasons. Deactivated, never deleted. */

const position = { out: z.number().int(), in: z.number().int().min(0).max(10_000), sort: true };
const active = (what: string) => ({
  out: z.boolean(),
  in: z.boolean(),
  filter: 'bool' as const,
  description: `Offered for new ${what}; an inactive one stays where it is named`,
});

async function uniqueName(
  table: string,
  col: string,
  ws: number,
  name: unknown,
  id: unknown,
  q: Parameters<NonNullable<Resource['beforeWrite']>>[0]['tx'],
) {
  if (name === undefined) return;
  const [dup] = await q.query<{ id: number }>(
    sql`select id from ${raw(table)} where workspace_id = ${ws}
         and lower(${raw(col)}) = lower(${name as string}) and id <> ${(id as number | undefined) ?? 0}`,
  );
  if (dup) throw validationError([fieldIssue(col, `"${name}" already exists`, `«${name}» уже есть`, 'duplicate')]);
}

export const productGroups: Resource = {
  path: 'product-groups',
  table: 'product_groups',
  what: { en: 'product group', ru: 'продуктовая группа' },
  defaultSort: 'position',
  fields: {
    name: requiredText(200, { sort: true }),
    position,
    active: active('contracts'),
    created_at: readTime(),
  },
  beforeWrite: ({ tx, principal, values, existing }) =>
    uniqueName('product_groups', 'name', principal.workspaceId, values.name, existing?.id, tx),
};

export const churnReasons: Resource = {
  path: 'churn-reasons',
  table: 'churn_reasons',
  what: { en: 'churn reason', ru: 'причина оттока' },
  defaultSort: 'position',
  fields: {
    name_ru: requiredText(200, { sort: true }),
    name_en: requiredText(200, { sort: true }),
    position,
    active: active('churn marks'),
    created_at: readTime(),
  },
  beforeWrite: ({ tx, principal, values, existing }) =>
    uniqueName('churn_reasons', 'name_ru', principal.workspaceId, values.name_ru, existing?.id, tx),
};
