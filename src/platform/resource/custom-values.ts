import type { Queryable } from '../db/types.ts';
import { type FieldIssue, fieldIssue } from '../errors.ts';

export type ObjectType = 'company' | 'contact' | 'lead' | 'deal';

/** The types a custom field may have; migration 0019 keeps the table's check the same. */
export const CUSTOM_FIELD_TYPES = ['text', 'number', 'money', 'date', 'choice', 'multi_choice', 'user', 'link'] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];
/** The types whose values come from the field's own list of choices. */
export const hasChoices = (type: string) => type === 'choice' || type === 'multi_choice';

export interface CustomFieldDef {
  key: string;
  type: CustomFieldType;
  choices: { value: string }[];
  label_en: string;
  label_ru: string;
}

/** The users a value of a `user` field may name: id → whether they are active. */
export type WorkspaceUsers = Map<number, boolean>;

export async function loadCustomFieldDefs(tx: Queryable, ws: number, object: ObjectType): Promise<Map<string, CustomFieldDef>> {
  const rows = await tx.query<CustomFieldDef>(
    'select key, type, choices, label_en, label_ru from custom_fields where workspace_id = $1 and object_type = $2',
    [ws, object],
  );
  return new Map(rows.map((r) => [r.key, r]));
}

/**
 * Checks custom values against the workspace's definitions, reading what a check needs (the users
 * a `user` value names) in one more statement only when such a value is given.
 */
export async function customValueIssues(
  tx: Queryable,
  ws: number,
  object: ObjectType,
  values: Record<string, unknown>,
): Promise<FieldIssue[]> {
  const defs = await loadCustomFieldDefs(tx, ws, object);
  const ids = Object.entries(values)
    .filter(([k, v]) => defs.get(k)?.type === 'user' && Number.isSafeInteger(v))
    .map(([, v]) => v as number);
  const users: WorkspaceUsers = new Map();
  if (ids.length > 0) {
    const rows = await tx.query<{ id: number; active: boolean }>(
      'select id, active from users where workspace_id = $1 and id = any($2::int8[])',
      [ws, ids],
    );
    for (const u of rows) users.set(Number(u.id), u.active);
  }
  return checkCustomValues(defs, values, users);
}

const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** Whether a text is an absolute http(s) address with a host (what a card may open in a new tab). */
export function isWebLink(v: string): boolean {
  if (v.length > 2000 || /\s/.test(v)) return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}

const oneOf = (def: CustomFieldDef) => def.choices.map((c) => c.value).join(', ');

/**
 * Checks custom values against the workspace's field definitions. `null` removes a
 * value. Money is integer minor units in the workspace currency; dates are
 * calendar dates (YYYY-MM-DD), not instants; a multi-choice is an array of distinct
 * choice values; a user is the id of an active user of the workspace (`users`); a
 * link is an http(s) URL.
 */
export function checkCustomValues(
  defs: Map<string, CustomFieldDef>,
  values: Record<string, unknown>,
  users: WorkspaceUsers = new Map(),
): FieldIssue[] {
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
    const label = { en: def.label_en, ru: def.label_ru };
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
              `${label.en}: expected one of: ${oneOf(def)}`,
              `${label.ru}: ожидалось одно из значений: ${oneOf(def)}`,
              'unknown_choice',
            ),
          );
        }
        break;
      case 'multi_choice': {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
          issues.push(
            fieldIssue(field, `${label.en}: expected a list of choices`, `${label.ru}: ожидался список значений`, 'invalid_type'),
          );
          break;
        }
        const unknown = v.filter((x) => !def.choices.some((c) => c.value === x));
        if (unknown.length > 0) {
          issues.push(
            fieldIssue(
              field,
              `${label.en}: no choice ${unknown.map((x) => `"${x}"`).join(', ')}; expected some of: ${oneOf(def)}`,
              `${label.ru}: нет варианта ${unknown.map((x) => `«${x}»`).join(', ')}; ожидались значения из: ${oneOf(def)}`,
              'unknown_choice',
            ),
          );
        } else if (new Set(v).size !== v.length) {
          const dup = v.find((x, i) => v.indexOf(x) !== i);
          issues.push(fieldIssue(field, `${label.en}: "${dup}" is chosen twice`, `${label.ru}: «${dup}» выбрано дважды`, 'duplicate'));
        }
        break;
      }
      case 'user': {
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
          issues.push(fieldIssue(field, `${label.en}: expected a user id`, `${label.ru}: ожидался id пользователя`, 'invalid_type'));
          break;
        }
        const active = users.get(v);
        if (active === undefined)
          issues.push(
            fieldIssue(field, `${label.en}: no user #${v} in this workspace`, `${label.ru}: нет пользователя #${v}`, 'not_found'),
          );
        else if (!active)
          issues.push(
            fieldIssue(field, `${label.en}: user #${v} is deactivated`, `${label.ru}: пользователь #${v} отключён`, 'inactive_user'),
          );
        break;
      }
      case 'link':
        if (typeof v !== 'string' || !isWebLink(v))
          issues.push(
            fieldIssue(
              field,
              `${label.en}: expected a web address starting with http:// or https://`,
              `${label.ru}: ожидался адрес, начинающийся с http:// или https://`,
              'invalid_url',
            ),
          );
        break;
    }
  }
  return issues;
}
