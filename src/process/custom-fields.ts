import { z } from 'zod';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { CUSTOM_FIELD_TYPES, hasChoices } from '../platform/resource/custom-values.ts';
import { readTime, requiredText, WHAT } from '../platform/resource/fields.ts';
import { idSchema, type Resource } from '../platform/resource/resource.ts';

export const OBJECTS = ['company', 'contact', 'lead', 'deal'] as const;
export const FIELD_TYPES = CUSTOM_FIELD_TYPES;

const choice = z.strictObject({
  value: z.string().trim().min(1).max(100),
  label_ru: z.string().trim().min(1).max(200),
  label_en: z.string().trim().min(1).max(200),
});

export const fieldBlocks: Resource = {
  path: 'field-blocks',
  table: 'field_blocks',
  what: WHAT.fieldBlock,
  defaultSort: 'position',
  fields: {
    object_type: {
      out: z.enum(OBJECTS),
      in: z.enum(OBJECTS),
      required: true,
      updatable: false,
      filter: 'eq',
    },
    name_ru: requiredText(200),
    name_en: requiredText(200),
    position: {
      out: z.number().int(),
      in: z.number().int().min(0).max(10_000),
      sort: true,
    },
    pinned: {
      out: z.boolean(),
      in: z.boolean(),
      filter: 'bool',
      description: 'Shown on top of the card',
    },
    created_at: readTime(),
  },
  immutable: {
    object_type: {
      en: 'a block stays with its object type',
      ru: 'блок нельзя перенести на другой тип объекта',
    },
  },
};

export const customFields: Resource = {
  path: 'custom-fields',
  table: 'custom_fields',
  what: WHAT.customField,
  defaultSort: 'position',
  fields: {
    object_type: {
      out: z.enum(OBJECTS),
      in: z.enum(OBJECTS),
      required: true,
      updatable: false,
      filter: 'eq',
    },
    key: {
      out: z.string(),
      in: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lowercase latin letters, digits and _, starting with a letter'),
      required: true,
      updatable: false,
      filter: 'eq',
    },
    label_ru: requiredText(200),
    label_en: requiredText(200),
    type: {
      out: z.enum(FIELD_TYPES),
      in: z.enum(FIELD_TYPES),
      required: true,
      updatable: false,
      filter: 'eq',
    },
    choices: {
      out: z.array(choice),
      in: z.array(choice).max(200),
      description: 'For types choice and multi_choice: the allowed values with their labels',
    },
    block_id: {
      out: idSchema.nullable(),
      in: idSchema.nullable(),
      filter: 'eq',
      description: 'The block of the card the field is shown in (same object type)',
    },
    position: {
      out: z.number().int(),
      in: z.number().int().min(0).max(10_000),
      sort: true,
    },
    created_at: readTime(),
  },
  immutable: {
    key: {
      en: 'the key is fixed: stored values refer to it',
      ru: 'ключ менять нельзя: на него ссылаются сохранённые значения',
    },
    type: {
      en: 'the type is fixed: create a new field instead',
      ru: 'тип менять нельзя: создайте новое поле',
    },
    object_type: {
      en: 'a field stays with its object type',
      ru: 'поле нельзя перенести на другой тип объекта',
    },
  },
  beforeWrite: async ({ values, existing }) => {
    const issues = checkFieldChoices((values.type ?? existing?.type) as string, (values.choices ?? existing?.choices ?? []) as Choice[]);
    if (issues.length) throw validationError(issues);
  },
};

type Choice = z.infer<typeof choice>;

/**
 * A field's choices for its type: a choice or multi-choice field needs at least one, the others
 * none, and no value twice. `at` is where the choices are (the resource's field, a document's path).
 */
export function checkFieldChoices(type: string, choices: Choice[], at = 'choices') {
  if (hasChoices(type) && choices.length === 0)
    return [fieldIssue(at, 'a choice field needs at least one choice', 'у поля-списка должен быть хотя бы один вариант', 'required')];
  if (!hasChoices(type) && choices.length > 0)
    return [fieldIssue(at, 'only a choice field has choices', 'варианты бывают только у поля-списка')];
  const dup = choices.map((c) => c.value).find((v, i, a) => a.indexOf(v) !== i);
  if (dup) return [fieldIssue(at, `duplicate choice "${dup}"`, `вариант «${dup}» повторяется`, 'duplicate')];
  return [];
}
