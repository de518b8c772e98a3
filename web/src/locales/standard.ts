/** The sales-standard section's frame (its tabs), under the `standard` key (merged in web/src/i18n.ts). */
const ru = {
  title: 'Стандарт продаж',
  intro:
    'Правила, по которым работает команда: воронки, требования этапов, регламенты, календарь, карточки. Меняют их администратор и РОП; изменения сразу видны всем.',
  readOnly: 'Стандарт меняют администратор и РОП; вы видите его для справки.',
  tabs: {
    pipelines: 'Воронки и этапы',
    rules: 'Причины и исключения',
    playbooks: 'Требования и задачи',
    calendar: 'Календарь',
    cards: 'Карточки',
    remarks: 'Замечания',
  },
};
const en: typeof ru = {
  title: 'Sales standard',
  intro:
    'The rules the team works by: pipelines, stage requirements, playbooks, calendar, cards. An admin or the head of sales changes them; everyone sees a change at once.',
  readOnly: 'An admin or the head of sales changes the standard; you see it for reference.',
  tabs: {
    pipelines: 'Pipelines and stages',
    rules: 'Reasons and exceptions',
    playbooks: 'Requirements and tasks',
    calendar: 'Calendar',
    cards: 'Cards',
    remarks: 'Remarks',
  },
};
export const standard = { ru, en };
