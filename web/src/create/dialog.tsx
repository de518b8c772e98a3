import { type ReactNode, useEffect, useId, useRef } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * A modal dialog on the browser's own <dialog>: showModal() makes the page behind inert, so Tab
 * stays inside and a screen reader reads only the dialog; Escape and the close button close it,
 * and so does a click on the backdrop. Focus goes to the first field (or `[data-autofocus]`) and,
 * on close, back where it was — or to `returnFocus()` when the opener is gone (a menu item).
 */
export function Dialog({
  title,
  onClose,
  children,
  className,
  returnFocus,
  hideTitle,
  testId,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  className?: string;
  returnFocus?: () => HTMLElement | null | undefined;
  hideTitle?: boolean;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const { t } = useTranslation();
  const close = useRef(onClose);
  close.current = onClose;
  const back = useRef(returnFocus);
  back.current = returnFocus;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!d.open) d.showModal();
    (d.querySelector<HTMLElement>('[data-autofocus]') ?? d.querySelector<HTMLElement>('.dialog-body input, .dialog-body select'))?.focus();
    return () => {
      if (d.open) d.close();
      // The opener may be gone (a menu item) or never was (a shortcut pressed on the page): then returnFocus().
      const target = opener && opener !== document.body && opener.isConnected ? opener : (back.current?.() ?? opener);
      target?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={`hdialog${className ? ` ${className}` : ''}`}
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        close.current();
      }}
      onMouseDown={(e) => {
        // Only the backdrop is the <dialog> itself: its content fills a box of its own.
        if (e.target === e.currentTarget) close.current();
      }}
    >
      <div className="hdialog-box">
        <div className={`hdialog-head${hideTitle ? ' title-hidden' : ''}`}>
          <h2 id={titleId} className={hideTitle ? 'sr-only' : undefined}>
            {title}
          </h2>
          <button type="button" className="ghost" onClick={() => close.current()} aria-label={t('common.close')}>
            ✕
          </button>
        </div>
        <div className="dialog-body">{children}</div>
      </div>
    </dialog>
  );
}
