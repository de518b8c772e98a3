import sql from 'sql-template-tag';
import { z } from 'zod';
import { audit } from '../platform/audit.ts';
import type { Queryable } from '../platform/db/types.ts';
import { type FieldIssue, fieldIssue, notFound, validationError } from '../platform/errors.ts';
import { issuesToFields } from '../platform/http/validation.ts';
import { WHAT } from '../platform/resource/fields.ts';

/**
 * The ICP rules of kpi.md ("Fit score"): `{"threshold": T, "rules": [{"field", "in" | "min"/"max", "points"}]}`
 * over the lead's profile fields. The database scores every lead (migration 0021: icp_matched,
 * icp_points and the leads_fit trigger), so one definition serves the API, imports, the demo and
 * a rules change alike; this module validates the rules, saves them as a new version and explains.
 */

export const ICP_FIELDS = ['industry', 'employees', 'region', 'company', 'campaign'] as const;
export type IcpField = (typeof ICP_FIELDS)[number];
/** The fields `min`/`max` apply to: numbers. */
export const NUMERIC_ICP_FIELDS: readonly IcpField[] = ['employees'];

const ruleSchema = z
  .strictObject({
    field: z.string().max(50),
    in: z.array(z.string().max(300)).min(1).max(500).optional(),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    points: z.number().int(),
  })
  .describe('A rule: the lead earns `points` when `field` is one of `in` (exact text), or within [min, max]');

export const icpRulesSchema = z
  .strictObject({
    threshold: z.number().finite().describe('A lead fits the ICP when its score is at least this'),
    rules: z.array(ruleSchema).max(200),
  })
  .describe('The ICP rules (kpi.md "Fit score")');
export type IcpRules = z.infer<typeof icpRulesSchema>;
export type IcpRule = IcpRules['rules'][number];

/** Checks zod cannot say in one place: a known field, `in` or bounds (not both), min ≤ max, points within −100…100. */
export function checkIcpRules(rules: IcpRules, prefix = 'rules'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  rules.rules.forEach((r, i) => {
    const at = `${prefix}.${i}`;
    if (!(ICP_FIELDS as readonly string[]).includes(r.field)) {
      issues.push(
        fieldIssue(
          `${at}.field`,
          `unknown field "${r.field}": one of ${ICP_FIELDS.join(', ')}`,
          `неизвестное поле «${r.field}»: одно из ${ICP_FIELDS.join(', ')}`,
          'unknown_field',
        ),
      );
      return;
    }
    const bounds = r.min !== undefined || r.max !== undefined;
    if (r.in && bounds)
      issues.push(
        fieldIssue(`${at}.in`, 'a rule has either "in" or "min"/"max", not both', 'у правила либо «in», либо «min»/«max», не оба'),
      );
    else if (!r.in && !bounds)
      issues.push(
        fieldIssue(
          `${at}.in`,
          'a rule needs "in" (values) or "min"/"max" (bounds)',
          'правилу нужно «in» (значения) или «min»/«max» (границы)',
          'required',
        ),
      );
    if (bounds && !NUMERIC_ICP_FIELDS.includes(r.field as IcpField))
      issues.push(
        fieldIssue(
          `${at}.min`,
          `"${r.field}" is text: compare it with "in"; "min"/"max" are for ${NUMERIC_ICP_FIELDS.join(', ')}`,
          `«${r.field}» — текст: сравнивайте через «in»; «min»/«max» — для ${NUMERIC_ICP_FIELDS.join(', ')}`,
        ),
      );
    if (r.min !== undefined && r.max !== undefined && r.min > r.max)
      issues.push(
        fieldIssue(`${at}.min`, `min ${r.min} is greater than max ${r.max}`, `min ${r.min} больше max ${r.max}`, 'min_above_max'),
      );
    if (r.points < -100 || r.points > 100)
      issues.push(
        fieldIssue(`${at}.points`, `points ${r.points} are outside −100…100`, `баллы ${r.points} вне диапазона −100…100`, 'out_of_range'),
      );
  });
  return issues;
}

/** Parses and checks rules from any source (the API body, icp.json, config import); 400 naming the field. */
export function parseIcpRules(input: unknown, prefix = ''): IcpRules {
  const r = icpRulesSchema.safeParse(input);
  if (!r.success) throw validationError(issuesToFields(r.error.issues, prefix));
  const issues = checkIcpRules(r.data, prefix ? `${prefix}.rules` : 'rules');
  if (issues.length) throw validationError(issues);
  return r.data;
}

export interface IcpVersion {
  version: number;
  rules: IcpRules;
  created_at: Date;
  created_by: number | null;
}

export async function currentIcp(tx: Queryable, ws: number): Promise<IcpVersion | null> {
  const [row] = await tx.query<IcpVersion>(
    sql`select version, rules, created_at, created_by from icp_rule_versions where workspace_id = ${ws} order by version desc limit 1`,
  );
  return row ?? null;
}

