import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, ApiError, api, type RequestBody } from '../api';
import { ErrorState, Loading, Modal } from '../components';
import { num } from '../format';

type User = Answer<'/api/v1/users', 'get'>['items'][number];
type Owned = Answer<'/api/v1/users/{id}/owned', 'get'>;
type Handover = RequestBody<'/api/v1/users/{id}/handover', 'post'>;
type Moved = Answer<'/api/v1/users/{id}/handover', 'post'>;
const OBJECTS = ['deals', 'companies', 'contacts', 'leads', 'tasks'] as const;
type Obj = (typeof OBJECTS)[number];

/**
 * Hands a person's records over to another (issue 17): what they own (open and all, per kind),
 * whom to, open work only or everything. Opened on its own or when deactivating, where it also
 * offers to deactivate without a handover. `onDone` gets the message to show.
 */
export function HandoverDialog({
  user,
  people,
  deactivating,
  onDone,
  onClose,
}: {
  user: User;
  people: User[];
  deactivating: boolean;
  onDone: (message: string, deactivate: boolean) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const owned = useQuery({ queryKey: ['users', user.id, 'owned'], queryFn: () => api<Owned>(`/users/${user.id}/owned`) });
  const targets = people.filter((p) => p.active && p.id !== user.id);
  // The lead of the person's team is the usual heir of their clients.
  const lead = targets.find((p) => p.role === 'team_lead' && user.team && p.team === user.team);
  const [to, setTo] = useState<string>(lead ? String(lead.id) : '');
  const [openOnly, setOpenOnly] = useState(true);
  const [objects, setObjects] = useState<Set<Obj>>(new Set(OBJECTS));
  const [error, setError] = useState<{ field?: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const count = (o: Obj) => (owned.data ? (openOnly ? owned.data[o].open : owned.data[o].total) : 0);
  const nothing = owned.data ? OBJECTS.every((o) => owned.data[o].total === 0) : false;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!to) {
      setError({ field: 'to_user_id', message: t('users.handoverDialog.choose') });
      return;
    }
    setBusy(true);
    try {
      const r = await api<Moved>(`/users/${user.id}/handover`, {
        method: 'POST',
        body: { to_user_id: Number(to), objects: OBJECTS.filter((o) => objects.has(o)), open_only: openOnly } satisfies Handover,
      });
      const list = OBJECTS.filter((o) => r.moved[o] > 0)
        .map((o) => `${t(`users.handoverDialog.object.${o}`).toLowerCase()} ${num(r.moved[o])}`)
        .join(', ');
      const name = targets.find((p) => p.id === Number(to))?.name ?? '';
      onDone(list ? t('users.handoverDialog.done', { name, list }) : t('users.handoverDialog.doneNothing'), deactivating);
    } catch (err) {
      const field = err instanceof ApiError ? err.fields[0] : undefined;
      setError(field ? { field: field.field, message: field.message } : { message: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };
  const title = t(deactivating ? 'users.handoverDialog.deactivateTitle' : 'users.handoverDialog.title', { name: user.name });
  return (
    <Modal title={title} onClose={onClose} testId="handover">
      <p>{t(deactivating ? 'users.handoverDialog.deactivateIntro' : 'users.handoverDialog.intro')}</p>
      {owned.isPending ? (
        <Loading />
      ) : owned.isError ? (
        <ErrorState error={owned.error} retry={() => owned.refetch()} />
      ) : nothing ? (
        <>
          <p className="notice">{t('users.handoverDialog.nothing')}</p>
          <p className="actions">
            <button type="button" onClick={onClose}>
              {t('users.handoverDialog.cancel')}
            </button>
            {deactivating && (
              <button type="button" className="primary" onClick={() => onDone('', true)}>
                {t('users.deactivate')}
              </button>
            )}
          </p>
        </>
      ) : (
        <form className="form handover-form" onSubmit={submit} noValidate>
          <fieldset>
            <legend>{t('users.handoverDialog.scope')}</legend>
            <label className="handover-check">
              <input type="radio" name="handover-scope" checked={openOnly} onChange={() => setOpenOnly(true)} />
              {t('users.handoverDialog.openOnly')}
            </label>
            <p className="hint">{t('users.handoverDialog.openOnlyHint')}</p>
            <label className="handover-check">
              <input type="radio" name="handover-scope" checked={!openOnly} onChange={() => setOpenOnly(false)} />
              {t('users.handoverDialog.all')}
            </label>
          </fieldset>
          <fieldset>
            <legend>{t('users.handoverDialog.objects')}</legend>
            {OBJECTS.map((o) => (
              <label key={o} className="handover-check handover-object">
                <input
                  type="checkbox"
                  checked={objects.has(o)}
                  onChange={(e) =>
                    setObjects((s) => {
                      const next = new Set(s);
                      if (e.target.checked) next.add(o);
                      else next.delete(o);
                      return next;
                    })
                  }
                />
                <span>{t(`users.handoverDialog.object.${o}`)}</span>
                <span className="muted" data-testid={`owned-${o}`}>
                  {t('users.handoverDialog.counts', { open: num(owned.data[o].open), total: num(owned.data[o].total) })}
                </span>
              </label>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor="handover-to">{t('users.handoverDialog.to')}</label>
            <select
              id="handover-to"
              value={to}
              onChange={(e) => setTo(e.target.value)}
              aria-invalid={error?.field === 'to_user_id' ? true : undefined}
              aria-describedby={error?.field === 'to_user_id' ? 'handover-to-error' : undefined}
            >
              <option value="">{t('users.handoverDialog.choose')}</option>
              {targets.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} — {t(`users.roles.${p.role}`)}
                  {p.team ? `, ${p.team}` : ''}
                </option>
              ))}
            </select>
            {error?.field === 'to_user_id' && (
              <p id="handover-to-error" className="field-error">
                {error.message}
              </p>
            )}
          </div>
          {error && error.field !== 'to_user_id' && (
            <p className="error" role="alert">
              {error.message}
            </p>
          )}
          <p className="actions">
            <button type="button" onClick={onClose}>
              {t('users.handoverDialog.cancel')}
            </button>
            {deactivating && (
              <button type="button" onClick={() => onDone('', true)}>
                {t('users.handoverDialog.deactivateOnly')}
              </button>
            )}
            <button
              type="submit"
              className="primary"
              disabled={busy || objects.size === 0 || OBJECTS.every((o) => !objects.has(o) || count(o) === 0)}
            >
              {t(deactivating ? 'users.handoverDialog.submitDeactivate' : 'users.handoverDialog.submit')}
            </button>
          </p>
        </form>
      )}
    </Modal>
  );
}
