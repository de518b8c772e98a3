import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql, { empty, join, type Sql } from 'sql-template-tag';
import { z } from 'zod';
import { ACCESS, type AccessObject, type Scope, scopeFor, visibleSql } from '../platform/auth/access.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable } from '../platform/db/types.ts';
import { idSchema } from '../platform/resource/resource.ts';
import { errorResponses, scoped } from '../platform/resource/resource-routes.ts';

/**
 * Global search over the records a sales team looks up all day: deals (also by their company's
 * and contact's name), companies (also by INN), contacts (name, e-mail, phone) and leads.
 * A record matches when the query is a substring of one of its texts (trigram-indexed), a close
 * word (trigram word similarity, so a typo or another case ending still finds «Козловой» for
 * «Козлова»), a Russian full-text match (stems), or — for digits — a prefix of the INN or a part
 * of the phone number. Each kind is ranked on its own and only records the caller may read are
 * searched (a role without access to a kind gets none of it, not a 403).
 */
export const SEARCH_KINDS = ['deal', 'company', 'contact', 'lead'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

const TABLE: Record<SearchKind, AccessObject> = { deal: 'deals', company: 'companies', contact: 'contacts', lead: 'leads' };

export const searchQuery = z.strictObject({
  q: z.string().trim().min(1).max(200).describe('What to look for: words, a part of a name, an INN, an e-mail or a phone'),
  kind: z.enum(SEARCH_KINDS).optional().describe('Only records of this kind'),
  limit: z.coerce.number().int().min(1).max(50).default(8).describe('At most this many records per kind'),
});

export const searchHit = z.object({
  kind: z.enum(SEARCH_KINDS),
  id: idSchema,
  title: z.string(),
  /** What else identifies it: the company, INN, e-mail, phone, stage. */
  subtitle: z.string().nullable(),
  /** Which of its texts matched: `name`, `inn`, `email`, `phone`, `company`, `contact`. */
  matched: z.string(),
  score: z.number(),
});
export type SearchHit = z.infer<typeof searchHit>;

export const searchResult = z.object({ query: z.string(), items: z.array(searchHit) });

/** Escapes LIKE's wildcards so that `50%` looks for "50%". */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

interface Terms {
  text: string;
  like: string;
  /** A regular expression: the query at the start of a word. */
  wordStart: string;
  digits: string | null;
}

function termsOf(q: string): Terms {
  const text = q.toLowerCase().replace(/\s+/g, ' ');
  const digits = q.replace(/\D/g, '');
  // Digits count as a number to look for only when the query is mostly one (an INN, a phone).
  const asNumber = digits.length >= 3 && digits.length >= q.replace(/[\s()+\-.]/g, '').length - 1;
  const wordStart = `(^|[^0-9a-zа-яё])${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
  return { text, like: `%${likeEscape(text)}%`, wordStart, digits: asNumber ? digits : null };
}

/**
 * The score of one text: 1 equal, 0.9 starts with the query, 0.85 a word of it does («ООО
 * «Ромашка»» for «ромашк»), 0.8 contains it, else its word similarity; times `weight` for a
 * secondary text (a lead's company name).
 */
function textScore(expr: Sql, t: Terms, weight = 1): Sql {
  return sql`(case when lower(${expr}) = ${t.text} then 1.0
                  when lower(${expr}) like ${`${likeEscape(t.text)}%`} then 0.9
                  when lower(${expr}) ~ ${t.wordStart} then 0.85
                  when lower(${expr}) like ${t.like} then 0.8
                  else word_similarity(${t.text}, lower(coalesce(${expr}, ''))) * 0.75 end) * ${weight}`;
}

/** The condition that a text matches (each part served by an index of migration 0012). */
function textMatch(expr: Sql, t: Terms, stems: boolean): Sql {
  const fts = stems ? sql` or to_tsvector('russian', coalesce(${expr}, '')) @@ plainto_tsquery('russian', ${t.text})` : empty;
  return sql`(lower(${expr}) like ${t.like} or ${t.text} <% lower(${expr})${fts})`;
}

const phoneDigits = (expr: Sql) => sql`regexp_replace(coalesce(${expr}, ''), '[^0-9]', '', 'g')`;

function visible(table: AccessObject, s: Scope | null, alias: string): Sql {
  return s ? sql`and ${visibleSql(table, s, alias)}` : empty;
}

/** One kind's candidates: `select kind, id, title, subtitle, matched, score` ranked and limited. */
function kindSql(kind: SearchKind, ws: number, t: Terms, s: Scope | null, limit: number): Sql {
  const digitMatch = (expr: Sql, prefix: boolean) =>
    t.digits ? sql` or ${phoneDigits(expr)} like ${prefix ? `${t.digits}%` : `%${t.digits}%`}` : empty;
  const digitScore = (expr: Sql, prefix: boolean) =>
    t.digits ? sql`case when ${phoneDigits(expr)} like ${prefix ? `${t.digits}%` : `%${t.digits}%`} then 0.95 else 0 end` : sql`0`;
  switch (kind) {
    case 'company':
      return sql`
        select 'company' as kind, c.id, c.name as title, nullif(concat_ws(' · ', c.inn, c.city), '') as subtitle,
               case when ${digitScore(sql`c.inn`, true)} > 0 then 'inn' else 'name' end as matched,
               greatest(${textScore(sql`c.name`, t)}, ${digitScore(sql`c.inn`, true)}) as score
          from companies c
         where c.workspace_id = ${ws} and c.archived_at is null ${visible('companies', s, 'c')}
           and (${textMatch(sql`c.name`, t, true)}${t.digits ? sql` or c.inn like ${`${t.digits}%`}` : empty})
         order by score desc, c.id limit ${limit}`;
    case 'contact':
      return sql`
        select 'contact' as kind, p.id, p.name as title,
               nullif(concat_ws(' · ', co.name, p.email, p.phone), '') as subtitle,
               case when ${textScore(sql`p.name`, t)} >= greatest(${textScore(sql`p.email`, t)}, ${digitScore(sql`p.phone`, false)}) then 'name'
                    when ${textScore(sql`p.email`, t)} >= ${digitScore(sql`p.phone`, false)} then 'email' else 'phone' end as matched,
               greatest(${textScore(sql`p.name`, t)}, ${textScore(sql`p.email`, t)}, ${digitScore(sql`p.phone`, false)}) as score
          from contacts p
          left join companies co on co.workspace_id = p.workspace_id and co.id = p.company_id
         where p.workspace_id = ${ws} and p.archived_at is null ${visible('contacts', s, 'p')}
           and (${textMatch(sql`p.name`, t, true)} or lower(p.email) like ${t.like}${digitMatch(sql`p.phone`, false)})
         order by score desc, p.id limit ${limit}`;
    case 'lead':
      return sql`
        select 'lead' as kind, l.id, l.title, nullif(concat_ws(' · ', l.company_name, l.contact_name, l.email, l.phone), '') as subtitle,
               case when ${textScore(sql`l.title`, t)} >= greatest(${textScore(sql`l.company_name`, t)}, ${textScore(sql`l.contact_name`, t)}) then 'name'
                    when ${textScore(sql`l.company_name`, t)} >= ${textScore(sql`l.contact_name`, t)} then 'company' else 'contact' end as matched,
               greatest(${textScore(sql`l.title`, t)}, ${textScore(sql`l.company_name`, t, 0.9)}, ${textScore(sql`l.contact_name`, t, 0.9)},
                        ${textScore(sql`l.email`, t, 0.9)}, ${digitScore(sql`l.phone`, false)}) as score
          from leads l
         where l.workspace_id = ${ws} and l.archived_at is null ${visible('leads', s, 'l')}
           and (${textMatch(sql`l.title`, t, true)} or ${textMatch(sql`l.company_name`, t, false)}
                or ${textMatch(sql`l.contact_name`, t, false)} or lower(l.email) like ${t.like}${digitMatch(sql`l.phone`, false)})
         order by score desc, l.id limit ${limit}`;
    case 'deal': {
      // A deal is found by its title or by its company's or contact's name: those are looked up
      // first (each through its own index), then their deals.
      const byTitle = sql`select d.id, ${textScore(sql`d.title`, t)} as score, 'name' as matched
                            from deals d where d.workspace_id = ${ws} and ${textMatch(sql`d.title`, t, true)}`;
      const byCompany = sql`select d.id, ${textScore(sql`c.name`, t, 0.95)} as score, 'company' as matched
                              from companies c join deals d on d.workspace_id = c.workspace_id and d.company_id = c.id
                             where c.workspace_id = ${ws} and ${textMatch(sql`c.name`, t, true)}`;
      const byContact = sql`select d.id, ${textScore(sql`p.name`, t, 0.95)} as score, 'contact' as matched
                              from contacts p join deals d on d.workspace_id = p.workspace_id and d.contact_id = p.id
                             where p.workspace_id = ${ws} and ${textMatch(sql`p.name`, t, true)}`;
      return sql`
        select 'deal' as kind, d.id, d.title, nullif(concat_ws(' · ', c.name, ct.name, st.name), '') as subtitle,
               m.matched, m.score
          from (select distinct on (id) id, score, matched
                  from (${byTitle} union all ${byCompany} union all ${byContact}) x
                 order by id, score desc) m
          join deals d on d.workspace_id = ${ws} and d.id = m.id
          join stages st on st.workspace_id = d.workspace_id and st.id = d.stage_id
          left join companies c on c.workspace_id = d.workspace_id and c.id = d.company_id
          left join contacts ct on ct.workspace_id = d.workspace_id and ct.id = d.contact_id
         where true ${visible('deals', s, 'd')}
         order by m.score desc, d.id limit ${limit}`;
    }
  }
}

export async function search(tx: Queryable, p: Principal, input: { q: string; kind?: SearchKind; limit: number }): Promise<SearchHit[]> {
  const t = termsOf(input.q);
  const kinds = (input.kind ? [input.kind] : SEARCH_KINDS).filter((k) => ACCESS[TABLE[k]][p.role][0] !== 'none');
  if (kinds.length === 0) return [];
  const parts: Sql[] = [];
  for (const k of kinds) parts.push(sql`(${kindSql(k, p.workspaceId, t, await scopeFor(tx, p, TABLE[k], 'read'), input.limit)})`);
  const rows = await tx.query<SearchHit>(sql`select * from (${join(parts, ' union all ')}) r order by score desc, kind, id`);
  return rows.map((r) => ({ ...r, id: Number(r.id), score: Math.round(Number(r.score) * 1000) / 1000 }));
}

export function registerSearchRoutes(app: FastifyInstance, ctx: AppContext) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/search',
    {
      schema: {
        tags: ['search'],
        summary: 'Find deals, companies, contacts and leads by name, INN, e-mail or phone (the records you may see)',
        querystring: searchQuery,
        response: { 200: searchResult, ...errorResponses },
      },
    },
    async (req) => ({ query: req.query.q, items: await scoped(ctx, req, (tx, p) => search(tx, p, req.query)) }),
  );
}
