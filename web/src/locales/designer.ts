/** Strings of the standard's "designer" screens, under the `designer` key (merged in web/src/i18n.ts). */
const ru = {
  title: '',
};
const en: typeof ru = {
  title: '',
};
export const designer = { ru, en };
