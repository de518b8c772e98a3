import { lazy, Suspense, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import type { Me } from '../api';
import { Loading } from '../components';
import './standard.css';

/** The sections of the sales standard, each a screen of its own feature (issue 17). */
export const SECTIONS = ['pipelines', 'rules', 'playbooks', 'calendar', 'cards', 'remarks'] as const;
export type Section = (typeof SECTIONS)[number];

const pages = {
  pipelines: lazy(() => import('./pipelines/PipelinesPage')),
  rules: lazy(() => import('./rules/RulesPage')),
  playbooks: lazy(() => import('./playbooks/PlaybooksPage')),
  calendar: lazy(() => import('./calendar/CalendarPage')),
  cards: lazy(() => import('./cards/CardDesignerPage')),
  remarks: lazy(() => import('./remarks/RemarksPage')),
} satisfies Record<Section, unknown>;

/** Who may change the standard; everyone else reads it. */
export function canEditStandard(me: Me): boolean {
  return me.user.role === 'admin' || me.user.role === 'head_of_sales';
}

export function StandardPage({ section, me }: { section: string; me: Me }) {
  const { t } = useTranslation();
  const current: Section = (SECTIONS as readonly string[]).includes(section) ? (section as Section) : 'pipelines';
  const Page = pages[current];
  const editable = canEditStandard(me);
  // On a phone the tabs scroll sideways: the open one is brought into view (a link may open any).
  const tabs = useRef<HTMLElement>(null);
  useEffect(() => {
    tabs.current
      ?.querySelector<HTMLElement>(`[data-testid="standard-tab-${current}"]`)
      ?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [current]);
  return (
    <section className="standard" aria-labelledby="standard-title">
      <h1 id="standard-title">{t('standard.title')}</h1>
      <p className="muted standard-intro">{editable ? t('standard.intro') : t('standard.readOnly')}</p>
      <nav className="page-tabs" aria-label={t('standard.title')} ref={tabs}>
        {SECTIONS.map((s) => (
          <Link
            key={s}
            href={`/standard/${s}`}
            className={s === current ? 'page-tab active' : 'page-tab'}
            aria-current={s === current ? 'page' : undefined}
            data-testid={`standard-tab-${s}`}
          >
            {t(`standard.tabs.${s}`)}
          </Link>
        ))}
      </nav>
      <Suspense fallback={<Loading />}>
        <Page me={me} editable={editable} />
      </Suspense>
    </section>
  );
}
