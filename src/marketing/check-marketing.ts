import sql from 'sql-template-tag';
import type { CheckResult } from '../history/check-history.ts';
import type { Queryable } from '../platform/db/types.ts';

/**
 * The marketing copies `bin/voronka check` verifies: every lead's fit score and matched rules
 * against a recount under the latest ICP rules (the trigger `leads_fit` keeps them; a lead scored
 * by an older version, or by nothing while rules exist, is a problem).
 */
export async function checkMarketing(tx: Queryable, ws: number): Promise<CheckResult[]> {
  const rows = await tx.query<{ example: string }>(sql`
    with v as (select version, rules from icp_rule_versions where workspace_id = ${ws} order by version desc limit 1),
    x as (
      select l.id, l.fit_score, l.icp_version, l.icp_matched, v.version,
             case when jsonb_array_length(coalesce(v.rules -> 'rules', '[]'::jsonb)) = 0 then null
                  else icp_matched(v.rules, l.industry, l.employees, l.region, l.company_name, l.campaign) end as m, v.rules
        from leads l cross join v where l.workspace_id = ${ws})
    select id::text as example from x
     where icp_version is distinct from version or icp_matched is distinct from m
        or fit_score is distinct from (case when m is null then null else icp_points(rules, m) end)
     order by id`);
  return [
    {
      check: 'leads whose fit score differs from a recount under the latest ICP rules',
      check_ru: 'лиды, чья оценка ICP не совпадает с пересчётом по действующим правилам',
      problems: rows.length,
      example: rows[0] ? `#${rows[0].example}` : null,
      examples: rows.slice(0, 10).map((r) => `#${r.example}`),
    },
  ];
}
