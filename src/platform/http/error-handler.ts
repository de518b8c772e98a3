import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DbError } from '../db/types.ts';
import { AppError, type FieldIssue, httpStatusOf, type Locale, pick } from '../errors.ts';
import { requestLocale } from './locale.ts';
import { RequestValidationError } from './validation.ts';

interface ErrorBody {
  error: {
    code: string;
    message: string;
    fields?: { field: string; message: string; code?: string }[];
    [k: string]: unknown;
  };
}

function body(locale: Locale, code: string, message: string, fields?: FieldIssue[], extra: Record<string, unknown> = {}): ErrorBody {
  return {
    error: {
      code,
      message,
      ...(fields
        ? {
            fields: fields.map((f) => ({
              field: f.field,
              message: pick(f.message, locale),
              code: f.code,
            })),
          }
        : {}),
      ...extra,
    },
  };
}

/** Columns named in constraint failures → API field names (they are the same by design). */
function fieldOfConstraint(e: DbError): string | undefined {
  if (e.column) return e.column;
  const m = /\(([a-z_, ]+)\)=/.exec(e.detail ?? '');
  if (m)
    return m[1]
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== 'workspace_id')
      .join(',');
  return undefined;
}

/**
 * One place where every failure becomes an HTTP answer. Bad input never reaches
 * 500: malformed JSON, wrong types, unknown fields and database constraint
 * failures all answer 4xx naming the field.
 */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  const locale = requestLocale(req);
  if (err instanceof RequestValidationError) {
    const fields = err.fields;
    const message =
      locale === 'ru'
        ? `Ошибка в ${err.part === 'query' ? 'параметрах запроса' : err.part === 'params' ? 'адресе' : 'теле запроса'}: ${fields.map((f) => `${f.field} — ${pick(f.message, 'ru')}`).join('; ')}`
        : `invalid ${err.part}: ${fields.map((f) => `${f.field}: ${pick(f.message, 'en')}`).join('; ')}`;
    return reply.status(400).send(body(locale, 'VALIDATION_FAILED', message, fields, { in: err.part }));
  }
  if (err instanceof AppError) {
    const { fields, ...extra } = err.details;
    return reply.status(httpStatusOf(err.code)).send(body(locale, err.code, pick(err.msg, locale), fields, extra));
  }
  if (err instanceof DbError) {
    const field = fieldOfConstraint(err);
    switch (err.code) {
      case '23505':
        return reply.status(409).send(
          body(
            locale,
            'CONFLICT',
            locale === 'ru' ? `такое значение уже есть${field ? `: ${field}` : ''}` : `already exists${field ? `: ${field}` : ''}`,
            field
              ? [
                  {
                    field,
                    code: 'duplicate',
                    message: {
                      en: 'value already used',
                      ru: 'значение уже занято',
                    },
                  },
                ]
              : undefined,
          ),
        );
      case '23503':
        return reply.status(400).send(
          body(
            locale,
            'VALIDATION_FAILED',
            locale === 'ru'
              ? `ссылка на несуществующую запись${field ? `: ${field}` : ''}`
              : `refers to a record that does not exist${field ? `: ${field}` : ''}`,
            field
              ? [
                  {
                    field,
                    code: 'not_found',
                    message: {
                      en: 'no such record in this workspace',
                      ru: 'нет такой записи в этом пространстве',
                    },
                  },
                ]
              : undefined,
          ),
        );
      case '23514':
      case '23502':
      // A NUL character (or another one the database encoding cannot hold) in a text value.
      case '22021':
      case '22P05':
      case '22P02':
      case '22003':
      case '22001':
      case '22007':
      case '22008':
        return reply.status(400).send(
          body(
            locale,
            'VALIDATION_FAILED',
            locale === 'ru'
              ? `недопустимое значение${field ? `: ${field}` : ''} (${err.constraint ?? err.code})`
              : `value not allowed${field ? `: ${field}` : ''} (${err.constraint ?? err.code})`,
            field
              ? [
                  {
                    field,
                    code: 'invalid',
                    message: {
                      en: 'value not allowed',
                      ru: 'недопустимое значение',
                    },
                  },
                ]
              : undefined,
          ),
        );
      case '40001':
      case '40P01':
      case '55P03':
        return reply
          .status(409)
          .send(
            body(
              locale,
              'CONFLICT',
              locale === 'ru' ? 'одновременное изменение, повторите запрос' : 'concurrent change, retry the request',
            ),
          );
      case '55000':
        return reply.status(409).send(body(locale, 'CONFLICT', err.message));
    }
  }
  const fe = err as FastifyError;
  if (
    fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    (fe.statusCode === 400 && err instanceof SyntaxError)
  ) {
    return reply.status(400).send(
      body(locale, 'VALIDATION_FAILED', locale === 'ru' ? `некорректный JSON: ${err.message}` : `malformed JSON: ${err.message}`, [
        {
          field: '(body)',
          code: 'malformed_json',
          message: { en: err.message, ru: err.message },
        },
      ]),
    );
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fe.statusCode === 415) {
    return reply
      .status(415)
      .send(
        body(
          locale,
          'UNSUPPORTED_MEDIA_TYPE',
          locale === 'ru' ? 'тело запроса должно быть application/json' : 'the body must be application/json',
        ),
      );
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fe.statusCode === 413) {
    return reply
      .status(413)
      .send(body(locale, 'PAYLOAD_TOO_LARGE', locale === 'ru' ? 'тело запроса слишком велико' : 'request body too large'));
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return reply.status(fe.statusCode).send(body(locale, 'VALIDATION_FAILED', err.message));
  }
  // Logged at every log setting (docs/operations.md), with the request id the answer gives the client.
  req.log.error({ err, req }, 'unhandled error');
  loggedErrors.add(req);
  // Under the test runner pino's async output can be lost when a worker exits: print it too.
  if (process.env.VITEST) console.error(`${req.method} ${req.url}:`, err);
  return reply.status(500).send(
    body(locale, 'INTERNAL', locale === 'ru' ? 'внутренняя ошибка сервера' : 'internal server error', undefined, {
      request_id: req.id,
    }),
  );
}

/** Requests whose unexpected error the handler has logged (the server's `onResponse` logs any other 5xx). */
export const loggedErrors = new WeakSet<FastifyRequest>();
