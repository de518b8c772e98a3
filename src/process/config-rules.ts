import { z } from 'zod';
import type { Queryable } from '../platform/db/types.ts';
import type { FieldIssue } from '../platform/errors.ts';

/**
 * The `rules` part of the standard document (loss reasons, forced-move policy):
 * placeholder until the feature lands (issue 17). Owned by src/process/rules.ts.
 */
export const rulesDocSchema = z.strictObject({}).optional();
export type RulesDoc = z.infer<typeof rulesDocSchema>;

/** Problems of the `rules` part named by their path (`rules.…`); the document is refused if any. */
export function checkRulesDoc(_doc: RulesDoc): FieldIssue[] {
  return [];
}

export async function exportRules(_tx: Queryable, _ws: number): Promise<RulesDoc> {
  return undefined;
}

/** Applies the `rules` part inside the import's transaction; returns how many rows it wrote. */
export async function importRules(_tx: Queryable, _ws: number, _doc: RulesDoc, _now: Date): Promise<number> {
  return 0;
}
