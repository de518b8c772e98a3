import { readFileSync } from 'node:fs';
import { importCalendar, parseCalendarCsv } from '../process/calendar-import.ts';
import { type DbOptions, inNamedWorkspace, say } from './cli-support.ts';

/** `voronka calendar import FILE`: holidays and moved working days from CSV. */
export async function calendarImportCommand(file: string, opts: DbOptions & { workspace?: string }): Promise<void> {
  const entries = parseCalendarCsv(readFileSync(file, 'utf8'));
  const r = await inNamedWorkspace(opts, (tx, ws) => importCalendar(tx, ws, entries));
  process.stdout.write(
    say(
      `calendar: ${r.added} added, ${r.changed} changed, ${r.unchanged} unchanged\n`,
      `календарь: добавлено ${r.added}, изменено ${r.changed}, без изменений ${r.unchanged}\n`,
    ),
  );
}
