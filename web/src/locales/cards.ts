/** The strings of the cards feature, under the `cards` key of both languages (merged in web/src/i18n.ts). */
const ru = {};
const en: typeof ru = {};
export const cards = { ru, en };
