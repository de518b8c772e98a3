import type { Locale } from '../platform/errors.ts';

// Kept free of imports (but a type), so that `voronka --help` and the parsing of options load nothing else.

/** The CLI speaks the language of the terminal: LANG/LC_ALL ru_* → Russian, otherwise English. */
export function cliLocale(): Locale {
  const lang = process.env.VORONKA_LANG ?? process.env.LC_ALL ?? process.env.LC_MESSAGES ?? process.env.LANG ?? '';
  return lang.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

export const say = (en: string, ru: string) => (cliLocale() === 'ru' ? ru : en);
