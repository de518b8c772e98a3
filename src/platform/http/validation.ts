import type { FastifySchemaCompiler } from 'fastify';
import { type ZodType, z } from 'zod';
import type { FieldIssue, Msg } from '../errors.ts';

const ruLocale = z.locales.ru();

/**
 * A schema's own message in both languages: zod carries one string, so the English text stands
 * for the pair and the Russian is found again when the issue becomes a field issue (otherwise a
 * `.regex(…, 'message')` would answer Russian users with zod's «должна соответствовать шаблону»).
 */
const OWN_MESSAGES = new Map<string, Msg>();
export function ownMessage(m: Msg): string {
  OWN_MESSAGES.set(m.en, m);
  return m.en;
}

/** Zod issues → field issues naming each bad field, with messages in both languages. */
export function issuesToFields(issues: readonly z.core.$ZodIssue[], prefix = ''): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          field: base ? `${base}.${key}` : key,
          code: 'unknown_field',
          message: { en: 'unknown field', ru: 'неизвестное поле' },
        });
      }
      continue;
    }
    const own = OWN_MESSAGES.get(issue.message);
    if (own) {
      out.push({ field: base || '(body)', code: issue.code, message: own });
      continue;
    }
    const raw = issue as unknown as z.core.$ZodRawIssue;
    const ruText = issue.code === 'custom' ? issue.message : ruLocale.localeError(raw);
    const missing = issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined;
    out.push({
      field: base || '(body)',
      code: missing ? 'required' : issue.code,
      message: missing
        ? {
            en: 'required field is missing',
            ru: 'обязательное поле не заполнено',
          }
        : {
            en: issue.message,
            ru: typeof ruText === 'string' ? ruText : issue.message,
          },
    });
  }
  return out;
}

/** Raised by the validator; the error handler turns it into a 400 naming every field. */
export class RequestValidationError extends Error {
  constructor(
    readonly part: string,
    readonly fields: FieldIssue[],
  ) {
    super(`invalid ${part}`);
  }
}

/**
 * Fastify validator over zod, parsing with `reportInput` so that messages can say
 * what was received. Schemas are the same objects the OpenAPI document is built from.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const r = schema.safeParse(data, { reportInput: true });
    if (r.success) return { value: r.data };
    const part = httpPart === 'querystring' ? 'query' : (httpPart ?? 'body');
    return {
      error: new RequestValidationError(part, issuesToFields(r.error.issues)),
    };
  };
