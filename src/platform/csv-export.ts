import { stringify } from 'csv-stringify/sync';

/** A cell as the product writes it: text, a number, a boolean (1 or empty), or nothing (empty). */
export type CsvCell = string | number | boolean | null | undefined;

export interface CsvExportOptions {
  /** The header row (the product's own words, escaped like any cell). */
  columns: readonly string[];
  /** `;` by default: what a Russian Excel splits on when it opens a file as is. */
  delimiter?: ';' | ',';
  /**
   * What separates a number's decimals: `.` by default (the audit log); `,` for a Russian file, where
   * Excel reads `1234,56` as a number. Numbers are never grouped into thousands: a space between
   * groups makes the cell text in a spreadsheet whose group separator is another space.
   */
  decimal?: '.' | ',';
}

/**
 * Every CSV file the product writes for people to open (the audit log, lists, drill-downs) goes through here:
 * semicolons, UTF-8 with a BOM and CRLF line ends, so that Excel opens it as is in Russian, and no
 * live formulas. A text cell that a spreadsheet would read as a formula or a command — it begins
 * with `=`, `+`, `-`, `@`, a tab or a carriage return, or the full-width `＝ ＋ － ＠` that some
 * spreadsheets take for them — is written with a single quote in front (the OWASP rule for CSV
 * injection): `=HYPERLINK(…)` in a user's name reaches the sheet as the text `'=HYPERLINK(…)`.
 * Only text cells are escaped: a number is written as a number, so a negative amount stays `-42`,
 * a number to the spreadsheet. A value that must stay numeric has to be passed as a number, not as
 * its text (`'-5` is text in the sheet). This is csv-stringify's `escape_formulas`, on for every
 * file, in one place.
 */
export function csvExport(rows: readonly (readonly CsvCell[])[], opts: CsvExportOptions): string {
  return stringify(
    rows.map((r) => [...r]),
    {
      header: true,
      columns: [...opts.columns],
      delimiter: opts.delimiter ?? ';',
      bom: true,
      record_delimiter: 'windows',
      escape_formulas: true,
      // A number stays a number to the formula check, whatever its decimal separator: `-1234,5` is
      // not escaped (csv-stringify looks at the cell's type, not its text).
      ...(opts.decimal === ',' ? { cast: { number: (n: number) => String(n).replace('.', ',') } } : {}),
    },
  );
}

/**
 * A CSV for a program rather than a person — the canonical bundle that `import` reads back
 * (`workspace export`): UTF-8 without a BOM, commas, LF, every value as it is (no formula
 * escaping: an apostrophe in front would change the data a re-import reads).
 */
export function csvData(rows: readonly (readonly CsvCell[])[], columns: readonly string[]): string {
  return stringify(
    rows.map((r) => [...r]),
    { header: true, columns: [...columns], delimiter: ',' },
  );
}
