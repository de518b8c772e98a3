/**
 * Typed domain errors. Each code maps to one HTTP status in `httpStatusOf` (an
 * exhaustive switch: adding a code without a status does not compile).
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'VERSION_CONFLICT'
  | 'CONFLICT'
  | 'STAGE_NOT_IN_PIPELINE'
  | 'INVALID_MOVE'
  | 'STAGE_REQUIREMENTS_MISSING'
  | 'IMPORT_ROW_INVALID'
  | 'IMPORT_FILE_INVALID'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'NOT_ENOUGH_DATA'
  | 'REPORT_TIMEOUT';

/** A message in both languages the product speaks; the request's locale picks one. */
export interface Msg {
  en: string;
  ru: string;
}
export type Locale = 'ru' | 'en';

export interface FieldIssue {
  /** Dotted path of the bad field, e.g. `amount_minor` or `custom.budget`. */
  field: string;
  message: string | Msg;
  /** Machine-readable kind of the problem (zod's issue code or ours). */
  code?: string;
}

export const pick = (m: string | Msg, locale: Locale): string => (typeof m === 'string' ? m : m[locale]);

export class AppError extends Error {
  readonly msg: Msg;
  constructor(
    readonly code: ErrorCode,
    message: string | Msg,
    readonly details: { fields?: FieldIssue[]; [k: string]: unknown } = {},
  ) {
    super(pick(message, 'en'));
    this.msg = typeof message === 'string' ? { en: message, ru: message } : message;
    this.name = 'AppError';
  }
}

export const fieldIssue = (field: string, en: string, ru: string, code = 'invalid'): FieldIssue => ({
  field,
  message: { en, ru },
  code,
});

export const validationError = (fields: FieldIssue[]) =>
  new AppError(
    'VALIDATION_FAILED',
    {
      en: fields.map((f) => `${f.field}: ${pick(f.message, 'en')}`).join('; '),
      ru: fields.map((f) => `${f.field}: ${pick(f.message, 'ru')}`).join('; '),
    },
    { fields },
  );

/** `what` names the object in both languages, e.g. {en: 'deal', ru: 'сделка'}. */
export const notFound = (what: Msg, id?: unknown) =>
  new AppError(
    'NOT_FOUND',
    id === undefined
      ? { en: `${what.en} not found`, ru: `Не найдено: ${what.ru}` }
      : {
          en: `${what.en} ${String(id)} not found`,
          ru: `Не найдено: ${what.ru} ${String(id)}`,
        },
  );

/**
 * A stale write. `changes`: what others changed since the caller's version (`changesSince` in
 * audit.ts) — who, when, which field, from → to — so the card can say it in words.
 */
export const versionConflict = (what: Msg, id: unknown, current: number, given: number, changes: unknown[] = []) =>
  new AppError(
    'VERSION_CONFLICT',
    {
      en: `${what.en} ${String(id)} was changed by someone else (version ${current}, yours ${given}): reload it and apply your change again`,
      ru: `Конфликт версий: ${what.ru} ${String(id)} уже изменили (версия ${current}, у вас ${given}). Обновите карточку и повторите изменение`,
    },
    { current_version: current, your_version: given, changes },
  );

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'VALIDATION_FAILED':
    case 'IMPORT_ROW_INVALID':
    case 'IMPORT_FILE_INVALID':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'VERSION_CONFLICT':
    case 'CONFLICT':
      return 409;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'STAGE_NOT_IN_PIPELINE':
    case 'INVALID_MOVE':
    case 'STAGE_REQUIREMENTS_MISSING':
    case 'NOT_ENOUGH_DATA':
      return 422;
    case 'RATE_LIMITED':
      return 429;
    case 'REPORT_TIMEOUT':
      return 503;
  }
}
