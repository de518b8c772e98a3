import { useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { ApiError, api, type Me, type PageKey, type Prefs } from './api';
import { ErrorState, Loading, Modal } from './components';
import { QuickCreate } from './create/QuickCreate';
import { prefetchDashboard } from './dashboard-queries';
import { setLanguage } from './i18n';
import { LanguageSwitch } from './language-switch';
import { NotificationBell } from './notifications/NotificationBell';
import { BoardPage } from './pages/BoardPage';
import { DealCardPage } from './pages/DealCardPage';
import { ListPage } from './pages/ListPage';
import { LoginPage } from './pages/LoginPage';
import { RecordCardPage } from './pages/RecordCardPage';
import { ReviewPage } from './pages/ReviewPage';
import { SettingsPage } from './pages/SettingsPage';
import { TasksPage } from './pages/TasksPage';
import { HeaderSearch } from './search/HeaderSearch';
import { SetupPage } from './setup/SetupPage';
import { Shortcuts } from './shortcuts/Shortcuts';

const NotificationsPage = lazy(() => import('./notifications/NotificationsPage'));
const UsersPage = lazy(() => import('./users/UsersPage'));
const StandardPage = lazy(() => import('./standard/StandardPage').then((m) => ({ default: m.StandardPage })));
const ImportPage = lazy(() => import('./imports/ImportPage'));
const MarketingPage = lazy(() => import('./marketing/MarketingPage').then((m) => ({ default: m.MarketingPage })));
const AccountsPage = lazy(() => import('./accounts/AccountsPage').then((m) => ({ default: m.AccountsPage })));
const InvitePage = lazy(() => import('./users/InvitePage').then((m) => ({ default: m.InvitePage })));

// Charts are heavy: the dashboards load on demand, keeping the first bundle small.
const loadDashboard = () => import('./pages/DashboardPage');
const DashboardPage = lazy(loadDashboard);
const YesterdayPage = lazy(() => import('./pages/YesterdayPage'));
// A dashboard opened directly (a shared link, a bookmark) fetches its code along with the session check, not after it.
if (window.location.pathname.startsWith('/dashboard')) loadDashboard().catch(() => {}); // lazy() tries again and shows the error

export function useMe() {
  const qc = useQueryClient();
  return useQuery<Me | null>({
    queryKey: ['me'],
    queryFn: async () => {
      // The profile's preferences (start page, menu) are asked for in the same round trip as the session.
      const prefs = api<Prefs>('/me/preferences').then(
        (p) => qc.setQueryData(['prefs'], p),
        () => {},
      );
      try {
        const me = await api<Me>('/auth/me');
        prefetchDashboard(qc, me);
        await prefs;
        return me;
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return null;
        throw e;
      }
    },
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function usePrefs(enabled = true) {
  return useQuery({ queryKey: ['prefs'], queryFn: () => api<Prefs>('/me/preferences'), enabled, staleTime: Number.POSITIVE_INFINITY });
}

const PATHS: Record<PageKey, string> = {
  tasks: '/tasks',
  board: '/board',
  dashboard: '/dashboard',
  yesterday: '/yesterday',
  deals: '/deals',
  companies: '/companies',
  contacts: '/contacts',
  leads: '/leads',
  marketing: '/marketing',
  accounts: '/accounts',
  review: '/review',
};
const ICONS: Record<PageKey, string> = {
  tasks: '☑',
  board: '▦',
  dashboard: '◔',
  yesterday: '◷',
  deals: '₽',
  companies: '▣',
  contacts: '☺',
  leads: '✦',
  marketing: '◎',
  accounts: '◈',
  review: '⚑',
};

/** How many sections the phone's bottom bar shows before "Ещё" (the rest are in its sheet). */
const BAR_ITEMS = 4;

/** "Ещё" on a phone: every section of the menu, Settings, the language and sign-out, in a sheet from the bottom. */
function MoreSheet({
  items,
  location,
  me,
  onClose,
  signOut,
}: {
  items: { key: PageKey }[];
  location: string;
  me: Me;
  onClose: () => void;
  signOut: () => void;
}) {
  const { t } = useTranslation();
  const link = (key: PageKey | 'settings' | 'team' | 'import' | 'standard', href: string, icon: string) => (
    <Link key={key} href={href} className={location.startsWith(href) ? 'active' : ''} onClick={onClose} data-testid={`more-${key}`}>
      <span className="icon" aria-hidden="true">
        {icon}
      </span>
      <span>
        {key === 'team'
          ? t('users.title')
          : key === 'import'
            ? t('imports.title')
            : key === 'standard'
              ? t('standard.title')
              : t(`nav.${key}`)}
      </span>
    </Link>
  );
  return (
    <Modal title={t('layout.moreTitle')} onClose={onClose} sheet testId="more-sheet" initialFocus=".more-nav a">
      <nav className="more-nav" aria-label={t('layout.moreTitle')}>
        {items.map((m) => link(m.key, PATHS[m.key], ICONS[m.key]))}
        {link('settings', '/settings', '⚙')}
        {me.user.role !== 'manager' && link('standard', '/standard', '☰')}
        {me.user.role === 'admin' && link('team', '/team', '☷')}
        {(me.user.role === 'admin' || me.user.role === 'head_of_sales') && link('import', '/import', '⇪')}
      </nav>
      <div className="more-foot">
        <span className="muted">
          {me.user.name} · {me.workspace.name}
        </span>
        <div className="spacer" />
        <LanguageSwitch />
        <button type="button" onClick={signOut}>
          {t('nav.signOut')}
        </button>
      </div>
    </Modal>
  );
}

function Shell({ me, prefs, children }: { me: Me; prefs: Prefs; children: React.ReactNode }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [location] = useLocation();
  const [more, setMore] = useState(false);
  const signOut = async () => {
    await api('/auth/logout', { method: 'POST' }).catch(() => {});
    qc.setQueryData(['me'], null);
    qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
  };
  const items = prefs.menu.filter(
    (m) =>
      !m.hidden &&
      (m.key !== 'review' || me.user.role === 'admin' || me.user.role === 'head_of_sales') &&
      (m.key !== 'marketing' || me.user.role !== 'service') &&
      (m.key !== 'accounts' || me.user.role !== 'marketer'),
  );
  // On a phone the bar holds the first sections of the user's menu and "Ещё", which is lit when the page is one of the rest.
  const inMore =
    location.startsWith('/settings') ||
    location.startsWith('/team') ||
    location.startsWith('/standard') ||
    location.startsWith('/import') ||
    items.slice(BAR_ITEMS).some((m) => location.startsWith(PATHS[m.key]));
  const tabs = Math.min(items.length, BAR_ITEMS) + 1;
  const skip = (e: React.MouseEvent) => {
    e.preventDefault();
    const main = document.getElementById('main');
    main?.focus();
    main?.scrollIntoView();
  };
  return (
    <div className="shell">
      {/* biome-ignore lint/a11y/useValidAnchor: a skip link is an in-page link to #main; the handler focuses it without adding #main to the address */}
      <a href="#main" className="skip-link" onClick={skip} data-testid="skip-link">
        {t('layout.skip')}
      </a>
      <Shortcuts />
      <aside className="sidebar" aria-label={t('nav.menu')}>
        <div className="sidebar-inner">
          <Link href="/" className="brand">
            <img src="/favicon.svg" alt="" width={26} height={26} /> <span>{t('app.name')}</span>
          </Link>
          <nav className="mainnav" style={{ '--tabs': tabs } as React.CSSProperties}>
            {items.map((m, i) => (
              <Link
                key={m.key}
                href={PATHS[m.key]}
                className={`${location.startsWith(PATHS[m.key]) ? 'active' : ''}${i >= BAR_ITEMS ? ' phone-more' : ''}`}
                aria-current={location.startsWith(PATHS[m.key]) ? 'page' : undefined}
                data-testid={`nav-${m.key}`}
              >
                <span className="icon" aria-hidden="true">
                  {ICONS[m.key]}
                </span>
                <span className="nav-full">{t(`nav.${m.key}`)}</span>
                <span className="nav-short">{t(`layout.short.${m.key}`)}</span>
              </Link>
            ))}
            <button
              type="button"
              className={`more-button${inMore ? ' active' : ''}`}
              aria-haspopup="dialog"
              aria-expanded={more}
              onClick={() => setMore(true)}
              data-testid="nav-more"
            >
              <span className="icon" aria-hidden="true">
                ☰
              </span>
              <span>{t('layout.more')}</span>
            </button>
          </nav>
          <div className="spacer" />
          <Link
            href="/settings"
            className={location.startsWith('/settings') ? 'active navlink' : 'navlink'}
            aria-current={location.startsWith('/settings') ? 'page' : undefined}
            data-testid="nav-settings"
          >
            <span className="icon" aria-hidden="true">
              ⚙
            </span>
            <span>{t('nav.settings')}</span>
          </Link>
          {me.user.role === 'admin' && (
            <Link
              href="/team"
              className={location.startsWith('/team') ? 'active navlink' : 'navlink'}
              aria-current={location.startsWith('/team') ? 'page' : undefined}
              data-testid="nav-team"
            >
              <span className="icon" aria-hidden="true">
                ☷
              </span>
              <span>{t('users.title')}</span>
            </Link>
          )}
          {me.user.role !== 'manager' && (
            <Link
              href="/standard"
              className={location.startsWith('/standard') ? 'active navlink' : 'navlink'}
              aria-current={location.startsWith('/standard') ? 'page' : undefined}
              data-testid="nav-standard"
            >
              <span className="icon" aria-hidden="true">
                ☰
              </span>
              <span>{t('standard.title')}</span>
            </Link>
          )}
          {(me.user.role === 'admin' || me.user.role === 'head_of_sales') && (
            <Link
              href="/import"
              className={location.startsWith('/import') ? 'active navlink' : 'navlink'}
              aria-current={location.startsWith('/import') ? 'page' : undefined}
              data-testid="nav-import"
            >
              <span className="icon" aria-hidden="true">
                ⇪
              </span>
              <span>{t('imports.title')}</span>
            </Link>
          )}
        </div>
      </aside>
      <div className="main-col">
        <header className="topbar">
          <Link href="/" className="topbar-brand">
            <img src="/favicon.svg" alt="" width={24} height={24} />
            <span>{t('app.name')}</span>
          </Link>
          <HeaderSearch />
          <div className="spacer" />
          <QuickCreate me={me} />
          <NotificationBell me={me} />
          <span className="who">
            {me.user.name} · {me.workspace.name}
          </span>
          <span className="desk-only">
            <LanguageSwitch />
          </span>
          <button type="button" className="ghost desk-only" onClick={signOut}>
            {t('nav.signOut')}
          </button>
        </header>
        <main className="content" id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
      {more && (
        <MoreSheet
          items={items}
          location={location}
          me={me}
          onClose={() => setMore(false)}
          signOut={() => {
            setMore(false);
            void signOut();
          }}
        />
      )}
    </div>
  );
}

export function App() {
  const qc = useQueryClient();
  const me = useMe();
  const prefs = usePrefs(!!me.data);
  // Signed out: a server with no workspace yet shows the setup page instead of the sign-in (issue 17).
  const setup = useQuery({
    queryKey: ['setup'],
    queryFn: () => api<{ needed: boolean }>('/setup'),
    enabled: me.data === null,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const { t, i18n } = useTranslation();
  useEffect(() => {
    // A saved language in the profile wins over the browser's.
    const saved = prefs.data?.locale;
    if (saved && saved !== i18n.language && !localStorage.getItem('voronka.lang')) setLanguage(saved);
  }, [prefs.data?.locale, i18n.language]);
  // An invitation link (/invite/<token>) opens its page, signed in or not: it sets the invited person's password.
  const invite = /^\/invite\/([^/]+)$/.exec(window.location.pathname);
  if (invite) {
    return (
      <div className="login-wrap">
        <div className="login-side">
          <LanguageSwitch />
        </div>
        <Suspense fallback={<Loading />}>
          <InvitePage
            token={decodeURIComponent(invite[1])}
            onDone={() => {
              window.history.replaceState(null, '', '/');
              void qc.invalidateQueries({ queryKey: ['me'] });
            }}
          />
        </Suspense>
      </div>
    );
  }
  if (me.isPending || (me.data && prefs.isPending)) return <Loading />;
  if (me.isError) return <ErrorState error={me.error} retry={() => me.refetch()} />;
  if (!me.data) {
    if (setup.isPending) return <Loading />;
    return (
      <div className="login-wrap">
        <div className="login-side">
          <LanguageSwitch />
        </div>
        {setup.data?.needed ? <SetupPage /> : <LoginPage />}
      </div>
    );
  }
  if (prefs.isError || !prefs.data) return <ErrorState error={prefs.error} retry={() => prefs.refetch()} />;
  const start = PATHS[prefs.data.start_page];
  return (
    <Shell me={me.data} prefs={prefs.data}>
      <Suspense fallback={<Loading />}>
        <Switch>
          <Route path="/tasks">
            <TasksPage me={me.data} />
          </Route>
          <Route path="/board">
            <BoardPage me={me.data} />
          </Route>
          <Route path="/dashboard">
            <DashboardPage me={me.data} />
          </Route>
          <Route path="/yesterday">
            <YesterdayPage me={me.data} />
          </Route>
          <Route path="/deals/:id">{(p) => <DealCardPage id={Number(p.id)} me={me.data as Me} />}</Route>
          <Route path="/deals">
            <ListPage kind="deals" me={me.data} />
          </Route>
          <Route path="/companies/:id">{(p) => <RecordCardPage kind="companies" id={Number(p.id)} me={me.data as Me} />}</Route>
          <Route path="/companies">
            <ListPage kind="companies" me={me.data} />
          </Route>
          <Route path="/contacts/:id">{(p) => <RecordCardPage kind="contacts" id={Number(p.id)} me={me.data as Me} />}</Route>
          <Route path="/contacts">
            <ListPage kind="contacts" me={me.data} />
          </Route>
          <Route path="/leads/:id">{(p) => <RecordCardPage kind="leads" id={Number(p.id)} me={me.data as Me} />}</Route>
          <Route path="/leads">
            <ListPage kind="leads" me={me.data} />
          </Route>
          <Route path="/marketing/:section">{(p) => <MarketingPage section={p.section} me={me.data as Me} />}</Route>
          <Route path="/marketing">
            <MarketingPage me={me.data as Me} />
          </Route>
          <Route path="/accounts/:section">{(p) => <AccountsPage section={p.section} me={me.data as Me} />}</Route>
          <Route path="/accounts">
            <AccountsPage me={me.data as Me} />
          </Route>
          <Route path="/review">
            <ReviewPage me={me.data} />
          </Route>
          <Route path="/notifications">
            <NotificationsPage me={me.data} />
          </Route>
          <Route path="/settings">
            <SettingsPage me={me.data} prefs={prefs.data} />
          </Route>
          <Route path="/import">
            <ImportPage me={me.data} />
          </Route>
          <Route path="/standard/:section">{(p) => <StandardPage section={p.section} me={me.data as Me} />}</Route>
          <Route path="/standard">
            <Redirect to="/standard/pipelines" />
          </Route>
          <Route path="/team">
            <UsersPage me={me.data} />
          </Route>
          <Route>
            <Redirect to={start} />
          </Route>
        </Switch>
      </Suspense>
      <span className="sr-only">{t('app.tagline')}</span>
    </Shell>
  );
}
