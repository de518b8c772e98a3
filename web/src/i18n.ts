import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { accounts } from './locales/accounts';
import { cards } from './locales/cards';
import { designer } from './locales/designer';
import { en } from './locales/en';
import { figures } from './locales/figures';
import { header } from './locales/header';
import { imports } from './locales/imports';
import { layout } from './locales/layout';
import { lists } from './locales/lists';
import { marketing } from './locales/marketing';
import { notifications } from './locales/notifications';
import { pipelines } from './locales/pipelines';
import { playbooks } from './locales/playbooks';
import { remarks } from './locales/remarks';
import { ru } from './locales/ru';
import { setup } from './locales/setup';
import { shortcuts } from './locales/shortcuts';
import { standard } from './locales/standard';
import { users } from './locales/users';

export type Lang = 'ru' | 'en';

/** The saved choice, else the browser's language (Russian for ru-*, English otherwise). */
export function initialLanguage(): Lang {
  const saved = localStorage.getItem('voronka.lang');
  if (saved === 'ru' || saved === 'en') return saved;
  return navigator.language?.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

i18n.use(initReactI18next).init({
  // A feature's strings live in its own file (web/src/locales/<feature>.ts), under the feature's key.
  resources: {
    ru: {
      translation: {
        ...ru,
        header: header.ru,
        lists: lists.ru,
        cards: cards.ru,
        notifications: notifications.ru,
        figures: figures.ru,
        layout: layout.ru,
        imports: imports.ru,
        shortcuts: shortcuts.ru,
        setup: setup.ru,
        users: users.ru,
        standard: standard.ru,
        pipelines: pipelines.ru,
        playbooks: playbooks.ru,
        designer: designer.ru,
        remarks: remarks.ru,
        mkt: marketing.ru,
        acc: accounts.ru,
      },
    },
    en: {
      translation: {
        ...en,
        header: header.en,
        lists: lists.en,
        cards: cards.en,
        notifications: notifications.en,
        figures: figures.en,
        layout: layout.en,
        imports: imports.en,
        shortcuts: shortcuts.en,
        setup: setup.en,
        users: users.en,
        standard: standard.en,
        pipelines: pipelines.en,
        playbooks: playbooks.en,
        designer: designer.en,
        remarks: remarks.en,
        mkt: marketing.en,
        acc: accounts.en,
      },
    },
  },
  lng: initialLanguage(),
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
});

export function setLanguage(lang: Lang) {
  localStorage.setItem('voronka.lang', lang);
  document.documentElement.lang = lang;
  void i18n.changeLanguage(lang);
}
document.documentElement.lang = i18n.language;

export default i18n;
