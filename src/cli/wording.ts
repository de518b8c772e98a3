import type { Locale } from '../platform/errors.ts';
import { cliLocale } from './cli-locale.ts';

/**
 * How the CLI writes counts and numbers, in one place: a count with its noun in the plural form
 * CLDR gives the number (Intl.PluralRules, the categories the web app's i18next keys `_one`,
 * `_few`, `_many` use) — 1 сделка, 3 сделки, 5 сделок, 21 сделка / 1 deal, 3 deals — and numbers
 * the way the language writes them: «1 234», «0,4 с» / "1,234", "0.4 s".
 */

const RULES = { en: new Intl.PluralRules('en'), ru: new Intl.PluralRules('ru') };

/** A noun in both languages: English one / other, Russian one / few / many. */
export interface Noun {
  en: [one: string, other: string];
  ru: [one: string, few: string, many: string];
}

/** The nouns the CLI counts. */
export const NOUNS = {
  deal: { en: ['deal', 'deals'], ru: ['сделка', 'сделки', 'сделок'] },
  row: { en: ['row', 'rows'], ru: ['строка', 'строки', 'строк'] },
  stageEntry: { en: ['stage entry', 'stage entries'], ru: ['переход по этапам', 'перехода по этапам', 'переходов по этапам'] },
  entry: { en: ['stage entry', 'stage entries'], ru: ['переход', 'перехода', 'переходов'] },
  activity: { en: ['activity', 'activities'], ru: ['событие', 'события', 'событий'] },
  task: { en: ['task', 'tasks'], ru: ['задача', 'задачи', 'задач'] },
  table: { en: ['table', 'tables'], ru: ['таблица', 'таблицы', 'таблиц'] },
  statement: { en: ['statement', 'statements'], ru: ['запрос', 'запроса', 'запросов'] },
  workspace: { en: ['workspace', 'workspaces'], ru: ['пространство', 'пространства', 'пространств'] },
  check: { en: ['check', 'checks'], ru: ['проверка', 'проверки', 'проверок'] },
  problem: { en: ['problem', 'problems'], ru: ['проблема', 'проблемы', 'проблем'] },
  sequence: { en: ['id sequence', 'id sequences'], ru: ['счётчик id', 'счётчика id', 'счётчиков id'] },
  company: { en: ['company', 'companies'], ru: ['компания', 'компании', 'компаний'] },
  contact: { en: ['contact', 'contacts'], ru: ['контакт', 'контакта', 'контактов'] },
  lead: { en: ['lead', 'leads'], ru: ['лид', 'лида', 'лидов'] },
  user: { en: ['user', 'users'], ru: ['пользователь', 'пользователя', 'пользователей'] },
} satisfies Record<string, Noun>;

const tag = (locale: Locale) => (locale === 'ru' ? 'ru-RU' : 'en-US');

/** A number as the language writes it: «1 234,5» / "1,234.5" (at most `digits` decimals). */
export function number(n: number, locale: Locale = cliLocale(), digits = 1): string {
  return new Intl.NumberFormat(tag(locale), { maximumFractionDigits: digits }).format(n);
}

/** The form of a noun for `n`: a fraction takes Russian's "few" form (1,5 сделки), as i18next's `_other`. */
export function nounFor(n: number, noun: Noun, locale: Locale = cliLocale()): string {
  if (locale === 'ru') {
    const c = RULES.ru.select(n);
    return c === 'one' ? noun.ru[0] : c === 'many' ? noun.ru[2] : noun.ru[1];
  }
  return RULES.en.select(n) === 'one' ? noun.en[0] : noun.en[1];
}

/** A count and its noun: «1 сделка», «3 сделки», «5 сделок», «21 сделка», «1 234 сделки» / "1 deal", "1,234 deals". */
export function count(n: number, noun: Noun, locale: Locale = cliLocale()): string {
  return `${number(n, locale)} ${nounFor(n, noun, locale)}`;
}

/** Both languages of a count, for a message that carries both ({ en, ru }). */
export function countBoth(n: number, noun: Noun): { en: string; ru: string } {
  return { en: count(n, noun, 'en'), ru: count(n, noun, 'ru') };
}

/** Seconds with one decimal and the unit: «0,4 с» / "0.4 s". */
export function seconds(s: number, locale: Locale = cliLocale()): string {
  const v = new Intl.NumberFormat(tag(locale), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(s);
  return `${v} ${locale === 'ru' ? 'с' : 's'}`;
}

/** Milliseconds: «12,3 мс» / "12.3 ms". */
export function millis(ms: number, locale: Locale = cliLocale()): string {
  return `${number(ms, locale)} ${locale === 'ru' ? 'мс' : 'ms'}`;
}

/** A fraction as a percentage: «66,7 %» / "66.7%". */
export function percent(v: number, locale: Locale = cliLocale()): string {
  return new Intl.NumberFormat(tag(locale), { style: 'percent', maximumFractionDigits: 1 }).format(v);
}

/**
 * Commander's own messages (an unknown command, a missing argument) and help titles in Russian:
 * the rest of the CLI speaks the terminal's language, so these must too.
 */
export function commanderRu(text: string): string {
  return text
    .replace(/^error: unknown command '([^']*)'/m, 'ошибка: неизвестная команда «$1»')
    .replace(/^error: unknown option '([^']*)'/m, 'ошибка: неизвестный параметр «$1»')
    .replace(/^error: missing required argument '([^']*)'/m, 'ошибка: не указан обязательный аргумент «$1»')
    .replace(/^error: option '([^']*)' argument missing/m, 'ошибка: у параметра «$1» нет значения')
    .replace(/^error: required option '([^']*)' not specified/m, 'ошибка: не указан обязательный параметр «$1»')
    .replace(
      /^error: too many arguments( for '([^']*)')?\. Expected (\d+) arguments? but got (\d+)\./m,
      (_m, _f, cmd, want, got) =>
        `ошибка: слишком много аргументов${cmd ? ` у команды «${cmd}»` : ''}: ожидалось ${want}, получено ${got}.`,
    )
    .replace(/^error: (.*) cannot be used with (.*)$/m, 'ошибка: $1 нельзя указывать вместе с $2')
    .replace(/\(Did you mean (.*)\?\)/, '(может быть, $1?)')
    .replace('(add --help for additional information)', '(подробнее — с --help)');
}

/** Help's section titles in Russian. */
export const HELP_TITLES_RU: Record<string, string> = {
  'Usage:': 'Использование:',
  'Options:': 'Параметры:',
  'Commands:': 'Команды:',
  'Arguments:': 'Аргументы:',
  'Global Options:': 'Общие параметры:',
};
