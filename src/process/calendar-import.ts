import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import sql from 'sql-template-tag';
import type { Queryable } from '../platform/db/types.ts';
import { AppError } from '../platform/errors.ts';

/** The workspace calendar from a production-calendar CSV: parsed and written, for the API and the CLI. */
const KIND_WORDS: Record<string, 'holiday' | 'workday'> = {
  holiday: 'holiday',
  выходной: 'holiday',
  праздник: 'holiday',
  нерабочий: 'holiday',
  workday: 'workday',
  рабочий: 'workday',
  'рабочий день': 'workday',
};

export function parseDay(raw: string): string | null {
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

/** Writes the entries (with `dryRun`, only counts what writing them would do). */
export async function importCalendar(
  tx: Queryable,
  ws: number,
  entries: { day: string; kind: string; note: string | null }[],
  { dryRun = false } = {},
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
    if (dryRun) continue;
    await tx.query(sql`insert into calendar_days (workspace_id, day, kind, note) values (${ws}, ${e.day}::date, ${e.kind}, ${e.note})
                       on conflict (workspace_id, day) do update set kind = excluded.kind, note = excluded.note`);
  }
  return { added, changed, unchanged };
}
