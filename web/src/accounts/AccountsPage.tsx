import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import type { Me } from '../api';
import { Loading } from '../components';
import { canEditAccountSettings } from './shared';
import './accounts.css';

/** The sections of key accounts and service (issue 19). */
export const ACCOUNT_SECTIONS = ['dashboard', 'renewals', 'cases', 'settings'] as const;
type Section = (typeof ACCOUNT_SECTIONS)[number];

const pages = {
  dashboard: lazy(() => import('./AccountsDashboard')),
  renewals: lazy(() => import('./RenewalsPage')),
  cases: lazy(() => import('./CasesPage')),
  settings: lazy(() => import('./AccountSettingsPage')),
} satisfies Record<Section, unknown>;

export function AccountsPage({ section, me }: { section?: string; me: Me }) {
  const { t } = useTranslation();
  const current: Section = (ACCOUNT_SECTIONS as readonly string[]).includes(section ?? '') ? (section as Section) : 'dashboard';
  const Page = pages[current];
  return (
    <section className="accounts" aria-labelledby="accounts-title">
      <h1 id="accounts-title">{t('acc.title')}</h1>
      <nav className="page-tabs" aria-label={t('acc.title')}>
        {ACCOUNT_SECTIONS.map((s) => (
          <Link
            key={s}
            href={s === 'dashboard' ? '/accounts' : `/accounts/${s}`}
            className={s === current ? 'page-tab active' : 'page-tab'}
            aria-current={s === current ? 'page' : undefined}
            data-testid={`accounts-tab-${s}`}
          >
            {t(`acc.tabs.${s}`)}
          </Link>
        ))}
      </nav>
      <Suspense fallback={<Loading />}>
        <Page me={me} editable={canEditAccountSettings(me)} />
      </Suspense>
    </section>
  );
}
