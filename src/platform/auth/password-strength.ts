import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import { fieldIssue, type Msg, validationError } from '../errors.ts';

/**
 * What a new password must be: 10 to 200 characters, and hard to guess by zxcvbn's estimate
 * (score 3 of 4, "safely unguessable": about 10^8 guesses or more, which against argon2id is
 * a long offline attack). Of a longer password the first `judged` characters are estimated,
 * which bounds the estimator's time (a request waits for it).
 */
export const PASSWORD_RULE = { minLength: 10, maxLength: 200, minScore: 3, judged: 64 } as const;

/** The estimator's warnings, by key, in both languages (its own texts are English only). */
const WARNINGS: Record<string, Msg> = {
  straightRow: { en: 'straight rows of keys are easy to guess', ru: 'ряды клавиш подряд легко подобрать' },
  keyPattern: { en: 'short keyboard patterns are easy to guess', ru: 'короткие узоры на клавиатуре легко подобрать' },
  simpleRepeat: { en: 'repeated characters like "aaa" are easy to guess', ru: 'повторы вроде «aaa» легко подобрать' },
  extendedRepeat: { en: 'repeated patterns like "abcabcabc" are easy to guess', ru: 'повторы вроде «abcabcabc» легко подобрать' },
  sequences: { en: 'sequences like "abc" or "123" are easy to guess', ru: 'последовательности вроде «abc» или «123» легко подобрать' },
  recentYears: { en: 'recent years are easy to guess', ru: 'недавние годы легко подобрать' },
  dates: { en: 'dates are easy to guess', ru: 'даты легко подобрать' },
  topTen: { en: 'this is one of the most used passwords', ru: 'это один из самых частых паролей' },
  topHundred: { en: 'this is a very often used password', ru: 'это очень частый пароль' },
  common: { en: 'this is a commonly used password', ru: 'это распространённый пароль' },
  similarToCommon: { en: 'this is close to a commonly used password', ru: 'это похоже на распространённый пароль' },
  wordByItself: { en: 'single words are easy to guess', ru: 'отдельные слова легко подобрать' },
  namesByThemselves: { en: 'names and surnames by themselves are easy to guess', ru: 'имена и фамилии сами по себе легко подобрать' },
  commonNames: { en: 'common names and surnames are easy to guess', ru: 'распространённые имена и фамилии легко подобрать' },
  userInputs: { en: "it contains the person's name or e-mail", ru: 'в нём есть имя или e-mail пользователя' },
};

let estimator: ZxcvbnFactory | null = null;

/** Built on first use: its dictionaries take a moment to rank. */
function zxcvbn(): ZxcvbnFactory {
  if (estimator) return estimator;
  // Warnings come back as their keys, which WARNINGS gives in both languages.
  const keys = Object.fromEntries(
    Object.entries(en.translations).map(([section, texts]) => [section, Object.fromEntries(Object.keys(texts).map((k) => [k, k]))]),
  ) as unknown as typeof en.translations;
  estimator = new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: keys,
    maxLength: PASSWORD_RULE.judged,
    // Letter-for-symbol variants tried per word: the estimator's time grows fast with more.
    l33tMaxSubstitutions: 10,
  });
  return estimator;
}

/** Why the password is refused, in both languages, or null when it is good enough. */
export function passwordProblem(
  password: string,
  userInputs: readonly (string | null | undefined)[] = [],
): { code: string; message: Msg } | null {
  const { minLength, maxLength, minScore } = PASSWORD_RULE;
  if (password.length < minLength)
    return { code: 'too_short', message: { en: `at least ${minLength} characters`, ru: `не короче ${minLength} символов` } };
  if (password.length > maxLength)
    return { code: 'too_long', message: { en: `at most ${maxLength} characters`, ru: `не длиннее ${maxLength} символов` } };
  // The person's name and e-mail, whole and in parts, count as known words.
  const inputs = userInputs.flatMap((s) => (s ? [s, ...s.split(/[\s@.+_-]+/u).filter((p) => p.length >= 3)] : []));
  const r = zxcvbn().check(password, inputs);
  if (r.score >= minScore) return null;
  const why = r.feedback.warning ? WARNINGS[r.feedback.warning] : undefined;
  return {
    code: 'weak_password',
    message: {
      en: `too easy to guess${why ? `: ${why.en}` : ''}; use a longer phrase of several unrelated words`,
      ru: `пароль слишком легко подобрать${why ? `: ${why.ru}` : ''}; возьмите фразу подлиннее из нескольких не связанных слов`,
    },
  };
}

/**
 * The one check of a new password, wherever one is set (user creation, an admin's reset, the
 * demo, the command line — all through `hashPassword`): a 400 naming the field `password`.
 */
export function checkPassword(password: string, userInputs: readonly (string | null | undefined)[] = []): void {
  const problem = passwordProblem(password, userInputs);
  if (problem) throw validationError([fieldIssue('password', problem.message.en, problem.message.ru, problem.code)]);
}
