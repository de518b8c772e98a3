import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Me, type Named, type Page } from '../../api';
import type { Lang } from '../dates';
import { loadUsers } from '../loaders';
import type { Choice } from '../picker';

/** What a form tells the dialog once the server has created the record. */
export interface Created {
  kind: 'company' | 'contact' | 'lead' | 'deal' | 'task' | 'activity';
  id: number;
  /** The record's name for the toast (or, for an activity, its type's message). */
  message: string;
  /** Its card, when it has one. */
  href?: string;
}

/** The record whose card is on screen, offered as the new record's company, contact or deal. */
export interface Around {
  company?: Choice;
  contact?: Choice;
  deal?: Choice;
}

export interface FormProps {
  me: Me;
  around: Around;
  onCreated: (c: Created) => void;
  onCancel: () => void;
  /** Closes the dialog (a duplicate's link leads away from the form). */
  onLeave: () => void;
}

export const nullIfEmpty = (s: string) => (s.trim() ? s.trim() : null);

export function useLang(): Lang {
  const { i18n } = useTranslation();
  return i18n.language === 'ru' ? 'ru' : 'en';
}

/** The owner picker's default, me, and its list, the team. */
export function useOwner(me: Me) {
  const qc = useQueryClient();
  const { t } = useTranslation();
  const mine: Choice = useMemo(() => ({ id: me.user.id, title: t('header.create.picker.me', { name: me.user.name }) }), [me, t]);
  const load = useMemo(() => {
    const users = loadUsers(qc, me.user.id);
    return async (q: string) => (await users(q)).map((u) => (u.id === me.user.id ? mine : u));
  }, [qc, me.user.id, mine]);
  return { mine, load };
}

/** A small named list (segments, channels) for a select. */
export function useNamedList(path: '/segments' | '/channels') {
  return useQuery({
    queryKey: ['named', path],
    queryFn: () => api<Page<Named>>(`${path}?limit=200`),
    staleTime: 300_000,
  });
}
