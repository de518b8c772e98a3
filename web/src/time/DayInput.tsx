import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDay, isoDay, type Lang, parseDay } from '../create/dates';

/**
 * A day typed as the language writes it — 05.03.2027 (also 5.3.27, 2027-03-05) in Russian,
 * 03/05/2027 in English — holding YYYY-MM-DD. A native date input shows and takes the browser's
 * format, not the interface's; this one is the interface's. Applied on Enter or leaving the field;
 * a text it cannot read is marked and says what it expects.
 */
export function DayInput({
  label,
  value,
  onChange,
  allowEmpty,
  testId,
}: {
  label: string;
  /** YYYY-MM-DD or '' */
  value: string;
  onChange: (iso: string) => void;
  allowEmpty?: boolean;
  testId?: string;
}) {
  const { t, i18n } = useTranslation();
  const lang: Lang = i18n.language === 'ru' ? 'ru' : 'en';
  const shown = (iso: string) => {
    const d = iso ? parseDay(iso, lang) : null;
    return d ? formatDay(d, lang) : '';
  };
  const [text, setText] = useState(shown(value));
  const [bad, setBad] = useState(false);
  const hint = useId();
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-shown when the value or the language changes
  useEffect(() => {
    setText(shown(value));
    setBad(false);
  }, [value, lang]);
  const apply = () => {
    if (!text.trim()) {
      if (allowEmpty) {
        setBad(false);
        if (value) onChange('');
      } else setText(shown(value));
      return;
    }
    const d = parseDay(text, lang);
    if (!d) {
      setBad(true);
      return;
    }
    setBad(false);
    const iso = isoDay(d);
    setText(formatDay(d, lang));
    if (iso !== value) onChange(iso);
  };
  return (
    <label className="inline day-input">
      {label}{' '}
      <input
        type="text"
        inputMode="numeric"
        size={10}
        value={text}
        placeholder={t('figures.day.placeholder')}
        aria-invalid={bad || undefined}
        aria-describedby={bad ? hint : undefined}
        data-testid={testId}
        onChange={(e) => setText(e.target.value)}
        onBlur={apply}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            apply();
          }
        }}
      />
      {bad && (
        <span id={hint} className="error small">
          {t('figures.day.bad')}
        </span>
      )}
    </label>
  );
}
