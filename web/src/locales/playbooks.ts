/** Strings of the standard's "playbooks" screens, under the `playbooks` key (merged in web/src/i18n.ts). */
const ru = {
  title: '',
};
const en: typeof ru = {
  title: '',
};
export const playbooks = { ru, en };
