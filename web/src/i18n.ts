import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './locales/en';
import { header } from './locales/header';
import { lists } from './locales/lists';
import { ru } from './locales/ru';

export type Lang = 'ru' | 'en';

/** The saved choice, else the browser's language (Russian for ru-*, English otherwise). */
export function initialLanguage(): Lang {
  const saved = localStorage.getItem('voronka.lang');
  if (saved === 'ru' || saved === 'en') return saved;
  return navigator.language?.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

i18n.use(initReactI18next).init({
  // The header's strings (search, quick create) live in their own file, under `header`.
  resources: {
    ru: { translation: { ...ru, header: header.ru, lists: lists.ru } },
    en: { translation: { ...en, header: header.en, lists: lists.en } },
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
