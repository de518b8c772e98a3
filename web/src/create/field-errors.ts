import type { TFunction } from 'i18next';
import type { DecimalParse } from '../../../src/platform/money';
import { ApiError, type FieldError } from '../api';

/** A form's problems by the API's field name (`inn`, `company_id`, `amount_minor`); `''` for the form as a whole. */
export type Errors = Record<string, string>;

/**
 * The message shown next to a field the server refused. The server names the field and the
 * kind of problem (zod's issue code, or ours) and words it in the request's language; for the
 * problems a person meets on day one the form says it in its own words (zod's Russian «Неверная
 * строка: должна соответствовать шаблону /^\d{10}(\d{2})?$/» is not for people), otherwise it
 * shows the server's message as it is.
 */
export function fieldMessage(f: FieldError, t: TFunction): string {
  const code = f.code ?? '';
  if (code === 'required') return t('header.create.errors.required');
  if (f.field === 'inn' && code === 'invalid_format') return t('header.create.errors.inn');
  if (f.field === 'email' && code === 'invalid_format') return t('header.create.errors.email');
  if (f.field === 'amount_minor' && code === 'too_small') return t('header.create.errors.amountNegative');
  if (f.field === 'amount_minor' && code === 'too_big') return t('header.create.errors.amountLarge');
  if (code === 'too_small' && /^(name|title)$/.test(f.field)) return t('header.create.errors.required');
  if (code === 'too_big' && !f.field.endsWith('_id')) return t('header.create.errors.tooLong');
  if (code === 'not_found') return t('header.create.errors.notFound');
  return f.message;
}

/**
 * A refused create → messages by field: the ones the form shows go next to their field, any
 * other (a field the form does not show, or no field at all) to the form's top, with its name.
 */
export function errorsOf(e: unknown, shown: readonly string[], t: TFunction): Errors {
  if (!(e instanceof ApiError)) return { '': t('header.create.failed', { message: (e as Error)?.message ?? String(e) }) };
  const out: Errors = {};
  const other: string[] = [];
  for (const f of e.fields) {
    if (shown.includes(f.field)) out[f.field] ??= fieldMessage(f, t);
    else other.push(`${f.field}: ${fieldMessage(f, t)}`);
  }
  if (other.length) out[''] = other.join('; ');
  else if (e.fields.length === 0) out[''] = t('header.create.failed', { message: e.message });
  return out;
}

/** Why an amount typed in the form is not one, in the form's words. */
export function amountProblem(p: Exclude<DecimalParse, { ok: true }>, currency: string, digits: number, t: TFunction): string {
  if (p.problem === 'too_large') return t('header.create.errors.amountLarge');
  if (p.problem === 'not_a_number') return t('header.create.errors.notAmount');
  return digits === 0 ? t('header.create.errors.amountWhole', { currency }) : t('header.create.errors.amountDecimals', { count: digits });
}
