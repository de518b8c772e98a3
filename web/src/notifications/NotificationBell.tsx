import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'wouter';
import { api, type Me } from '../api';
import { dateTime } from '../format';
import { hrefOf, markRead, type Notification, type NotificationList, notificationText, useLiveNotifications, useUnread } from './model';
import './notifications.css';

const LATEST = 8;

export function BellIcon({ size = 20 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path
        d="M12 3a6 6 0 0 0-6 6v3.6l-1.6 2.7A1 1 0 0 0 5.3 17h13.4a1 1 0 0 0 .9-1.7L18 12.6V9a6 6 0 0 0-6-6Zm-2.4 15.5a2.5 2.5 0 0 0 4.8 0Z"
        fill="currentColor"
      />
    </svg>
  );
}

/**
 * The header's bell: the unread count on a badge (its label says it in words, with the plural),
 * a panel of the latest with «Отметить все прочитанными», each opening its record and marking it
 * read. The live stream keeps the badge current and says a new one in a small toast.
 */
export function NotificationBell({ me }: { me: Me }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [open, setOpen] = useState(false);
  const [toast, setToast] = useState<Notification | null>(null);
  const panelId = useId();
  const wrap = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const unread = useUnread();
  const count = unread.data ?? 0;
  const live = useLiveNotifications(useCallback((n: Notification) => setToast(n), []));
  const latest = useQuery({
    queryKey: ['notifications', 'list', 'bell'],
    queryFn: () => api<NotificationList>(`/notifications?limit=${LATEST}`),
    enabled: open,
  });

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 8_000);
    return () => clearTimeout(timer);
  }, [toast]);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('pointerdown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  const go = (n: Notification) => {
    setOpen(false);
    setToast(null);
    if (!n.read_at) void markRead(qc, { ids: [n.id] }).catch(() => {});
    navigate(hrefOf(n));
  };
  const label = t('notifications.bell.label', { count });
  const tz = me.workspace.timezone;
  const items = latest.data?.items ?? [];

  return (
    <div className="notif-wrap" ref={wrap}>
      <button
        ref={button}
        type="button"
        className="notif-bell"
        aria-label={label}
        title={label}
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        data-testid="notif-bell"
        data-live={live ? 'true' : 'false'}
        onClick={() => {
          // The panel shows what the toast said: one of them at a time.
          setToast(null);
          setOpen((o) => !o);
        }}
      >
        <BellIcon />
        {count > 0 && (
          <span className="notif-badge" data-testid="notif-badge" aria-hidden="true">
            {count > 99 ? '99+' : count}
          </span>
        )}
      </button>
      {open && (
        <section className="notif-panel" id={panelId} aria-label={t('notifications.bell.title')} data-testid="notif-panel">
          <div className="notif-panel-head">
            <h2>{t('notifications.bell.title')}</h2>
            <button
              type="button"
              className="ghost notif-mark-all"
              disabled={count === 0}
              onClick={() => void markRead(qc, { all: true }).catch(() => {})}
            >
              {t('notifications.bell.markAll')}
            </button>
          </div>
          {latest.isLoading && <p className="notif-note">{t('notifications.bell.loading')}</p>}
          {latest.isError && <p className="notif-note">{t('notifications.bell.failed')}</p>}
          {latest.isSuccess && items.length === 0 && <p className="notif-note">{t('notifications.bell.empty')}</p>}
          {items.length > 0 && (
            <ul className="notif-list">
              {items.map((n) => (
                <li key={n.id} className={n.read_at ? 'notif-item' : 'notif-item unread'}>
                  <a
                    href={hrefOf(n)}
                    onClick={(e) => {
                      e.preventDefault();
                      go(n);
                    }}
                  >
                    {!n.read_at && <span className="notif-dot" aria-label={t('notifications.page.unreadMark')} role="img" />}
                    <span className="notif-text">{notificationText(n, t)}</span>
                    <span className="notif-time">{dateTime(n.created_at, tz)}</span>
                  </a>
                </li>
              ))}
            </ul>
          )}
          <Link href="/notifications" className="notif-all" onClick={() => setOpen(false)}>
            {t('notifications.bell.all')}
          </Link>
        </section>
      )}
      <div className="notif-toast-region" role="status" aria-live="polite">
        {toast && (
          <div className="notif-toast" data-testid="notif-toast">
            <a
              href={hrefOf(toast)}
              onClick={(e) => {
                e.preventDefault();
                go(toast);
              }}
            >
              <BellIcon size={16} />
              <span>{notificationText(toast, t)}</span>
            </a>
            <button type="button" className="notif-toast-close" aria-label={t('notifications.toast.close')} onClick={() => setToast(null)}>
              ×
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
