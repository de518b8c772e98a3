/** The strings of the notifications feature, under the `notifications` key of both languages (merged in web/src/i18n.ts). */
const ru = {};
const en: typeof ru = {};
export const notifications = { ru, en };
