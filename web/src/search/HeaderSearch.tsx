import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Dialog } from '../create/dialog';
import { SearchIcon } from './icons';
import { SearchCombobox } from './SearchCombobox';
import './search.css';

/** Whether a key press is typing into something (a field, a select, an editable text). */
function typingInto(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

/**
 * Global search in the top bar: the field (on a laptop), the Ctrl+K / Cmd+K palette (anywhere;
 * `/` too when not typing), and on a phone a round button at the bottom, under the thumb, that
 * opens the palette over the whole screen. Closing the palette returns focus where it was.
 */
export function HeaderSearch() {
  const { t } = useTranslation();
  const [palette, setPalette] = useState(false);
  const fab = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    // Another dialog (a create form, a move) keeps the keyboard: the palette would open over it and lead away.
    const otherDialog = () => !!document.querySelector('dialog[open]:not(.palette), [role="dialog"][aria-modal="true"]');
    const onKey = (e: KeyboardEvent) => {
      // e.code, so that Ctrl+K works in the Russian layout too (where the key types «л»).
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && (e.code === 'KeyK' || e.key.toLowerCase() === 'k')) {
        if (otherDialog()) return;
        e.preventDefault();
        setPalette((open) => !open);
      } else if (
        (e.key === '/' || (e.code === 'Slash' && !e.shiftKey)) &&
        !e.ctrlKey &&
        !e.metaKey &&
        !e.altKey &&
        !typingInto(e.target) &&
        !document.querySelector('dialog[open]') &&
        !otherDialog()
      ) {
        e.preventDefault();
        setPalette(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <>
      <div className="header-search">
        <SearchCombobox variant="header" />
      </div>
      <button
        ref={fab}
        type="button"
        className="fab fab-search"
        aria-label={t('header.search.open')}
        aria-haspopup="dialog"
        data-testid="search-fab"
        onClick={() => setPalette(true)}
      >
        <SearchIcon size={22} />
      </button>
      {palette && (
        <Dialog
          title={t('header.search.label')}
          hideTitle
          className="palette"
          testId="search-palette"
          onClose={() => setPalette(false)}
          returnFocus={() => fab.current}
        >
          <SearchCombobox variant="palette" onDone={() => setPalette(false)} />
        </Dialog>
      )}
    </>
  );
}
