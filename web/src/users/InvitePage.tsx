import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, ApiError, api } from '../api';
import { Loading } from '../components';

type Invitation = Answer<'/api/v1/invitations/{token}', 'get'>;

/**
 * The page of a one-time link (/invite/<token>): whom it is for, and the password to set; then the
 * app opens signed in. An invitation welcomes; a password reset link asks for a new password.
 */
export function InvitePage({ token, onDone }: { token: string; onDone: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['invitation', token],
    queryFn: () => api<Invitation>(`/invitations/${encodeURIComponent(token)}`),
    retry: false,
  });
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (q.isPending) return <Loading />;
  if (q.isError)
    return (
      <div className="card login" role="alert">
        <h1>{t('users.invitePage.gone')}</h1>
        <p>{(q.error as Error).message}</p>
      </div>
    );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (password !== repeat) {
      setError(t('users.invitePage.mismatch'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api(`/invitations/${encodeURIComponent(token)}/accept`, { method: 'POST', body: { password } });
      window.history.replaceState(null, '', '/');
      await qc.invalidateQueries({ queryKey: ['me'] });
      onDone();
    } catch (err) {
      setError(err instanceof ApiError && err.fields.length ? err.fields[0].message : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const reset = q.data.purpose === 'reset';
  const who = { name: q.data.name, workspace: q.data.workspace, email: q.data.email };
  return (
    <form className="card login" onSubmit={submit} aria-labelledby="invite-title">
      <div className="login-brand">
        <img src="/favicon.svg" alt="" width={40} height={40} />
        <div>
          <h1 id="invite-title">{t(reset ? 'users.invitePage.resetTitle' : 'users.invitePage.title')}</h1>
          <p>{t(reset ? 'users.invitePage.resetIntro' : 'users.invitePage.intro', who)}</p>
        </div>
      </div>
      <input type="email" name="email" autoComplete="username" value={q.data.email} readOnly hidden />
      <label>
        {t('users.invitePage.password')}
        <input type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <label>
        {t('users.invitePage.repeat')}
        <input type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t('users.invitePage.submitting') : t(reset ? 'users.invitePage.resetSubmit' : 'users.invitePage.submit')}
      </button>
    </form>
  );
}
