import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { type CsvCell, csvExport } from '../csv-export.ts';
import { minorDigits, toMajor } from '../money.ts';

/**
 * A table for people to open in a spreadsheet — a list or a drill-down — written once as typed
 * cells and then as CSV (through `csvExport`, the one CSV writer) or XLSX (exceljs). The cells keep
 * their kind to the end: an amount is a number in major units with its currency's decimals, a time
 * is a date and time on the workspace's clock, a text stays text however it begins.
 */
export type ExportCell =
  | { kind: 'text'; value: string | null }
  | { kind: 'number'; value: number | null }
  /** Minor units of `currency` (src/platform/money.ts knows its decimals). */
  | { kind: 'money'; minor: number | null; currency: string }
  | { kind: 'time'; value: string | Date | null };

export interface ExportColumn {
  /** The header, in the file's language. */
  header: string;
  /** Width in characters in the XLSX sheet. */
  width: number;
}

export interface ExportTable {
  columns: readonly ExportColumn[];
  rows: readonly (readonly ExportCell[])[];
  /** The workspace's IANA time zone: times are written as its wall clock. */
  timeZone: string;
  lang: 'ru' | 'en';
  /** The sheet's name (XLSX). */
  title: string;
}

/** The wall-clock parts of an instant in a time zone. */
function wallClock(timeZone: string) {
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  return (at: Date) => {
    const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
    return { y: Number(p.year), mo: Number(p.month), d: Number(p.day), h: Number(p.hour), mi: Number(p.minute), s: Number(p.second) };
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * CSV: `;` between cells and `,` before decimals in Russian (what a Russian Excel splits on and reads
 * as a number), `,` and `.` in English; amounts in major units without thousands groups (`1234,56`);
 * times as `дд.мм.гггг чч:мм` (Russian) or `yyyy-mm-dd hh:mm` (English) on the workspace's clock —
 * both read as dates by Excel in that language. Empty values are empty cells.
 */
export function tableCsv(t: ExportTable): string {
  const clock = wallClock(t.timeZone);
  const ru = t.lang === 'ru';
  const cell = (c: ExportCell): CsvCell => {
    switch (c.kind) {
      case 'text':
        return c.value;
      case 'number':
        return c.value;
      case 'money':
        return c.minor === null ? null : toMajor(c.minor, c.currency);
      case 'time': {
        if (c.value === null) return null;
        const w = clock(new Date(c.value));
        return ru ? `${pad(w.d)}.${pad(w.mo)}.${w.y} ${pad(w.h)}:${pad(w.mi)}` : `${w.y}-${pad(w.mo)}-${pad(w.d)} ${pad(w.h)}:${pad(w.mi)}`;
      }
    }
  };
  return csvExport(
    t.rows.map((r) => r.map(cell)),
    { columns: t.columns.map((c) => c.header), delimiter: ru ? ';' : ',', decimal: ru ? ',' : '.' },
  );
}

/** Excel's number format for an amount with `digits` decimals: `# ##0,00` as a Russian Excel shows it. */
const moneyFormat = (digits: number) => (digits === 0 ? '#,##0' : `#,##0.${'0'.repeat(digits)}`);

/**
 * XLSX: a header row (bold, frozen), column widths, text cells as strings (a cell that begins with
 * `=` is the text `=…`, never a formula: exceljs writes a formula only when given one), amounts as
 * numbers in major units formatted with their currency's decimals, times as dates whose clock is the
 * workspace's (a spreadsheet date has no time zone). Streamed by exceljs' writer into one buffer.
 */
export async function tableXlsx(t: ExportTable): Promise<Buffer> {
  const clock = wallClock(t.timeZone);
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const sheet = wb.addWorksheet(t.title.slice(0, 31).replace(/[\\/?*[\]:]/g, ' '), { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = t.columns.map((c, i) => ({ key: String(i), width: c.width }));
  const header = sheet.addRow(t.columns.map((c) => c.header));
  header.font = { bold: true };
  header.commit();
  const value = (c: ExportCell): ExcelJS.CellValue => {
    if (c.kind === 'money') return c.minor === null ? null : toMajor(c.minor, c.currency);
    if (c.kind !== 'time') return c.value;
    if (c.value === null) return null;
    const w = clock(new Date(c.value));
    return new Date(Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s));
  };
  const dateFormat = t.lang === 'ru' ? 'dd.mm.yyyy hh:mm' : 'yyyy-mm-dd hh:mm';
  for (const r of t.rows) {
    const row = sheet.addRow(r.map(value));
    r.forEach((c, i) => {
      if (c.kind === 'money' && c.minor !== null) row.getCell(i + 1).numFmt = moneyFormat(minorDigits(c.currency));
      else if (c.kind === 'time' && c.value !== null) row.getCell(i + 1).numFmt = dateFormat;
    });
    row.commit();
  }
  sheet.commit();
  await wb.commit();
  await done;
  return Buffer.concat(chunks);
}
