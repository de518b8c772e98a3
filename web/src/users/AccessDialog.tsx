import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api } from '../api';
import { ErrorState, Loading, Modal } from '../components';
import { date, dateTime } from '../format';

type User = Answer<'/api/v1/users', 'get'>['items'][number];
type Sessions = Answer<'/api/v1/users/{id}/sessions', 'get'>;
type Tokens = Answer<'/api/v1/users/{id}/tokens', 'get'>;
type Ended = Answer<'/api/v1/users/{id}/sessions', 'delete'>;
export type ResetLink = Answer<'/api/v1/users/{id}/password-reset', 'post'>;

/**
 * What lets a person in (issue 17): their sessions and API tokens, each revocable, "sign out
 * everywhere", and a password reset by a link the admin passes on (`onReset`). Ending the
 * admin's own current session signs the admin out, as it says.
 */
export function AccessDialog({
  user,
  zone,
  onInvite,
  onReset,
  onClose,
}: {
  user: User;
  zone: string;
  /** Makes a new invitation link (absent: the person cannot be invited — inactive, no e-mail, oneself). */
  onInvite?: () => void;
  onReset: (link: ResetLink) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const sessions = useQuery({ queryKey: ['users', user.id, 'sessions'], queryFn: () => api<Sessions>(`/users/${user.id}/sessions`) });
  const tokens = useQuery({ queryKey: ['users', user.id, 'tokens'], queryFn: () => api<Tokens>(`/users/${user.id}/tokens`) });
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = async (fn: () => Promise<string>) => {
    setError(null);
    setNote(null);
    try {
      setNote(await fn());
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
    await qc.invalidateQueries({ queryKey: ['users', user.id] });
  };
  const reset = async () => {
    setError(null);
    try {
      onReset(await api<ResetLink>(`/users/${user.id}/password-reset`, { method: 'POST' }));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <Modal title={t('users.accessDialog.title', { name: user.name })} onClose={onClose} testId="user-access" wide>
      <div aria-live="polite">
        {note && <p className="notice">{note}</p>}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </div>
      <section className="access-section" aria-labelledby="access-sessions">
        <div className="access-head">
          <h3 id="access-sessions">{t('users.accessDialog.sessions')}</h3>
          <button
            type="button"
            disabled={!sessions.data?.items.length}
            onClick={() =>
              void act(async () => {
                const r = await api<Ended>(`/users/${user.id}/sessions`, { method: 'DELETE' });
                return t('users.accessDialog.endedAll', { count: r.ended });
              })
            }
          >
            {t('users.accessDialog.endAll')}
          </button>
        </div>
        {sessions.isPending ? (
          <Loading />
        ) : sessions.isError ? (
          <ErrorState error={sessions.error} retry={() => sessions.refetch()} />
        ) : sessions.data.items.length === 0 ? (
          <p className="muted">{t('users.accessDialog.noSessions')}</p>
        ) : (
          <ul className="access-list" data-testid="sessions">
            {sessions.data.items.map((s) => (
              <li key={s.id}>
                <div>
                  <span>{t('users.accessDialog.opened', { at: dateTime(s.created_at, zone) })}</span>
                  {s.current && <span className="badge">{t('users.accessDialog.current')}</span>}
                  <span className="muted">
                    {t('users.accessDialog.seen', { at: dateTime(s.last_seen_at, zone) })} ·{' '}
                    {t('users.accessDialog.expires', { date: date(s.expires_at, zone) })}
                  </span>
                </div>
                <button
                  type="button"
                  aria-label={t('users.accessDialog.endLabel', { at: dateTime(s.created_at, zone) })}
                  onClick={() =>
                    void act(async () => {
                      await api(`/users/${user.id}/sessions/${s.id}`, { method: 'DELETE' });
                      return t('users.accessDialog.ended');
                    })
                  }
                >
                  {t('users.accessDialog.end')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="access-section" aria-labelledby="access-tokens">
        <h3 id="access-tokens">{t('users.accessDialog.tokens')}</h3>
        {tokens.isPending ? (
          <Loading />
        ) : tokens.isError ? (
          <ErrorState error={tokens.error} retry={() => tokens.refetch()} />
        ) : tokens.data.items.length === 0 ? (
          <p className="muted">{t('users.accessDialog.noTokens')}</p>
        ) : (
          <ul className="access-list" data-testid="tokens">
            {tokens.data.items.map((k) => (
              <li key={k.id}>
                <div>
                  <span>
                    <strong>{k.name}</strong> ({k.scopes.map((s) => t(`users.accessDialog.scopes.${s}`)).join(', ')})
                  </span>
                  <span className="muted">
                    {t('users.accessDialog.tokenCreated', { date: date(k.created_at, zone) })} ·{' '}
                    {k.last_used_at
                      ? t('users.accessDialog.tokenUsed', { at: dateTime(k.last_used_at, zone) })
                      : t('users.accessDialog.tokenNeverUsed')}
                    {k.expires_at && <> · {t('users.accessDialog.expires', { date: date(k.expires_at, zone) })}</>}
                  </span>
                </div>
                <button
                  type="button"
                  aria-label={t('users.accessDialog.revokeLabel', { name: k.name })}
                  onClick={() =>
                    void act(async () => {
                      await api(`/users/${user.id}/tokens/${k.id}`, { method: 'DELETE' });
                      return t('users.accessDialog.revoked', { name: k.name });
                    })
                  }
                >
                  {t('users.accessDialog.revoke')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="access-section" aria-labelledby="access-password">
        <h3 id="access-password">{t('users.accessDialog.password')}</h3>
        {user.email ? (
          <>
            <p className="muted">{t('users.accessDialog.passwordIntro')}</p>
            {onInvite && <p className="muted">{t('users.accessDialog.inviteIntro')}</p>}
            <div className="users-actions">
              <button type="button" onClick={() => void reset()} disabled={!user.active}>
                {t('users.accessDialog.reset')}
              </button>
              {onInvite && (
                <button type="button" onClick={onInvite}>
                  {t('users.accessDialog.invite')}
                </button>
              )}
            </div>
          </>
        ) : (
          <p className="muted">{t('users.accessDialog.noEmail')}</p>
        )}
      </section>
      <p className="actions">
        <button type="button" onClick={onClose}>
          {t('users.close')}
        </button>
      </p>
    </Modal>
  );
}
