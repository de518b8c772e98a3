import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, ApiError, api, type Me, type RequestBody } from '../api';
import { ErrorState, Loading, Modal } from '../components';
import { date, dateTime } from '../format';
import { AccessDialog } from './AccessDialog';
import { HandoverDialog } from './HandoverDialog';
import { LinkDialog } from './LinkDialog';
import { TeamsPanel } from './TeamsPanel';
import './users.css';

type UserPage = Answer<'/api/v1/users', 'get'>;
type User = UserPage['items'][number];
type NewUser = RequestBody<'/api/v1/users', 'post'>;
type Invitation = Answer<'/api/v1/users/{id}/invitation', 'post'>;
const ROLES = ['admin', 'head_of_sales', 'team_lead', 'manager', 'marketer', 'service'] as const;

function AddPerson({ onAdded, onClose }: { onAdded: (u: User) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState({ name: '', email: '', role: 'manager' as (typeof ROLES)[number], team: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    try {
      const u = await api<User>('/users', {
        method: 'POST',
        body: { name: form.name, email: form.email, role: form.role, team: form.team.trim() || null } satisfies NewUser,
      });
      onAdded(u);
    } catch (err) {
      const out: Record<string, string> = {};
      if (err instanceof ApiError && err.fields.length) for (const f of err.fields) out[f.field] ??= f.message;
      else out[''] = err instanceof Error ? err.message : String(err);
      setErrors(out);
    }
  };
  const input = (key: 'name' | 'email' | 'team', label: string, type = 'text', hint?: string) => (
    <div className="field">
      <label htmlFor={`user-${key}`}>{label}</label>
      <input
        id={`user-${key}`}
        type={type}
        value={form[key]}
        required={key !== 'team'}
        onChange={(e) => setForm((f) => ({ ...f, [key]: e.target.value }))}
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={errors[key] ? `user-${key}-error` : hint ? `user-${key}-hint` : undefined}
      />
      {hint && (
        <p id={`user-${key}-hint`} className="hint">
          {hint}
        </p>
      )}
      {errors[key] && (
        <p id={`user-${key}-error`} className="field-error">
          {errors[key]}
        </p>
      )}
    </div>
  );
  return (
    <Modal title={t('users.addTitle')} onClose={onClose} testId="add-person">
      <form className="form" onSubmit={submit} noValidate>
        {input('name', t('users.name'))}
        {input('email', t('users.email'), 'email')}
        <div className="field">
          <label htmlFor="user-role">{t('users.role')}</label>
          <select
            id="user-role"
            value={form.role}
            onChange={(e) => setForm((f) => ({ ...f, role: e.target.value as (typeof ROLES)[number] }))}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`users.roles.${r}`)}
              </option>
            ))}
          </select>
        </div>
        {input('team', t('users.team'), 'text', t('users.teamHint'))}
        {errors[''] && (
          <p className="error" role="alert">
            {errors['']}
          </p>
        )}
        <button type="submit" className="primary">
          {t('users.create')}
        </button>
      </form>
    </Modal>
  );
}

/**
 * The team page (issue 17, admins): everyone in the workspace with role, team and access, each
 * editable in place (version-checked like every edit); the teams with their leads; a person added
 * gets an invitation link to copy; per person their sessions and API tokens, a password reset by
 * link, and a handover of their records — offered when deactivating, whose records stay.
 */
