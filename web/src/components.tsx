import { type ReactNode, useEffect, useRef } from 'react';
import { createPortal } from 'react-dom';
import { useTranslation } from 'react-i18next';

export function Loading() {
  const { t } = useTranslation();
  return (
    <div className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {t('common.loading')}
    </div>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="state error" role="alert">
      <p>{(error as Error)?.message || t('common.error')}</p>
      {retry && (
        <button type="button" onClick={retry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children?: ReactNode }) {
  const { t } = useTranslation();
  return <p className="empty">{children ?? t('common.empty')}</p>;
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** Whether `el` is hidden in a closed <details> (its summary is not). */
function inClosedDetails(el: HTMLElement): boolean {
  for (let d = el.closest('details'); d; d = d.parentElement?.closest('details') ?? null) {
    const summary = d.querySelector(':scope > summary');
    if (!d.open && !summary?.contains(el)) return true;
  }
  return false;
}

/** The elements of `root` that Tab stops at, in order (hidden ones and those in a closed <details> left out). */
export function tabStops(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) =>
      el.tabIndex >= 0 &&
      (el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : el.getClientRects().length > 0) &&
      !inClosedDetails(el) &&
      !el.closest('[inert]'),
  );
}

// How many modals are open: the page behind is inert while there is one.
let openModals = 0;

/**
 * A modal dialog, drawn over the page (a portal into <body>): focus moves in, Tab and Shift+Tab
 * cycle inside it, the page behind is inert (neither the keyboard nor a screen reader reaches it),
 * Escape or the close button closes it, and focus goes back to what opened it — `returnFocus`'s
 * element when given (a board card the list may have drawn anew), else the element focused when
 * it opened.
 */
export function Modal({
  title,
  onClose,
  children,
  wide,
  sheet,
  returnFocus,
  initialFocus,
  testId,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
  /** On a phone, a sheet from the bottom edge. */
  sheet?: boolean;
  returnFocus?: () => HTMLElement | null | undefined;
  /** A selector of what takes focus first; else the first field, else the first control. */
  initialFocus?: string;
  testId?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const { t } = useTranslation();
  // The latest callbacks, so a parent's re-render (a new arrow function) does not re-run the effect and steal focus.
  const latest = useRef({ onClose, returnFocus, initialFocus });
  latest.current = { onClose, returnFocus, initialFocus };
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const root = document.getElementById('root');
    openModals += 1;
    root?.setAttribute('inert', '');
    const first = () =>
      (latest.current.initialFocus ? el.querySelector<HTMLElement>(latest.current.initialFocus) : null) ??
      el.querySelector<HTMLElement>('input:not([type="hidden"]), select, textarea') ??
      tabStops(el)[0] ??
      el;
    first().focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        latest.current.onClose();
        return;
      }
      if (e.key !== 'Tab') return;
      const stops = tabStops(el);
      if (stops.length === 0) {
        e.preventDefault();
        el.focus();
        return;
      }
      const at = stops.indexOf(document.activeElement as HTMLElement);
      if (e.shiftKey && at <= 0) {
        e.preventDefault();
        stops[stops.length - 1].focus();
      } else if (!e.shiftKey && (at === -1 || at === stops.length - 1)) {
        e.preventDefault();
        stops[0].focus();
      }
    };
    // Focus that lands outside (a script; dnd-kit giving it back to the dragged card, which is inert) or
    // drops to <body> comes back in.
    const comeBack = () => {
      if (el.isConnected && !el.contains(document.activeElement)) first().focus();
    };
    // A field drawn anew (a form whose definitions arrive) takes the focus with it: give it to the new one.
    const redrawn = new MutationObserver(() => requestAnimationFrame(comeBack));
    redrawn.observe(el, { childList: true, subtree: true });
    const onFocusIn = (e: FocusEvent) => {
      if (e.target instanceof Node && !el.contains(e.target)) comeBack();
    };
    const onFocusOut = (e: FocusEvent) => {
      if (!(e.relatedTarget instanceof Node && el.contains(e.relatedTarget))) requestAnimationFrame(comeBack);
    };
    document.addEventListener('keydown', onKey, true);
    document.addEventListener('focusin', onFocusIn);
    el.addEventListener('focusout', onFocusOut);
    // What opened the dialog may take focus back in the next frames (a drag's end does): check then too.
    const settle = window.setTimeout(comeBack, 50);
    return () => {
      window.clearTimeout(settle);
      redrawn.disconnect();
      document.removeEventListener('keydown', onKey, true);
      document.removeEventListener('focusin', onFocusIn);
      el.removeEventListener('focusout', onFocusOut);
      openModals -= 1;
      if (openModals === 0) root?.removeAttribute('inert');
      const back = latest.current.returnFocus?.() ?? opener;
      if (back?.isConnected) back.focus();
    };
  }, []);
  return createPortal(
    // biome-ignore lint/a11y/noStaticElementInteractions: clicking the backdrop is a mouse shortcut; Escape and the close button are the accessible ways out
    <div className={`backdrop${sheet ? ' sheet' : ''}`} onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className={`modal${wide ? ' wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-label={title}
        ref={ref}
        tabIndex={-1}
        data-testid={testId}
      >
        <div className="modal-head">
          <h2>{title}</h2>
          <button type="button" className="ghost" onClick={onClose} aria-label={t('common.close')}>
            ✕
          </button>
        </div>
        {children}
      </div>
    </div>,
    document.body,
  );
}

export function Stat({
  label,
  value,
  onClick,
  tone,
  testId,
}: {
  label: string;
  value: string;
  onClick?: () => void;
  tone?: 'good' | 'bad';
  testId?: string;
}) {
  const body = (
    <>
      <span className="stat-label">{label}</span>
      <span className={`stat-value${tone ? ` ${tone}` : ''}`} data-testid={testId}>
        {value}
      </span>
    </>
  );
  return onClick ? (
    <button type="button" className="stat clickable" onClick={onClick}>
      {body}
    </button>
  ) : (
    <div className="stat">{body}</div>
  );
}
