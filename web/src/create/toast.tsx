import { useEffect, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';

/**
 * What was just created, said once at the bottom of the screen with a link to it. One toast at a
 * time (a new one replaces the last); it stays ten seconds, longer while the pointer or the focus
 * is on it, so its link can be reached.
 */
export interface Toast {
  id: number;
  message: string;
  href?: string;
}

let current: Toast | null = null;
let seq = 0;
const listeners = new Set<() => void>();
const emit = () => {
  for (const l of listeners) l();
};

export function showToast(t: Omit<Toast, 'id'>) {
  current = { ...t, id: ++seq };
  emit();
}

function dismiss(id: number) {
  if (current?.id === id) {
    current = null;
    emit();
  }
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

/**
 * A toast's life: it goes after `ms`, is held while pointed at or focused, and goes 4 s after
 * being left. `elementId` is the toast's element; `dismiss` takes the toast's id.
 */
export function useToastTimer(id: number | undefined, elementId: string, ms: number, dismiss: (id: number) => void) {
  useEffect(() => {
    if (id === undefined) return;
    let timer = setTimeout(() => dismiss(id), ms);
    const el = document.getElementById(elementId);
    const hold = () => clearTimeout(timer);
    const release = () => {
      clearTimeout(timer);
      timer = setTimeout(() => dismiss(id), 4_000);
    };
    el?.addEventListener('pointerenter', hold);
    el?.addEventListener('focusin', hold);
    el?.addEventListener('pointerleave', release);
    el?.addEventListener('focusout', release);
    return () => {
      clearTimeout(timer);
      el?.removeEventListener('pointerenter', hold);
      el?.removeEventListener('focusin', hold);
      el?.removeEventListener('pointerleave', release);
      el?.removeEventListener('focusout', release);
    };
  }, [id, elementId, ms, dismiss]);
}

export function Toasts() {
  const { t } = useTranslation();
  const toast = useSyncExternalStore(subscribe, () => current);
  useToastTimer(toast?.id, 'create-toast', 10_000, dismiss);
  // The live region stays in the page so that screen readers announce what appears in it.
  return (
    <div className="create-toast-region" role="status" aria-live="polite">
      {toast && (
        <div className="create-toast" id="create-toast" data-testid="create-toast">
          <span>{toast.message}</span>
          {toast.href && (
            <Link href={toast.href} onClick={() => dismiss(toast.id)}>
              {t('header.create.open')}
            </Link>
          )}
          <button type="button" className="ghost" aria-label={t('header.create.dismiss')} onClick={() => dismiss(toast.id)}>
            ✕
          </button>
        </div>
      )}
    </div>
  );
}
