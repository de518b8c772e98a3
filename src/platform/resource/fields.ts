import { z } from 'zod';
import type { Msg } from '../errors.ts';
import { MAX_MINOR } from '../money.ts';
import { type Field, idSchema, isoTime } from './resource.ts';

/** Field builders shared by the resource descriptions. */
export const text = (max: number, extra: Partial<Field> = {}): Field => ({
  out: z.string().nullable(),
  in: z.string().trim().max(max).nullable(),
  ...extra,
});

export const requiredText = (max: number, extra: Partial<Field> = {}): Field => ({
  out: z.string(),
  in: z.string().trim().min(1).max(max),
  required: true,
  ...extra,
});

export const ref = (table: string, what: Msg, extra: Partial<Field> = {}): Field => ({
  out: idSchema.nullable(),
  in: idSchema.nullable(),
  ref: { table, what },
  filter: 'eq',
  ...extra,
});

export const readTime = (extra: Partial<Field> = {}): Field => ({
  out: isoTime,
  filter: 'time',
  sort: true,
  ...extra,
});
export const readTimeOrNull = (extra: Partial<Field> = {}): Field => ({
  out: isoTime.nullable(),
  filter: 'time',
  sort: true,
  ...extra,
});
export const writeTime = (extra: Partial<Field> = {}): Field => ({
  out: isoTime.nullable(),
  in: isoTime.nullable(),
  filter: 'time',
  sort: true,
  ...extra,
});

export const oneOf = <T extends string>(values: readonly [T, ...T[]], extra: Partial<Field> = {}): Field => ({
  out: z.enum(values),
  in: z.enum(values),
  filter: 'eq',
  ...extra,
});

export const moneyMinor = z
  .number()
  .int()
  .min(0)
  .max(MAX_MINOR)
  .describe('Integer minor units of the workspace currency (kopecks, cents; a yen is 1, a Kuwaiti dinar is 1000)');
export const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code such as RUB');

export const WHAT = {
  company: { en: 'company', ru: 'компания' },
  contact: { en: 'contact', ru: 'контакт' },
  lead: { en: 'lead', ru: 'лид' },
  deal: { en: 'deal', ru: 'сделка' },
  pipeline: { en: 'pipeline', ru: 'воронка' },
  stage: { en: 'stage', ru: 'этап' },
  user: { en: 'user', ru: 'пользователь' },
  segment: { en: 'segment', ru: 'сегмент' },
  channel: { en: 'channel', ru: 'канал' },
  disqualifyReason: { en: 'disqualification reason', ru: 'причина дисквалификации' },
  activity: { en: 'activity', ru: 'активность' },
  task: { en: 'task', ru: 'задача' },
  customField: { en: 'custom field', ru: 'дополнительное поле' },
  fieldBlock: { en: 'field block', ru: 'блок полей' },
} satisfies Record<string, Msg>;

/** The users a record is shared with beyond its owner and team (src/platform/auth/access.ts). */
export const sharedWith: Field = {
  out: z.array(idSchema),
  in: z
    .array(idSchema)
    .max(100)
    .refine((a) => new Set(a).size === a.length, 'each user once'),
  pgArray: true,
  description: 'Users who see and work on this record besides its owner and their team lead',
};
