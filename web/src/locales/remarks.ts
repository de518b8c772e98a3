/** Strings of the standard's "remarks" screens, under the `remarks` key (merged in web/src/i18n.ts). */
const ru = {
  title: '',
};
const en: typeof ru = {
  title: '',
};
export const remarks = { ru, en };
