import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import type { Me } from '../api';
import { Loading } from '../components';
import './marketing.css';

/** The sections of marketing ↔ sales (issue 18). */
export const MARKETING_SECTIONS = ['channels', 'spend', 'icp'] as const;
type Section = (typeof MARKETING_SECTIONS)[number];

const pages = {
  channels: lazy(() => import('./ChannelsDashboard')),
  spend: lazy(() => import('./SpendPage')),
  icp: lazy(() => import('./IcpPage')),
} satisfies Record<Section, unknown>;

/** Who may enter spend and change the ICP rules (the server checks the same: marketingGuard). */
export function canEditMarketing(me: Me): boolean {
  return me.user.role === 'admin' || me.user.role === 'head_of_sales' || me.user.role === 'marketer';
}

export function MarketingPage({ section, me }: { section?: string; me: Me }) {
  const { t } = useTranslation();
  const current: Section = (MARKETING_SECTIONS as readonly string[]).includes(section ?? '') ? (section as Section) : 'channels';
  const Page = pages[current];
  return (
    <section className="marketing" aria-labelledby="marketing-title">
      <h1 id="marketing-title">{t('mkt.title')}</h1>
      <nav className="page-tabs" aria-label={t('mkt.title')}>
        {MARKETING_SECTIONS.map((s) => (
          <Link
            key={s}
            href={s === 'channels' ? '/marketing' : `/marketing/${s}`}
            className={s === current ? 'page-tab active' : 'page-tab'}
            aria-current={s === current ? 'page' : undefined}
            data-testid={`marketing-tab-${s}`}
          >
            {t(`mkt.tabs.${s}`)}
          </Link>
        ))}
      </nav>
      <Suspense fallback={<Loading />}>
        <Page me={me} editable={canEditMarketing(me)} />
      </Suspense>
    </section>
  );
}
