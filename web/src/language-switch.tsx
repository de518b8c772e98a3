import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, type Me, type Prefs } from './api';
import { type Lang, setLanguage } from './i18n';

/** The language menu of the top bar, the sign-in page and the settings; signed in, it saves to the profile. */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const me = qc.getQueryData<Me | null>(['me']);
  const save = useMutation({ mutationFn: (locale: Lang) => api<Prefs>('/me/preferences', { method: 'PATCH', body: { locale } }) });
  return (
    <select
      className="lang"
      value={i18n.language}
      onChange={(e) => {
        const lang = e.target.value as Lang;
        setLanguage(lang);
        if (me) save.mutate(lang, { onSuccess: (p) => qc.setQueryData(['prefs'], p) });
        // Data with language-dependent messages is fetched again.
        qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'me' && q.queryKey[0] !== 'prefs' });
      }}
      aria-label={t('nav.language')}
    >
      <option value="ru">Русский</option>
      <option value="en">English</option>
    </select>
  );
}
