import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useSearch } from 'wouter';
import { api, type Me } from '../api';
import { ErrorState, Loading } from '../components';
import { dateTime } from '../format';
import { hrefOf, markRead, type Notification, type NotificationList, notificationText, useUnread } from './model';
import './notifications.css';

const PAGE = 20;

/** /notifications: all or only the unread ones (in the address: ?unread=1), newest first, page by page. */
export default function NotificationsPage({ me }: { me: Me }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const onlyUnread = new URLSearchParams(useSearch()).get('unread') === '1';
  const unread = useUnread();
  const list = useInfiniteQuery({
    queryKey: ['notifications', 'list', 'page', onlyUnread],
    queryFn: ({ pageParam }) =>
      api<NotificationList>(
        `/notifications?limit=${PAGE}${onlyUnread ? '&unread=true' : ''}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`,
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const tz = me.workspace.timezone;
  const count = unread.data ?? 0;
  const open = (n: Notification) => {
    if (!n.read_at) void markRead(qc, { ids: [n.id] }).catch(() => {});
    navigate(hrefOf(n));
  };

  return (
    <div className="notif-page">
      <div className="notif-page-head">
        <h1>{t('notifications.page.title')}</h1>
        <button type="button" className="ghost" disabled={count === 0} onClick={() => void markRead(qc, { all: true }).catch(() => {})}>
          {t('notifications.bell.markAll')}
        </button>
      </div>
      <nav className="notif-filter" aria-label={t('notifications.page.filter')}>
        <Link
          href="/notifications"
          className={onlyUnread ? 'notif-tab' : 'notif-tab active'}
          aria-current={onlyUnread ? undefined : 'page'}
        >
          {t('notifications.page.all')}
        </Link>
        <Link
          href="/notifications?unread=1"
          className={onlyUnread ? 'notif-tab active' : 'notif-tab'}
          aria-current={onlyUnread ? 'page' : undefined}
        >
          {t('notifications.page.unread')}
          {count > 0 && <span className="notif-count">{count}</span>}
        </Link>
      </nav>
      {list.isLoading && <Loading />}
      {list.isError && <ErrorState error={list.error} retry={() => void list.refetch()} />}
      {list.isSuccess && items.length === 0 && (
        <p className="notif-note">{onlyUnread ? t('notifications.page.emptyUnread') : t('notifications.page.empty')}</p>
      )}
      {items.length > 0 && (
        <ul className="notif-list notif-page-list" data-testid="notif-page-list">
          {items.map((n) => {
            const text = notificationText(n, t);
            // The button's name is its visible text; the notification it acts on is its description.
            return (
              <li key={n.id} className={n.read_at ? 'notif-item' : 'notif-item unread'}>
                <a
                  href={hrefOf(n)}
                  onClick={(e) => {
                    e.preventDefault();
                    open(n);
                  }}
                >
                  {!n.read_at && <span className="notif-dot" aria-label={t('notifications.page.unreadMark')} role="img" />}
                  <span className="notif-text" id={`notif-${n.id}`}>
                    {text}
                  </span>
                  <span className="notif-time">{dateTime(n.created_at, tz)}</span>
                </a>
                <button
                  type="button"
                  className="ghost notif-toggle"
                  aria-describedby={`notif-${n.id}`}
                  onClick={() => void markRead(qc, { ids: [n.id], read: !n.read_at }).catch(() => {})}
                >
                  {n.read_at ? t('notifications.page.markUnread') : t('notifications.page.markRead')}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {list.hasNextPage && (
        <button type="button" className="notif-more" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
          {t('notifications.page.more')}
        </button>
      )}
    </div>
  );
}
