/**
 * The shell's strings — the skip link, the phone's bottom bar, the board's drag-and-drop
 * announcements for screen readers — under the `layout` key of both languages (merged in
 * web/src/i18n.ts).
 */
const ru = {
  skip: 'Перейти к содержимому',
  more: 'Ещё',
  moreTitle: 'Все разделы',
  short: {
    tasks: 'Задачи',
    board: 'Доска',
    dashboard: 'Дашборд',
    yesterday: 'Вчера',
    deals: 'Сделки',
    companies: 'Компании',
    contacts: 'Контакты',
    leads: 'Лиды',
    marketing: 'Маркетинг',
    accounts: 'Клиенты',
    review: 'Нетиповые',
    settings: 'Настройки',
  },
  dnd: {
    role: 'перетаскиваемая карточка',
    instructions:
      'Чтобы взять карточку сделки, нажмите пробел или Enter. Стрелками переносите её между этапами, пробелом или Enter отпустите, Esc — отмена.',
    start: 'Карточка «{{deal}}» взята, этап «{{stage}}».',
    over: 'Карточка «{{deal}}» над этапом «{{stage}}».',
    overNone: 'Карточка «{{deal}}» вне этапов.',
    end: 'Карточка «{{deal}}» отпущена на этапе «{{stage}}».',
    endNone: 'Карточка «{{deal}}» отпущена вне этапов, сделка не перенесена.',
    cancel: 'Перенос отменён, карточка «{{deal}}» осталась на этапе «{{stage}}».',
  },
};

const en: typeof ru = {
  skip: 'Skip to content',
  more: 'More',
  moreTitle: 'All sections',
  short: {
    tasks: 'Tasks',
    board: 'Board',
    dashboard: 'Dashboard',
    yesterday: 'Yesterday',
    deals: 'Deals',
    companies: 'Companies',
    contacts: 'Contacts',
    leads: 'Leads',
    marketing: 'Marketing',
    accounts: 'Accounts',
    review: 'Review',
    settings: 'Settings',
  },
  dnd: {
    role: 'draggable card',
    instructions:
      'To pick up a deal card, press Space or Enter. Use the arrow keys to move it between stages, Space or Enter to drop it, Escape to cancel.',
    start: 'Picked up the card “{{deal}}” in stage “{{stage}}”.',
    over: 'The card “{{deal}}” is over stage “{{stage}}”.',
    overNone: 'The card “{{deal}}” is not over a stage.',
    end: 'Dropped the card “{{deal}}” on stage “{{stage}}”.',
    endNone: 'Dropped the card “{{deal}}” outside the stages; the deal was not moved.',
    cancel: 'Move cancelled; the card “{{deal}}” stays in stage “{{stage}}”.',
  },
};

export const layout = { ru, en };
