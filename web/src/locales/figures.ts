/** The strings of the figures feature, under the `figures` key of both languages (merged in web/src/i18n.ts). */
const ru = {};
const en: typeof ru = {};
export const figures = { ru, en };
