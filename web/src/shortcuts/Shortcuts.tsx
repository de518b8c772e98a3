import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation } from 'wouter';
import { Modal } from '../components';

/** The pages "G, then a key" opens, by the key's place (KeyboardEvent.code), so the Russian layout works too. */
export const GO_KEYS = [
  ['KeyT', 'T', '/tasks', 'tasks'],
  ['KeyB', 'B', '/board', 'board'],
  ['KeyD', 'D', '/dashboard', 'dashboard'],
  ['KeyY', 'Y', '/yesterday', 'yesterday'],
  ['KeyS', 'S', '/deals', 'deals'],
  ['KeyC', 'C', '/companies', 'companies'],
  ['KeyP', 'P', '/contacts', 'contacts'],
  ['KeyL', 'L', '/leads', 'leads'],
  ['KeyN', 'N', '/notifications', 'notifications'],
] as const;

/** Asks the header's "+" to open its menu (QuickCreate listens). */
export const OPEN_CREATE_MENU = 'voronka:open-create-menu';

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el?.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}
const dialogOpen = () => !!document.querySelector('dialog[open], [role="dialog"][aria-modal="true"], [role="menu"]');

/**
 * The app's keyboard shortcuts besides Ctrl+K and / (the search's own): N opens the "+" menu,
 * G then a letter goes to a page, ? shows the list. Never while typing in a field, with a
 * modifier held, or over an open dialog or menu.
 */
export function Shortcuts() {
  const { t } = useTranslation();
  const [, navigate] = useLocation();
  const [help, setHelp] = useState(false);
  const pendingG = useRef(0);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || dialogOpen()) return;
      if (e.key === '?' || (e.code === 'Slash' && e.shiftKey)) {
        e.preventDefault();
        setHelp(true);
        return;
      }
      if (e.shiftKey) return;
      if (Date.now() - pendingG.current < 1500) {
        pendingG.current = 0;
        const go = GO_KEYS.find(([code]) => code === e.code);
        if (go) {
          e.preventDefault();
          navigate(go[2]);
        }
        return;
      }
      if (e.code === 'KeyG') {
        pendingG.current = Date.now();
        e.preventDefault();
      } else if (e.code === 'KeyN') {
        e.preventDefault();
        window.dispatchEvent(new Event(OPEN_CREATE_MENU));
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate]);
  if (!help) return null;
  const key = (k: string) => <kbd>{k}</kbd>;
  return (
    <Modal title={t('shortcuts.title')} onClose={() => setHelp(false)} testId="shortcuts-help">
      <p>{t('shortcuts.intro')}</p>
      <dl className="fields shortcut-list">
        <div className="field-row">
          <dt>
            {key('Ctrl')}+{key('K')} {t('shortcuts.or')} {key('/')}
          </dt>
          <dd>{t('shortcuts.search')}</dd>
        </div>
        <div className="field-row">
          <dt>{key('N')}</dt>
          <dd>{t('shortcuts.create')}</dd>
        </div>
        {GO_KEYS.map(([code, label, , page]) => (
          <div key={code} className="field-row">
            <dt>
              {key('G')} {t('shortcuts.thenKey')} {key(label)}
            </dt>
            <dd>{t(`shortcuts.pages.${page}`)}</dd>
          </div>
        ))}
        <div className="field-row">
          <dt>{key('?')}</dt>
          <dd>{t('shortcuts.help')}</dd>
        </div>
        <div className="field-row">
          <dt>{key('Esc')}</dt>
          <dd>{t('shortcuts.close')}</dd>
        </div>
      </dl>
    </Modal>
  );
}
