import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Me } from '../api';
import { api } from '../api';
import { ErrorState, Loading } from '../components';
import { loadCompanies } from '../create/loaders';
import type { Choice } from '../create/picker';
import { RefPicker } from '../create/picker';
import { date } from '../format';
import { useUsers } from '../lookups';
import { useTimeZone } from '../time/use-time-zone';
import { CaseLinks, CaseStatusSelect, EmptyCases, LogCaseButton, useNames } from './cases';
import { CASE_KINDS, CASE_STATUSES, type CasePage, RECORDER_ROLES } from './shared';

const PAGE = 50;

/** The case log (issue 19): every case with filters by kind, status, who logged it and company; the status changed in place. */
export default function CasesPage({ me }: { me: Me }) {
  const { t } = useTranslation();
  const tz = useTimeZone(me);
  const users = useUsers();
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const [recorder, setRecorder] = useState('');
  const [company, setCompany] = useState<Choice | null>(null);
  const q = new URLSearchParams({ sort: '-opened_at', limit: String(PAGE) });
  if (kind) q.set('kind', kind);
  if (status) q.set('status', status);
  if (recorder) q.set('recorder_role', recorder);
  if (company) q.set('company_id', String(company.id));
  const list = useInfiniteQuery({
    queryKey: ['cases', 'log', q.toString()],
    queryFn: ({ pageParam }) => api<CasePage>(`/cases?${q}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '',
    getNextPageParam: (p) => p.next_cursor ?? undefined,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const companies = useNames(
    'companies',
    items.map((c) => c.company_id),
  );
  const deals = useNames(
    'deals',
    items.map((c) => c.deal_id),
  );
  const who = (uid: number | null) => (users.data?.items ?? []).find((u) => u.id === uid)?.name ?? t('common.none');
  const select = (label: string, value: string, set: (v: string) => void, options: readonly string[], prefix: string, testId: string) => (
    <label className="inline">
      {label}{' '}
      <select value={value} onChange={(e) => set(e.target.value)} data-testid={testId}>
        <option value="">{t('acc.log.any')}</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {t(`${prefix}.${o}`)}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <div className="page" data-testid="cases-page">
      <div className="cases-head">
        <p className="muted intro">{t('acc.log.intro')}</p>
        <LogCaseButton link={null} />
      </div>
      <search className="filters case-filters">
        {select(t('acc.log.kind'), kind, setKind, CASE_KINDS, 'acc.kind', 'log-kind')}
        {select(t('acc.log.status'), status, setStatus, CASE_STATUSES, 'acc.caseStatus', 'log-status')}
        {select(t('acc.log.recorder'), recorder, setRecorder, RECORDER_ROLES, 'acc.recorder', 'log-recorder')}
        <div className="log-company">
          <RefPicker name="log_company" label={t('acc.log.company')} value={company} onChange={setCompany} load={loadCompanies} />
        </div>
      </search>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : items.length === 0 ? (
        <EmptyCases />
      ) : (
        <ul className="case-log" data-testid="case-log">
          {items.map((c) => (
            <li key={c.id} data-testid={`log-case-${c.id}`}>
              <div className="case-main">
                <span className={`case-kind-chip ${c.kind}`}>{t(`acc.kind.${c.kind}`)}</span> <span className="case-title">{c.title}</span>
                <div className="small">
                  <CaseLinks c={c} companies={companies.data} deals={deals.data} />
                </div>
                <div className="muted small">
                  {date(c.opened_at, tz)} · {t('acc.cases.by', { who: who(c.recorded_by), role: t(`acc.recorder.${c.recorder_role}`) })}
                </div>
              </div>
              <CaseStatusSelect c={c} />
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button type="button" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {t('acc.cases.more')}
        </button>
      )}
    </div>
  );
}