/** Whether the workspace scores leads: rules exist and the list is not empty (else icp_share is null). */
export const hasRules = (v: IcpVersion | null): v is IcpVersion => v !== null && v.rules.rules.length > 0;

/**
 * Saves the rules as the next version and re-scores every lead in the same statement (the trigger
 * reads the new version). Unchanged rules write nothing. Returns the version in force.
 */
export async function saveIcpRules(
  tx: Queryable,
  ws: number,
  rules: IcpRules,
  by: { userId: number | null; at: Date },
): Promise<{ version: number; changed: boolean; rescored: number }> {
  const cur = await currentIcp(tx, ws);
  if (cur) {
    // jsonb equality: the stored document orders its keys its own way.
    const [same] = await tx.query<{ same: boolean }>(
      sql`select rules = ${JSON.stringify(rules)}::jsonb as same from icp_rule_versions where workspace_id = ${ws} and version = ${cur.version}`,
    );
    if (same.same) return { version: cur.version, changed: false, rescored: 0 };
  }
  const version = (cur?.version ?? 0) + 1;
  await tx.query(
    sql`insert into icp_rule_versions (workspace_id, version, rules, created_at, created_by)
        values (${ws}, ${version}, ${JSON.stringify(rules)}::jsonb, ${by.at}, ${by.userId})`,
  );
  const [n] = await tx.query<{ n: number }>(
    sql`with u as (update leads set icp_version = ${version} where workspace_id = ${ws} returning 1) select count(*)::int as n from u`,
  );
  await audit(tx, {
    workspaceId: ws,
    userId: by.userId,
    entity: 'icp_rules',
    entityId: version,
    action: cur ? 'update' : 'create',
    at: by.at,
    changes: { rules: { from: cur?.rules ?? null, to: rules } },
    version,
  });
  return { version, changed: true, rescored: n.n };
}

/** Of the leads now: how many each rule matches, how many reach the threshold — for the editor's preview. */
export async function previewIcp(
  tx: Queryable,
  ws: number,
  rules: IcpRules,
): Promise<{ leads: number; fit: number; per_rule: number[]; score_min: number | null; score_max: number | null }> {
  const json = JSON.stringify(rules);
  const [row] = await tx.query<{ leads: number; fit: number; per_rule: number[] | null; smin: number | null; smax: number | null }>(sql`
    with scored as (
      select m, icp_points(${json}::jsonb, m) as score
        from (select icp_matched(${json}::jsonb, industry, employees, region, company_name, campaign) as m
                from leads where workspace_id = ${ws} and archived_at is null) x)
    select (select count(*)::int from scored) as leads,
           (select count(*)::int from scored where score >= ${rules.threshold}) as fit,
           (select array_agg(coalesce(c.n, 0)::int order by g.i)
              from generate_series(0, ${rules.rules.length - 1}) g(i)
              left join (select u.i, count(*) as n from scored, unnest(scored.m) u(i) group by u.i) c on c.i = g.i) as per_rule,
           (select min(score) from scored) as smin, (select max(score) from scored) as smax`);
  return {
    leads: row.leads,
    fit: row.fit,
    per_rule: rules.rules.length ? (row.per_rule ?? []) : [],
    score_min: row.smin ?? null,
    score_max: row.smax ?? null,
  };
}

/** Why a lead has its score: the version that scored it and the rules of it the lead matched. */
export async function explainFit(
  tx: Queryable,
  ws: number,
  leadId: number,
): Promise<{
  fit_score: number | null;
  version: number | null;
  threshold: number | null;
  fits: boolean | null;
  matched: (IcpRule & { position: number })[];
  current_version: number | null;
}> {
  const [lead] = await tx.query<{ fit_score: number | null; icp_version: number | null; icp_matched: number[] | null }>(
    sql`select fit_score, icp_version, icp_matched from leads where workspace_id = ${ws} and id = ${leadId}`,
  );
  if (!lead) throw notFound(WHAT.lead, leadId);
  const cur = await currentIcp(tx, ws);
  if (lead.icp_version === null)
    return { fit_score: lead.fit_score, version: null, threshold: null, fits: null, matched: [], current_version: cur?.version ?? null };
  const [v] = await tx.query<{ rules: IcpRules }>(
    sql`select rules from icp_rule_versions where workspace_id = ${ws} and version = ${lead.icp_version}`,
  );
  const matched = (lead.icp_matched ?? []).map((i) => ({ ...v.rules.rules[i], position: i }));
  return {
    fit_score: lead.fit_score,
    version: lead.icp_version,
    threshold: v.rules.threshold,
    fits: lead.fit_score === null ? null : lead.fit_score >= v.rules.threshold,
    matched,
    current_version: cur?.version ?? null,
  };
}
