/** Strings of the standard's "pipelines" screens, under the `pipelines` key (merged in web/src/i18n.ts). */
const ru = {
  title: '',
};
const en: typeof ru = {
  title: '',
};
export const pipelines = { ru, en };
