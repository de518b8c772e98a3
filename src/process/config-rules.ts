import sql from 'sql-template-tag';
import { z } from 'zod';
import type { Queryable } from '../platform/db/types.ts';
import { type FieldIssue, fieldIssue } from '../platform/errors.ts';

export const FORCE_POLICIES = ['nobody', 'head_of_sales', 'team_leads'] as const;
export type ForcePolicy = (typeof FORCE_POLICIES)[number];

export interface MovePolicy {
  who: ForcePolicy;
  needs_reason: boolean;
}

/** Who may force a move past unmet requirements (default: admin and head of sales) and whether it needs a reason. */
export async function readMovePolicy(tx: Queryable, ws: number): Promise<MovePolicy> {
  const [w] = await tx.query<{ force_policy: ForcePolicy; force_needs_reason: boolean }>(
    sql`select force_policy, force_needs_reason from workspaces where workspace_id = ${ws}`,
  );
  return { who: w.force_policy, needs_reason: w.force_needs_reason };
}

const reasonName = z.string().trim().min(1).max(200);

/**
 * The `rules` part of the standard document: the loss reasons in their order and the
 * forced-move policy (src/process/rules.ts). Absent: the workspace's rules stay as they are.
 */
export const rulesDocSchema = z
  .strictObject({
    loss_reasons: z
      .array(z.strictObject({ name_ru: reasonName, name_en: reasonName, active: z.boolean().optional() }))
      .max(500)
      .optional()
      .describe('In order; merged by the Russian name; reasons left out are deactivated, never deleted'),
    force_policy: z
      .strictObject({ who: z.enum(FORCE_POLICIES), needs_reason: z.boolean() })
      .optional()
      .describe('Who may move a deal past unmet stage requirements, and whether a reason is needed'),
  })
  .optional();
export type RulesDoc = z.infer<typeof rulesDocSchema>;

/** Problems of the `rules` part named by their path (`rules.…`); the document is refused if any. */
export function checkRulesDoc(doc: RulesDoc): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const [i, r] of (doc?.loss_reasons ?? []).entries()) {
    const k = r.name_ru.trim().toLowerCase();
    if (seen.has(k))
      issues.push(
        fieldIssue(
          `rules.loss_reasons.${i}.name_ru`,
          `duplicate loss reason "${r.name_ru}"`,
          `причина «${r.name_ru}» повторяется`,
          'duplicate',
        ),
      );
    seen.add(k);
  }
  return issues;
}

export async function exportRules(tx: Queryable, ws: number): Promise<RulesDoc> {
  const reasons = await tx.query<{ name_ru: string; name_en: string; active: boolean }>(
    sql`select name_ru, name_en, active from loss_reasons where workspace_id = ${ws} order by position, id`,
  );
  return {
    loss_reasons: reasons.map((r) => ({ name_ru: r.name_ru, name_en: r.name_en, active: r.active })),
    force_policy: await readMovePolicy(tx, ws),
  };
}

/** Applies the `rules` part inside the import's transaction; returns how many rows it wrote. */
export async function importRules(tx: Queryable, ws: number, doc: RulesDoc, now: Date): Promise<number> {
  if (!doc) return 0;
  let written = 0;
  if (doc.loss_reasons) {
    const existing = await tx.query<{ id: number; name_ru: string; name_en: string; position: number; active: boolean }>(
      sql`select id, name_ru, name_en, position, active from loss_reasons where workspace_id = ${ws} for update`,
    );
    const kept = new Set<number>();
    for (const [i, r] of doc.loss_reasons.entries()) {
      const active = r.active ?? true;
      const found = existing.find((e) => e.name_ru.toLowerCase() === r.name_ru.toLowerCase());
      if (!found) {
        await tx.query(sql`insert into loss_reasons (workspace_id, name_ru, name_en, position, active, created_at, updated_at)
                           values (${ws}, ${r.name_ru}, ${r.name_en}, ${i + 1}, ${active}, ${now}, ${now})`);
        written++;
        continue;
      }
      kept.add(Number(found.id));
      if (found.name_ru === r.name_ru && found.name_en === r.name_en && found.position === i + 1 && found.active === active) continue;
      await tx.query(sql`update loss_reasons set name_ru = ${r.name_ru}, name_en = ${r.name_en}, position = ${i + 1}, active = ${active},
                                updated_at = ${now}, version = version + 1
                          where workspace_id = ${ws} and id = ${found.id}`);
      written++;
    }
    // Past entries name the reasons left out: they leave the list (inactive, after the listed ones), not the history.
    let next = doc.loss_reasons.length;
    for (const e of [...existing].sort((a, b) => a.position - b.position || a.id - b.id)) {
      if (kept.has(Number(e.id))) continue;
      next++;
      if (!e.active && e.position === next) continue;
      await tx.query(sql`update loss_reasons set active = false, position = ${next}, updated_at = ${now}, version = version + 1
                          where workspace_id = ${ws} and id = ${e.id}`);
      written++;
    }
  }
  if (doc.force_policy) {
    const before = await readMovePolicy(tx, ws);
    if (before.who !== doc.force_policy.who || before.needs_reason !== doc.force_policy.needs_reason) {
      await tx.query(sql`update workspaces set force_policy = ${doc.force_policy.who}, force_needs_reason = ${doc.force_policy.needs_reason},
                                version = version + 1 where workspace_id = ${ws}`);
      written++;
    }
  }
  return written;
}
