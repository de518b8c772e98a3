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
