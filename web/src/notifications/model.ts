import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useEffect, useRef, useState } from 'react';
import { type Answer, api } from '../api';

/** What the notification routes answer (their contracts, generated from the server's zod schemas). */
export type NotificationList = Answer<'/api/v1/notifications', 'get'>;
export type Notification = NotificationList['items'][number];

export const UNREAD_KEY = ['notifications', 'unread'] as const;

export function useUnread() {
  return useQuery({
    queryKey: UNREAD_KEY,
    queryFn: () => api<{ unread: number }>('/notifications/unread-count').then((r) => r.unread),
    staleTime: 60_000,
  });
}

/** Marks read (or unread) and puts the answer's count on the badge; the lists are read again. */
export async function markRead(qc: QueryClient, body: { ids: number[]; read?: boolean } | { all: true }) {
  const r = await api<{ updated: number; unread: number }>('/notifications/read', { method: 'POST', body });
  qc.setQueryData(UNREAD_KEY, r.unread);
  await qc.invalidateQueries({ queryKey: ['notifications', 'list'] });
  return r;
}

/**
 * The live stream, one per open app: each event puts the unread count on the badge, reloads the
 * open lists and hands a new notification to `onNew` (the toast). EventSource reconnects by
 * itself after a network failure; the server's `end` (signed out) closes it for good. Answers
 * whether the stream is open.
 */
export function useLiveNotifications(onNew: (n: Notification) => void): boolean {
  const qc = useQueryClient();
  const cb = useRef(onNew);
  cb.current = onNew;
  const [live, setLive] = useState(false);
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const es = new EventSource('/api/v1/notifications/stream');
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(es.readyState === EventSource.OPEN);
    es.addEventListener('unread', (e) => {
      qc.setQueryData(UNREAD_KEY, (JSON.parse((e as MessageEvent).data) as { unread: number }).unread);
    });
    es.addEventListener('notification', (e) => {
      const d = JSON.parse((e as MessageEvent).data) as { notification: Notification; unread: number };
      qc.setQueryData(UNREAD_KEY, d.unread);
      void qc.invalidateQueries({ queryKey: ['notifications', 'list'] });
      cb.current(d.notification);
    });
    es.addEventListener('end', () => {
      es.close();
      setLive(false);
    });
    return () => es.close();
  }, [qc]);
  return live;
}

/** Where a notification leads: the deal's card, the tasks, the record's card. */
export function hrefOf(n: Notification): string {
  if (n.entity === 'tasks') return '/tasks';
  return `/${n.entity}/${n.entity_id}`;
}

const str = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

/** The notification's sentence in the interface language, from its kind and the values it keeps. */
export function notificationText(n: Notification, t: TFunction): string {
  const p = n.params;
  const actor = n.actor ?? t('notifications.text.someone');
  const type = str(p.type) || 'other';
  const known = (group: string, key: string) => t(`notifications.${group}.${key}`, { defaultValue: t(`notifications.${group}.other`) });
  switch (n.kind) {
    case 'task_assigned':
      return p.deal
        ? t('notifications.text.task_assigned_deal', { actor, task: str(p.task), deal: str(p.deal) })
        : t('notifications.text.task_assigned', { actor, task: str(p.task) });
    case 'deal_moved': {
      const count = Number(p.tasks ?? 0);
      return count > 0
        ? t('notifications.text.deal_moved_tasks', { actor, deal: str(p.deal), stage: str(p.stage), count })
        : t('notifications.text.deal_moved', { actor, deal: str(p.deal), stage: str(p.stage) });
    }
    case 'deal_assigned':
      return t('notifications.text.deal_assigned', { actor, deal: str(p.deal) });
    case 'deal_commented': {
      if (type === 'note') return t('notifications.text.deal_commented_note', { actor, deal: str(p.deal) });
      const subject = str(p.subject);
      const what = known('activityNew', type) + (subject ? ` ${t('notifications.quote', { x: subject })}` : '');
      return t('notifications.text.deal_commented', { actor, what, deal: str(p.deal) });
    }
    case 'mentioned': {
      const target = t(`notifications.target.${str(p.target) || n.entity}`);
      if (type === 'note') return t('notifications.text.mentioned_note', { actor, target, name: str(p.name) });
      return t('notifications.text.mentioned', { actor, what: known('activity', type), target, name: str(p.name) });
    }
  }
  return actor;
}
