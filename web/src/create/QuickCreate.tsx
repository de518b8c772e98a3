import { useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, lazy, Suspense, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation } from 'wouter';
import { type Answer, api, type Me } from '../api';
import { Loading } from '../components';
import { PlusIcon } from '../search/icons';
import { OPEN_CREATE_MENU } from '../shortcuts/Shortcuts';
import { Dialog } from './dialog';
import type { Around, Created, FormProps } from './forms/common';
import type { CreateItem } from './forms/index';
import { showToast, Toasts } from './toast';
import './create.css';

const ITEMS: readonly CreateItem[] = ['company', 'contact', 'lead', 'deal', 'task', 'call', 'meeting'];
type Item = CreateItem;
// The forms are loaded when the "+" is first pointed at, focused or pressed, not with the first page.
const loadForms = () => import('./forms/index');
const FormFor = lazy(loadForms);
const preload = () => {
  loadForms().catch(() => {}); // lazy() tries again and shows the error
};

/** The card on screen, from the address (the card routes of App.tsx). */
function cardOf(path: string): { kind: 'deals' | 'companies' | 'contacts'; id: number } | null {
  const m = /^\/(deals|companies|contacts)\/(\d+)$/.exec(path);
  return m ? { kind: m[1] as 'deals' | 'companies' | 'contacts', id: Number(m[2]) } : null;
}

/**
 * The record of the card on screen as the new record's reference: on a company's card a new
 * contact or deal is that company's, on a contact's card a deal or call is with that contact, on
 * a deal's card a task or call is about that deal. Asked for when the menu opens.
 */
function useAround(path: string, wanted: boolean): { around: Around; pending: boolean } {
  const card = cardOf(path);
  const q = useQuery({
    queryKey: ['search', 'around', card?.kind ?? null, card?.id ?? null],
    queryFn: async (): Promise<Around> => {
      if (!card) return {};
      if (card.kind === 'deals') {
        const d = await api<Answer<'/api/v1/deals/{id}', 'get'>>(`/deals/${card.id}`);
        return { deal: { id: d.id, title: d.title } };
      }
      if (card.kind === 'companies') {
        const c = await api<Answer<'/api/v1/companies/{id}', 'get'>>(`/companies/${card.id}`);
        return { company: { id: c.id, title: c.name } };
      }
      const p = await api<Answer<'/api/v1/contacts/{id}', 'get'>>(`/contacts/${card.id}`);
      return { contact: { id: p.id, title: p.name } };
    },
    enabled: wanted && !!card,
    staleTime: 30_000,
  });
  // A card that cannot be read (gone, not mine) is no context: the form opens empty.
  return { around: (card && q.data) || {}, pending: !!card && wanted && q.isPending };
}

/**
 * The "+" of the top bar (and, on a phone, the round button at the bottom, under the thumb):
 * a menu button (WAI-ARIA menu: ↑/↓, Home/End, Escape back to the button) whose items open the
 * create dialog of a company, contact, lead, deal, task or a call or meeting. After a create a
 * toast names the record with a link to it; a new deal opens its card at once. Every write marks
 * the cached lists, boards and reports stale (api.ts → main.tsx), so they show it.
 */
