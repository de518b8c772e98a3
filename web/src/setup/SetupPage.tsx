import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, ApiError, api, type RequestBody } from '../api';
import './setup.css';

type SetupBody = RequestBody<'/api/v1/setup', 'post'>;
type Template = SetupBody['template'] & string;
type Strength = Answer<'/api/v1/password-check', 'post'>;

const CURRENCIES = ['RUB', 'KZT', 'BYN', 'UZS', 'USD', 'EUR', 'CNY', 'AED', 'TRY', 'GBP', 'JPY'];
const TEMPLATES: Template[] = ['b2b-ru', 'b2b-en', 'empty'];
/** The time zones the browser knows, Moscow first (the server checks the name again). */
function zones(): string[] {
  const all = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return ['Europe/Moscow', ...all.filter((z) => z !== 'Europe/Moscow')];
}

/** The server's judgement of the password as it is typed (debounced), by the rule every password is set by. */
function useStrength(password: string, inputs: string[]): Strength | 'checking' | null {
  const [state, setState] = useState<Strength | 'checking' | null>(null);
  const key = inputs.join('\u0000');
  useEffect(() => {
    if (!password) {
      setState(null);
      return;
    }
    setState('checking');
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      api<Strength>('/password-check', {
        method: 'POST',
        body: { password, inputs: key.split('\u0000').filter(Boolean) },
        signal: ctl.signal,
      })
        .then(setState)
        .catch(() => setState(null));
    }, 300);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [password, key]);
  return state;
}

/**
 * The first start without the demo (issue 17): while the server has no workspace, the web app
 * shows this instead of the sign-in. It creates the workspace, its admin and its standard in one
 * request (POST /api/v1/setup), which signs the admin in; errors go next to their field.
 */
export function SetupPage() {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zoneList = useMemo(zones, []);
  const [form, setForm] = useState({
    name: '',
    currency: 'RUB',
    timezone: zoneList.includes(browserZone) ? browserZone : 'Europe/Moscow',
    locale: (i18n.language === 'en' ? 'en' : 'ru') as 'ru' | 'en',
    adminName: '',
    email: '',
    password: '',
    template: (i18n.language === 'en' ? 'b2b-en' : 'b2b-ru') as Template,
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const strength = useStrength(form.password, [form.adminName, form.email]);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      await api('/setup', {
        method: 'POST',
        body: {
          workspace: { name: form.name, currency: form.currency, timezone: form.timezone, locale: form.locale },
          admin: { name: form.adminName, email: form.email, password: form.password },
          template: form.template,
        } satisfies SetupBody,
      });
      // Signed in by the setup's answer: the app asks who we are and opens.
      await qc.invalidateQueries({ queryKey: ['me'] });
    } catch (err) {
      const out: Record<string, string> = {};
      if (err instanceof ApiError && err.fields.length > 0) for (const f of err.fields) out[f.field] ??= f.message;
      else out[''] = t('setup.failed', { message: err instanceof Error ? err.message : String(err) });
      setErrors(out);
    } finally {
      setBusy(false);
    }
  };
  const field = (id: string, key: keyof typeof form, label: string, props: Record<string, unknown> = {}, hint?: string) => (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={form[key]}
        onChange={set(key)}
        aria-invalid={errors[apiField[key]] ? true : undefined}
        aria-describedby={[hint && `${id}-hint`, errors[apiField[key]] && `${id}-error`].filter(Boolean).join(' ') || undefined}
        {...props}
      />
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {errors[apiField[key]] && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {errors[apiField[key]]}
        </p>
      )}
    </div>
  );
  return (
    <form className="card setup" onSubmit={submit} aria-labelledby="setup-title" noValidate>
      <div className="login-brand">
        <img src="/favicon.svg" alt="" width={40} height={40} />
        <div>
          <h1 id="setup-title">{t('setup.title')}</h1>
          <p>{t('setup.intro')}</p>
        </div>
      </div>
      <fieldset>
        <legend>{t('setup.workspace')}</legend>
        {field('setup-name', 'name', t('setup.workspaceName'), { required: true, maxLength: 200 }, t('setup.workspaceNameHint'))}
        <div className="setup-row">
          <div className="field">
            <label htmlFor="setup-currency">{t('setup.currency')}</label>
            <select id="setup-currency" value={form.currency} onChange={set('currency')}>
              {CURRENCIES.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
            {errors['workspace.currency'] && <p className="field-error">{errors['workspace.currency']}</p>}
          </div>
          <div className="field">
            <label htmlFor="setup-locale">{t('setup.locale')}</label>
            <select id="setup-locale" value={form.locale} onChange={set('locale')}>
              <option value="ru">{t('setup.languages.ru')}</option>
              <option value="en">{t('setup.languages.en')}</option>
            </select>
          </div>
        </div>
        <div className="field">
          <label htmlFor="setup-zone">{t('setup.timezone')}</label>
          <select id="setup-zone" value={form.timezone} onChange={set('timezone')} aria-describedby="setup-zone-hint">
            {zoneList.map((z) => (
              <option key={z}>{z}</option>
            ))}
          </select>
          <p id="setup-zone-hint" className="hint">
            {t('setup.timezoneHint')}
          </p>
          {errors['workspace.timezone'] && <p className="field-error">{errors['workspace.timezone']}</p>}
        </div>
      </fieldset>
      <fieldset>
        <legend>{t('setup.admin')}</legend>
        {field('setup-admin', 'adminName', t('setup.adminName'), { required: true, autoComplete: 'name' })}
        {field('setup-email', 'email', t('setup.email'), { type: 'email', required: true, autoComplete: 'username' })}
        {field(
          'setup-password',
          'password',
          t('setup.password'),
          { type: 'password', required: true, autoComplete: 'new-password' },
          t('setup.passwordHint', { min: 10 }),
        )}
        <p className="strength" aria-live="polite" data-testid="password-strength">
          {strength === 'checking' ? (
            t('setup.strength.checking')
          ) : strength ? (
            <span className={strength.ok ? 'ok' : 'weak'}>
              {strength.ok ? t('setup.strength.ok') : t('setup.strength.weak', { why: strength.message })}
            </span>
          ) : null}
        </p>
      </fieldset>
      <fieldset>
        <legend>{t('setup.template')}</legend>
        {TEMPLATES.map((tp) => (
          <label key={tp} className="template-choice">
            <input type="radio" name="template" value={tp} checked={form.template === tp} onChange={set('template')} />
            <span>
              <strong>{t(`setup.templates.${tp}`)}</strong>
              <span className="hint">{t(`setup.templateHints.${tp}`)}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {errors[''] && (
        <p className="error" role="alert">
          {errors['']}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t('setup.submitting') : t('setup.submit')}
      </button>
    </form>
  );
}

/** The API's name of each form field, by which its errors come back. */
const apiField: Record<string, string> = {
  name: 'workspace.name',
  currency: 'workspace.currency',
  timezone: 'workspace.timezone',
  locale: 'workspace.locale',
  adminName: 'admin.name',
  email: 'admin.email',
  password: 'admin.password',
  template: 'template',
};
