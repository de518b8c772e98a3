import { AppError } from '../platform/errors.ts';

export interface RowProblem {
  file: string;
  line?: number;
  column?: string;
  value?: string;
  reason: { en: string; ru: string };
}

/** The first bad row stops an import: file, line, column and reason, nothing written. */
export function rowError(p: RowProblem): AppError {
  const where = [p.file, p.line !== undefined ? `line ${p.line}` : null, p.column ? `column ${p.column}` : null].filter(Boolean).join(', ');
  const whereRu = [p.file, p.line !== undefined ? `строка ${p.line}` : null, p.column ? `столбец ${p.column}` : null]
    .filter(Boolean)
    .join(', ');
  const value = p.value !== undefined ? ` ("${p.value.length > 80 ? `${p.value.slice(0, 80)}…` : p.value}")` : '';
  return new AppError(
    p.line === undefined ? 'IMPORT_FILE_INVALID' : 'IMPORT_ROW_INVALID',
    { en: `${where}: ${p.reason.en}${value}`, ru: `${whereRu}: ${p.reason.ru}${value}` },
    { file: p.file, line: p.line ?? null, column: p.column ?? null, value: p.value ?? null, reason: p.reason.en },
  );
}

/**
 * csv-parse's error codes in words, in both languages, for the codes the reader does not explain
 * itself with the column and the character (csv-source.ts): the code stays at the end, in
 * brackets, for a bug report — never its English message inside a Russian sentence.
 */
export function csvCodeReason(code: string): { en: string; ru: string } {
  const say = (en: string, ru: string) => ({ en: `${en} (${code})`, ru: `${ru} (${code})` });
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return say('a quote is opened and never closed', 'кавычка открыта и нигде не закрыта');
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return say(
        'a closing quote is followed by something other than the separator or the end of the line',
        'после закрывающей кавычки идёт не разделитель и не конец строки',
      );
    case 'INVALID_OPENING_QUOTE':
      return say('a value has a quote but does not start with one', 'в значении есть кавычка, но оно не начинается с кавычки');
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
      return say('the row has a different number of values than the header', 'в строке не столько значений, сколько столбцов в заголовке');
    case 'CSV_MAX_RECORD_SIZE':
      return say(
        'a row is too long (an unclosed quote may have swallowed the lines after it)',
        'строка слишком длинная (возможно, незакрытая кавычка захватила следующие строки)',
      );
    case 'CSV_OPTION_COLUMNS_MISSING_NAME':
    case 'CSV_INVALID_COLUMN_DEFINITION':
    case 'CSV_INVALID_COLUMN_MAPPING':
      return say('a column of the header has no usable name', 'у столбца в заголовке нет пригодного имени');
    case 'INVALID_BUFFER_STATE':
    case 'CSV_UNKNOWN_ERROR':
      return say('the file could not be read as CSV at this line', 'файл не удалось прочитать как CSV на этой строке');
    default:
      return code.startsWith('CSV_INVALID_OPTION') ||
        code === 'CSV_INVALID_ARGUMENT' ||
        code === 'CSV_IGNORE_LAST_DELIMITERS_REQUIRES_COLUMNS'
        ? say('the CSV reader was set up wrongly: this is a bug in Voronka', 'чтение CSV настроено неверно: это ошибка в Voronka')
        : say('the file could not be read as CSV at this line', 'файл не удалось прочитать как CSV на этой строке');
  }
}

/** A CSV file csv-parse refused as a whole (the Maven reader): the reason in both languages. */
export function csvFailure(e: unknown): { en: string; ru: string } {
  const r = csvCodeReason(String((e as { code?: unknown }).code ?? 'CSV_UNKNOWN_ERROR'));
  return { en: `malformed CSV: ${r.en}`, ru: `некорректный CSV: ${r.ru}` };
}

/** A JSON file JSON.parse refused: where, in both languages, not the engine's English sentence. */
export function jsonFailure(e: unknown): { en: string; ru: string } {
  const m = String((e as Error)?.message ?? '');
  const at = /line (\d+) column (\d+)/.exec(m);
  const pos = /position (\d+)/.exec(m);
  const where = at
    ? { en: ` at line ${at[1]}, column ${at[2]}`, ru: ` в строке ${at[1]}, позиция ${at[2]}` }
    : pos
      ? { en: ` at character ${pos[1]}`, ru: ` на символе ${pos[1]}` }
      : { en: '', ru: '' };
  return {
    en: `not valid JSON${where.en} (check the commas, quotes and brackets)`,
    ru: `некорректный JSON${where.ru} (проверьте запятые, кавычки и скобки)`,
  };
}
