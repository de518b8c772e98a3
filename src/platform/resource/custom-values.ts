import type { Queryable } from '../db/types.ts';
import { type FieldIssue, fieldIssue } from '../errors.ts';

export type ObjectType = 'company' | 'contact' | 'lead' | 'deal';

export interface CustomFieldDef {
  key: string;
  type: 'text' | 'number' | 'money' | 'date' | 'choice';
  choices: { value: string }[];
  label_en: string;
  label_ru: string;
}

export async function loadCustomFieldDefs(tx: Queryable, ws: number, object: ObjectType): Promise<Map<string, CustomFieldDef>> {
  const rows = await tx.query<CustomFieldDef>(
    'select key, type, choices, label_en, label_ru from custom_fields where workspace_id = $1 and object_type = $2',
    [ws, object],
  );
  return new Map(rows.map((r) => [r.key, r]));
}

const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/**
 * Checks custom values against the workspace's field definitions. `null` removes a
 * value. Money is integer minor units in the workspace currency; dates are
 * calendar dates (YYYY-MM-DD), not instants.
 */
export function checkCustomValues(defs: Map<string, CustomFieldDef>, values: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [key, v] of Object.entries(values)) {
    const field = `custom.${key}`;
    const def = defs.get(key);
    if (!def) {
      issues.push(
        fieldIssue(field, 'no such custom field for this object', 'нет такого дополнительного поля у этого объекта', 'unknown_field'),
      );
      continue;
    }
    if (v === null) continue;
    switch (def.type) {
      case 'text':
        if (typeof v !== 'string' || v.length > 10_000)
          issues.push(fieldIssue(field, 'expected text up to 10,000 characters', 'ожидался текст до 10 000 символов'));
        break;
      case 'number':
        if (typeof v !== 'number' || !Number.isFinite(v)) issues.push(fieldIssue(field, 'expected a number', 'ожидалось число'));
        break;
      case 'money':
        if (typeof v !== 'number' || !Number.isSafeInteger(v))
          issues.push(
            fieldIssue(field, 'expected an integer amount in minor units (kopecks/cents)', 'ожидалась сумма целым числом в копейках'),
          );
        break;
      case 'date': {
        const ok =
          typeof v === 'string' &&
          ISO_DATE.test(v) &&
          !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) &&
          new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);
        if (!ok) issues.push(fieldIssue(field, 'expected a date YYYY-MM-DD', 'ожидалась дата в формате ГГГГ-ММ-ДД'));
        break;
      }
      case 'choice':
        if (typeof v !== 'string' || !def.choices.some((c) => c.value === v)) {
          issues.push(
            fieldIssue(
              field,
              `expected one of: ${def.choices.map((c) => c.value).join(', ')}`,
              `ожидалось одно из значений: ${def.choices.map((c) => c.value).join(', ')}`,
            ),
          );
        }
        break;
    }
  }
  return issues;
}
