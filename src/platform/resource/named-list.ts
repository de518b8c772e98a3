import sql, { raw, type Sql } from 'sql-template-tag';
import { z } from 'zod';
import { fieldIssue, type Msg, validationError } from '../errors.ts';
import { readTime, requiredText } from './fields.ts';
import type { Field, Resource } from './resource.ts';

/** The highest position the API takes. */
const MAX_POSITION = 10_000;

/**
 * The position `after` places past the end of a named list (`after`: 1 for one new entry, or an
 * ordinality for several in one statement), at most the highest the API takes.
 */
export const endOfListSql = (table: string, ws: number, after: Sql) =>
  sql`least((select coalesce(max(position), 0) from ${raw(table)} where workspace_id = ${ws}) + ${after}, ${MAX_POSITION})`;

/**
 * A list a workspace keeps of named things — loss, disqualification and churn reasons, product
 * groups: a name (in Russian and English, or one), a position, whether it is offered, when it was
 * made. Deactivated, never deleted: the records that name an entry keep it. A name is unique in
 * its list whatever its case (the Russian one when there are two), and a new entry goes to the end
 * of the list unless it is given a position (at most the highest position the API takes).
 */
export function namedList(def: {
  path: string;
  table: string;
  what: Msg;
  names: 'ru+en' | 'one';
  /** What `active` means for this list (the API's description of the field). */
  activeMeans: string;
}): Resource {
  const names: Record<string, Field> =
    def.names === 'one'
      ? { name: requiredText(200, { sort: true }) }
      : { name_ru: requiredText(200, { sort: true }), name_en: requiredText(200, { sort: true }) };
  const unique = def.names === 'one' ? 'name' : 'name_ru';
  const table = raw(def.table);
  return {
    path: def.path,
    table: def.table,
    what: def.what,
    defaultSort: 'position',
    fields: {
      ...names,
      position: { out: z.number().int(), in: z.number().int().min(0).max(MAX_POSITION), sort: true },
      active: { out: z.boolean(), in: z.boolean(), filter: 'bool', description: def.activeMeans },
      created_at: readTime(),
    },
    beforeWrite: async ({ tx, principal, values, existing }) => {
      const ws = principal.workspaceId;
      const name = values[unique];
      if (name !== undefined) {
        const [dup] = await tx.query<{ id: number }>(
          sql`select id from ${table} where workspace_id = ${ws} and lower(${raw(unique)}) = lower(${name as string})
                and id <> ${(existing?.id as number | undefined) ?? 0}`,
        );
        if (dup)
          throw validationError([fieldIssue(unique, `"${name}" is already in the list`, `«${name}» уже есть в списке`, 'duplicate')]);
      }
      if (!existing && values.position === undefined) {
        const [r] = await tx.query<{ p: number }>(sql`select ${endOfListSql(def.table, ws, sql`1`)} as p`);
        values.position = r.p;
      }
    },
  };
}
