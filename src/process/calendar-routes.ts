import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { DateTime } from 'luxon';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { audit } from '../platform/audit.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable } from '../platform/db/types.ts';
import { AppError, fieldIssue, notFound, validationError } from '../platform/errors.ts';
import { errorResponses, principalOf, scoped } from '../platform/resource/resource-routes.ts';
import { configGuard } from './pipelines.ts';

const dayParam = z.strictObject({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD') });
const entry = z.object({ day: z.string(), kind: z.enum(['holiday', 'workday']), note: z.string().nullable() });
const KIND_WORDS: Record<string, 'holiday' | 'workday'> = {
  holiday: 'holiday',
  выходной: 'holiday',
  праздник: 'holiday',
  нерабочий: 'holiday',
  workday: 'workday',
  рабочий: 'workday',
  'рабочий день': 'workday',
};

function parseDay(raw: string): string | null {
  const s = raw.trim();
  const d = /^\d{2}\.\d{2}\.\d{4}$/.test(s) ? DateTime.fromFormat(s, 'dd.MM.yyyy') : DateTime.fromISO(s);
  return d.isValid && /^\d{4}-\d{2}-\d{2}$|^\d{2}\.\d{2}\.\d{4}$/.test(s) ? d.toISODate() : null;
}

/**
 * A calendar CSV (date;kind;note — Russian headers and words accepted: дата;тип;примечание,
 * выходной/рабочий) → entries. A date listed twice is an overlap and is refused with both lines.
 */
export function parseCalendarCsv(text: string): { day: string; kind: 'holiday' | 'workday'; note: string | null }[] {
  const clean = text.replace(/^\uFEFF/, '');
  const firstLine = clean.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  let rows: string[][];
  try {
    rows = parse(clean, { delimiter, skip_empty_lines: true, relax_column_count: true }) as string[][];
  } catch (e) {
    throw new AppError('IMPORT_FILE_INVALID', {
      en: `calendar: malformed CSV: ${(e as Error).message}`,
      ru: `календарь: некорректный CSV: ${(e as Error).message}`,
    });
  }
  const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
  const col = (names: string[]) => header.findIndex((h) => names.includes(h));
  const iDay = col(['date', 'day', 'дата', 'день']);
  const iKind = col(['kind', 'type', 'тип', 'вид']);
  const iNote = col(['note', 'comment', 'примечание', 'комментарий']);
  if (iDay < 0 || iKind < 0) {
    throw new AppError('IMPORT_FILE_INVALID', {
      en: `calendar: the header needs date and kind columns (found: ${rows[0]?.join(', ') ?? 'nothing'})`,
      ru: `календарь: в заголовке нужны столбцы дата и тип (найдены: ${rows[0]?.join(', ') ?? 'ничего'})`,
    });
  }
  const seen = new Map<string, number>();
  return rows.slice(1).map((r, i) => {
    const line = i + 2;
    const day = parseDay(r[iDay] ?? '');
    const bad = (column: string, en: string, ru: string) =>
      new AppError(
        'IMPORT_ROW_INVALID',
        { en: `calendar, line ${line}, column ${column}: ${en}`, ru: `календарь, строка ${line}, столбец ${column}: ${ru}` },
        { line, column },
      );
    if (!day)
      throw bad(
        'date',
        `"${r[iDay] ?? ''}" is not a date (YYYY-MM-DD or DD.MM.YYYY)`,
        `«${r[iDay] ?? ''}» — не дата (ГГГГ-ММ-ДД или ДД.ММ.ГГГГ)`,
      );
    const kind = KIND_WORDS[(r[iKind] ?? '').trim().toLowerCase()];
    if (!kind)
      throw bad('kind', `"${r[iKind] ?? ''}" is neither holiday nor workday`, `«${r[iKind] ?? ''}» — не «выходной» и не «рабочий»`);
    const prev = seen.get(day);
    if (prev !== undefined) throw bad('date', `${day} is already listed on line ${prev}`, `${day} уже указана в строке ${prev}`);
    seen.set(day, line);
    return { day, kind, note: iNote >= 0 ? (r[iNote] ?? '').trim() || null : null };
  });
}

export async function importCalendar(
  tx: Queryable,
  ws: number,
  entries: { day: string; kind: string; note: string | null }[],
): Promise<{ added: number; changed: number; unchanged: number }> {
  let added = 0;
  let changed = 0;
  let unchanged = 0;
  for (const e of entries) {
    const [old] = await tx.query<{ kind: string; note: string | null }>(
      sql`select kind, note from calendar_days where workspace_id = ${ws} and day = ${e.day}::date`,
    );
    if (!old) added++;
    else if (old.kind !== e.kind || old.note !== e.note) changed++;
    else {
      unchanged++;
      continue;
    }
    await tx.query(sql`insert into calendar_days (workspace_id, day, kind, note) values (${ws}, ${e.day}::date, ${e.kind}, ${e.note})
                       on conflict (workspace_id, day) do update set kind = excluded.kind, note = excluded.note`);
  }
  return { added, changed, unchanged };
}

export function registerCalendarRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['calendar'];
  zapp.get(
    '/api/v1/calendar',
    {
      schema: {
        tags,
        summary: 'Holidays and moved working days of the workspace calendar (Mon–Fri work otherwise)',
        querystring: z.strictObject({
          year: z.coerce.number().int().min(1990).max(2200).optional(),
          lang: z.enum(['ru', 'en']).optional(),
        }),
        response: { 200: z.object({ items: z.array(entry) }), ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => ({
        items: await tx.query<z.infer<typeof entry>>(sql`
          select to_char(day, 'YYYY-MM-DD') as day, kind, note from calendar_days
           where workspace_id = ${p.workspaceId} and (${req.query.year ?? null}::int is null or extract(year from day) = ${req.query.year ?? null}::int)
           order by day`),
      })),
  );
  zapp.put(
    '/api/v1/calendar/:day',
    {
      schema: {
        tags,
        summary: 'Set a date as a holiday or a working day',
        params: dayParam,
        body: z.strictObject({ kind: z.enum(['holiday', 'workday']), note: z.string().trim().max(300).nullable().optional() }),
        response: { 200: entry, ...errorResponses },
      },
    },
    async (req) => {
      configGuard(principalOf(req), 'write');
      const day = parseDay(req.params.day);
      if (!day) throw validationError([fieldIssue('day', `"${req.params.day}" is not a date`, `«${req.params.day}» — не дата`)]);
      return scoped(ctx, req, async (tx, p) => {
        await importCalendar(tx, p.workspaceId, [{ day, kind: req.body.kind, note: req.body.note ?? null }]);
        await audit(tx, {
          workspaceId: p.workspaceId,
          userId: p.userId,
          entity: 'calendar',
          entityId: Number(day.replace(/-/g, '')),
          action: 'update',
          at: ctx.clock.now(),
          changes: { kind: { from: null, to: req.body.kind }, note: { from: null, to: req.body.note ?? null } },
        });
        return { day, kind: req.body.kind, note: req.body.note ?? null };
      });
    },
  );
  zapp.delete(
    '/api/v1/calendar/:day',
    {
      schema: {
        tags,
        summary: 'Remove a date from the calendar (back to the weekday rule)',
        params: dayParam,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      configGuard(principalOf(req), 'write');
      const n = await scoped(ctx, req, async (tx, p) => {
        const k = await tx.run(sql`delete from calendar_days where workspace_id = ${p.workspaceId} and day = ${req.params.day}::date`);
        if (k > 0)
          await audit(tx, {
            workspaceId: p.workspaceId,
            userId: p.userId,
            entity: 'calendar',
            entityId: Number(req.params.day.replace(/-/g, '')),
            action: 'delete',
            at: ctx.clock.now(),
          });
        return k;
      });
      if (n === 0) throw notFound({ en: 'calendar date', ru: 'дата календаря' }, req.params.day);
      return reply.status(204).send(null);
    },
  );
  zapp.post(
    '/api/v1/calendar/import',
    {
      schema: {
        tags,
        summary: 'Import calendar dates from CSV text (date;kind;note; Russian headers accepted)',
        body: z.strictObject({ csv: z.string().min(1).max(1_000_000) }),
        response: { 200: z.object({ added: z.number().int(), changed: z.number().int(), unchanged: z.number().int() }), ...errorResponses },
      },
    },
    async (req) => {
      configGuard(principalOf(req), 'write');
      const entries = parseCalendarCsv(req.body.csv);
      return scoped(ctx, req, async (tx, p) => {
        const r = await importCalendar(tx, p.workspaceId, entries);
        await audit(tx, {
          workspaceId: p.workspaceId,
          userId: p.userId,
          entity: 'calendar',
          entityId: 0,
          action: 'update',
          at: ctx.clock.now(),
          changes: { import: { from: null, to: r } },
        });
        return r;
      });
    },
  );
}
