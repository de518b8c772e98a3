import { useState, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { useToastTimer } from '../create/toast';
import './cards.css';

/**
 * Archive instead of delete: «В архив» on a card puts the record in the archive and says so in a
 * toast for eight seconds whose «Отменить» restores it; an archived card opens with a banner
 * «В архиве с дд.мм.гггг · Восстановить». Nothing is deleted by a click.
 */
type Kind = 'companies' | 'contacts' | 'leads';
interface Undo {
  id: number;
  message: string;
  undo: () => Promise<void>;
}
let current: Undo | null = null;
let seq = 0;
const listeners = new Set<() => void>();
const emit = () => {
  for (const l of listeners) l();
};
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
function showUndo(u: Omit<Undo, 'id'>) {
  current = { ...u, id: ++seq };
  emit();
}
function dismiss(id: number) {
  if (current?.id === id) {
    current = null;
    emit();
  }
}

/** The undo toast, shown at the bottom of the screen (one at a time, ~8 s, held while pointed at or focused). */
export function UndoToast() {
  const { t } = useTranslation();
  const u = useSyncExternalStore(subscribe, () => current);
  useToastTimer(u?.id, 'cf-undo-toast', 8_000, dismiss);
  return (
    <div className="cf-toast-region" role="status" aria-live="polite">
      {u && (
        <div className="cf-toast" id="cf-undo-toast" data-testid="undo-toast">
          <span>{u.message}</span>
          <button
            type="button"
            onClick={async () => {
              dismiss(u.id);
              await u.undo();
            }}
          >
            {t('cards.archive.undo')}
          </button>
          <button type="button" className="ghost" aria-label={t('common.close')} onClick={() => dismiss(u.id)}>
            ✕
          </button>
        </div>
      )}
    </div>
  );
}

/** «В архив» in a card's head. */
export function ArchiveButton({
  kind,
  id,
  version,
  name,
  onChanged,
}: {
  kind: Kind;
  id: number;
  version: number;
  name: string;
  onChanged: () => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        data-testid="archive"
        onClick={async () => {
          setError(null);
          try {
            const r = await api<{ version: number }>(`/${kind}/${id}/archive`, { method: 'POST', body: { version } });
            await onChanged();
            showUndo({
              message: t('cards.archive.done', { name }),
              undo: async () => {
                await api(`/${kind}/${id}/restore`, { method: 'POST', body: { version: r.version } });
                await onChanged();
              },
            });
          } catch (e) {
            setError(e instanceof Error ? e.message : String(e));
          }
        }}
      >
        {t('cards.archive.button')}
      </button>
      {error && (
        <span className="cf-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

/** «В архиве с 08.01.2027 · Восстановить» over an archived card. */
export function ArchivedBanner({
  kind,
  id,
  version,
  archivedAt,
  tz,
  onChanged,
}: {
  kind: Kind;
  id: number;
  version: number;
  archivedAt: string;
  tz: string;
  onChanged: () => Promise<unknown>;
}) {
  const { t, i18n } = useTranslation();
  const [error, setError] = useState<string | null>(null);
  const day = new Intl.DateTimeFormat(i18n.language === 'ru' ? 'ru-RU' : 'en-US', {
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    timeZone: tz,
  }).format(new Date(archivedAt));
  return (
    <div className="cf-banner" role="status" data-testid="archived-banner">
      <span>{t('cards.archive.banner', { date: day })}</span>
      <span aria-hidden="true">·</span>
      <button
        type="button"
        className="link"
        onClick={async () => {
          setError(null);
          try {
            await api(`/${kind}/${id}/restore`, { method: 'POST', body: { version } });
            await onChanged();
          } catch (e) {
            setError(e instanceof Error ? e.message : String(e));
          }
        }}
      >
        {t('cards.archive.restore')}
      </button>
      {error && <span className="cf-error">{error}</span>}
    </div>
  );
}
