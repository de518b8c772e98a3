import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, type Me } from '../api';

export function LoginPage() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [workspace, setWorkspace] = useState('');
  const [needWorkspace, setNeedWorkspace] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api<Me>('/auth/login', { method: 'POST', body: { email, password, ...(workspace ? { workspace } : {}) } });
      qc.setQueryData(['me'], me);
    } catch (err) {
      if (err instanceof ApiError && err.fields.some((f) => f.field === 'workspace')) setNeedWorkspace(true);
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card login" onSubmit={submit} aria-labelledby="login-title">
      <div className="login-brand">
        <img src="/favicon.svg" alt="" width={40} height={40} />
        <div>
          <h1 id="login-title">{t('login.title')}</h1>
          <p className="muted">{t('app.tagline')}</p>
        </div>
      </div>
      <label>
        {t('login.email')}
        <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        {t('login.password')}
        <input
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      {needWorkspace && (
        <label>
          {t('login.workspace')}
          <input name="workspace" value={workspace} onChange={(e) => setWorkspace(e.target.value)} />
        </label>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t('login.submitting') : t('login.submit')}
      </button>
      <p className="hint">{t('login.demoHint')}</p>
    </form>
  );
}