export function QuickCreate({ me }: { me: Me }) {
  const { t } = useTranslation();
  const [location, navigate] = useLocation();
  const [menu, setMenu] = useState<'header' | 'fab' | null>(null);
  const [creating, setCreating] = useState<Item | null>(null);
  const headerButton = useRef<HTMLButtonElement>(null);
  const fabButton = useRef<HTMLButtonElement>(null);
  const opener = useRef<'header' | 'fab'>('header');
  const menuId = useId();
  const itemsRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    // The N shortcut (shortcuts/Shortcuts.tsx): the header's menu, as if its "+" was pressed.
    const open = () => {
      preload();
      setMenu('header');
    };
    window.addEventListener(OPEN_CREATE_MENU, open);
    return () => window.removeEventListener(OPEN_CREATE_MENU, open);
  }, []);
  useEffect(() => {
    if (!menu) return;
    itemsRef.current?.querySelector<HTMLElement>('[role=menuitem]')?.focus();
    const away = (e: MouseEvent) => {
      const el = e.target as Node;
      if (!itemsRef.current?.contains(el) && !headerButton.current?.contains(el) && !fabButton.current?.contains(el)) setMenu(null);
    };
    document.addEventListener('mousedown', away);
    return () => document.removeEventListener('mousedown', away);
  }, [menu]);

  const buttonOf = (which: 'header' | 'fab') => (which === 'header' ? headerButton.current : fabButton.current);
  const closeMenu = (focusButton: boolean) => {
    const which = menu;
    setMenu(null);
    if (focusButton && which) buttonOf(which)?.focus();
  };
  const onMenuKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = [...(itemsRef.current?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    const go = (i: number) => items[(i + items.length) % items.length]?.focus();
    if (e.key === 'ArrowDown') go(at + 1);
    else if (e.key === 'ArrowUp') go(at - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(items.length - 1);
    else if (e.key === 'Escape') closeMenu(true);
    else if (e.key === 'Tab') return closeMenu(false);
    else return;
    e.preventDefault();
  };
  const choose = (item: Item) => {
    opener.current = menu ?? 'header';
    setMenu(null);
    setCreating(item);
  };
  const toggle = (which: 'header' | 'fab') => setMenu((m) => (m === which ? null : which));

  const onCreated = (c: Created) => {
    setCreating(null);
    // A new deal is worked on at once: its card opens. Other records stay where the person was, one click away.
    if (c.kind === 'deal' && c.href) {
      navigate(c.href);
      showToast({ message: c.message });
    } else showToast({ message: c.message, href: c.href });
  };
  const close = () => setCreating(null);
  const context = useAround(location, menu !== null || creating !== null);
  const props: FormProps = { me, around: context.around, onCreated, onCancel: close, onLeave: close };
  const title = creating
    ? creating === 'call' || creating === 'meeting'
      ? t(`header.create.titles.activity.${creating}`)
      : t(`header.create.titles.${creating}`)
    : '';

  const menuBox = (which: 'header' | 'fab') =>
    menu === which && (
      <div
        ref={itemsRef}
        id={menuId}
        role="menu"
        aria-label={t('header.create.menu')}
        className={`create-menu at-${which}`}
        onKeyDown={onMenuKey}
        tabIndex={-1}
      >
        {ITEMS.map((item) => (
          <button key={item} type="button" role="menuitem" tabIndex={-1} data-testid={`create-${item}-item`} onClick={() => choose(item)}>
            {t(`header.create.items.${item}`)}
          </button>
        ))}
      </div>
    );

  return (
    <>
      <div className="create-wrap">
        <button
          ref={headerButton}
          type="button"
          className="primary create-button"
          aria-haspopup="menu"
          aria-expanded={menu === 'header'}
          aria-controls={menu === 'header' ? menuId : undefined}
          data-testid="create-button"
          onPointerEnter={preload}
          onFocus={preload}
          onClick={() => toggle('header')}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault();
              setMenu('header');
            }
          }}
        >
          <PlusIcon size={16} /> <span>{t('header.create.button')}</span>
        </button>
        {menuBox('header')}
      </div>
      <div className="fab-wrap">
        <button
          ref={fabButton}
          type="button"
          className="fab fab-create"
          aria-label={t('header.create.fab')}
          aria-haspopup="menu"
          aria-expanded={menu === 'fab'}
          aria-controls={menu === 'fab' ? menuId : undefined}
          data-testid="create-fab"
          onPointerDown={preload}
          onFocus={preload}
          onClick={() => toggle('fab')}
        >
          <PlusIcon size={26} />
        </button>
        {menuBox('fab')}
      </div>
      {creating && (
        <Dialog title={title} onClose={close} returnFocus={() => buttonOf(opener.current)} testId="create-dialog" className="create-dialog">
          <Suspense fallback={<Loading />}>{context.pending ? <Loading /> : <FormFor item={creating} {...props} />}</Suspense>
        </Dialog>
      )}
      <Toasts />
    </>
  );
}