export default function UsersPage({ me }: { me: Me }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const zone = me.workspace.timezone;
  const q = useQuery({ queryKey: ['users', 'all'], queryFn: () => api<UserPage>('/users?limit=500&sort=name') });
  const [adding, setAdding] = useState(false);
  const [link, setLink] = useState<{ title: string; intro: string; path: string } | null>(null);
  const [access, setAccess] = useState<User | null>(null);
  const [handover, setHandover] = useState<{ user: User; deactivating: boolean } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (me.user.role !== 'admin')
    return (
      <div className="page">
        <h1>{t('users.title')}</h1>
        <p className="state error">{t('users.forbidden')}</p>
      </div>
    );
  if (q.isPending) return <Loading />;
  if (q.isError) return <ErrorState error={q.error} retry={() => q.refetch()} />;
  const patch = async (u: User, body: Record<string, unknown>, message?: string) => {
    setError(null);
    try {
      await api(`/users/${u.id}`, { method: 'PATCH', body: { ...body, version: u.version } });
      setNote(message ?? t('users.saved'));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
    await qc.invalidateQueries({ queryKey: ['users'] });
  };
  const invite = async (u: User) => {
    setError(null);
    try {
      const inv = await api<Invitation>(`/users/${u.id}/invitation`, { method: 'POST' });
      setLink({
        title: t('users.linkTitle', { name: u.name }),
        intro: t('users.linkIntro', { date: date(inv.expires_at, zone) }),
        path: inv.path,
      });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const people = q.data.items;
  return (
    <div className="page users-page">
      <div className="page-head">
        <h1>{t('users.title')}</h1>
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t('users.add')}
        </button>
      </div>
      <p>{t('users.intro')}</p>
      <p className="users-count">{t('users.count', { count: people.length })}</p>
      <div aria-live="polite">
        {note && <p className="notice">{note}</p>}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </div>
      <TeamsPanel people={people} />
      <div className="panel users-table-wrap">
        <table className="table users-table">
          <thead>
            <tr>
              <th scope="col">{t('users.columns.name')}</th>
              <th scope="col">{t('users.columns.role')}</th>
              <th scope="col">{t('users.columns.team')}</th>
              <th scope="col">{t('users.columns.status')}</th>
              <th scope="col">{t('users.columns.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {people.map((u) => (
              <tr key={u.id} className={u.active ? '' : 'inactive'} data-testid={`user-${u.id}`}>
                <th scope="row" data-label={t('users.columns.name')}>
                  <span className="user-name">
                    {u.name} {u.id === me.user.id && <span className="badge">{t('users.self')}</span>}
                  </span>
                  <span className="muted user-email">{u.email ?? t('users.noEmail')}</span>
                </th>
                <td data-label={t('users.columns.role')}>
                  <select
                    aria-label={`${t('users.columns.role')}: ${u.name}`}
                    value={u.role}
                    disabled={u.id === me.user.id}
                    onChange={(e) => void patch(u, { role: e.target.value })}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {t(`users.roles.${r}`)}
                      </option>
                    ))}
                  </select>
                </td>
                <td data-label={t('users.columns.team')}>
                  <input
                    aria-label={`${t('users.columns.team')}: ${u.name}`}
                    defaultValue={u.team ?? ''}
                    placeholder={t('users.noTeam')}
                    onBlur={(e) => {
                      const v = e.target.value.trim() || null;
                      if (v !== (u.team ?? null)) void patch(u, { team: v });
                    }}
                  />
                </td>
                <td data-label={t('users.columns.status')}>{u.active ? t('users.active') : t('users.inactive')}</td>
                <td data-label={t('users.columns.actions')}>
                  <div className="users-actions">
                    <button type="button" onClick={() => setAccess(u)} aria-label={`${t('users.access')}: ${u.name}`}>
                      {t('users.access')}
                    </button>
                    {u.id !== me.user.id && (
                      <button
                        type="button"
                        onClick={() => setHandover({ user: u, deactivating: false })}
                        aria-label={`${t('users.handoverDialog.title', { name: u.name })}`}
                      >
                        {t('users.handover')}
                      </button>
                    )}
                    {u.id !== me.user.id && (
                      <button
                        type="button"
                        aria-label={`${u.active ? t('users.deactivate') : t('users.activate')}: ${u.name}`}
                        onClick={() =>
                          u.active
                            ? setHandover({ user: u, deactivating: true })
                            : void patch(u, { active: true }, t('users.activated', { name: u.name }))
                        }
                      >
                        {u.active ? t('users.deactivate') : t('users.activate')}
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {adding && (
        <AddPerson
          onClose={() => setAdding(false)}
          onAdded={async (u) => {
            setAdding(false);
            await qc.invalidateQueries({ queryKey: ['users'] });
            await invite(u);
          }}
        />
      )}
      {access && (
        <AccessDialog
          user={access}
          zone={zone}
          onClose={() => setAccess(null)}
          onInvite={
            access.active && access.email && access.id !== me.user.id
              ? () => {
                  const u = access;
                  setAccess(null);
                  void invite(u);
                }
              : undefined
          }
          onReset={(r) => {
            setLink({
              title: t('users.resetTitle', { name: access.name }),
              intro: t('users.resetIntro', { at: dateTime(r.expires_at, zone) }),
              path: r.path,
            });
            setAccess(null);
          }}
        />
      )}
      {handover && (
        <HandoverDialog
          user={handover.user}
          people={people}
          deactivating={handover.deactivating}
          onClose={() => setHandover(null)}
          onDone={async (message, deactivate) => {
            const u = handover.user;
            setHandover(null);
            // The person may have changed since the list was read (a password set by link makes a
            // version): the admin decided in this dialog, so the write goes on the current version.
            if (deactivate) {
              const fresh = await api<User>(`/users/${u.id}`).catch(() => u);
              await patch(fresh, { active: false }, [message, t('users.deactivated', { name: u.name })].filter(Boolean).join(' '));
            } else {
              setNote(message);
              await qc.invalidateQueries({ queryKey: ['users'] });
            }
          }}
        />
      )}
      {link && <LinkDialog title={link.title} intro={link.intro} path={link.path} onClose={() => setLink(null)} />}
    </div>
  );
}
