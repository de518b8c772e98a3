import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api, type Named, type Page } from '../api';
import { Empty, ErrorState, Loading, Modal } from '../components';
import { loadCompanies } from '../create/loaders';
import { type Choice, RefPicker } from '../create/picker';
import { date } from '../format';
import { useUsers } from '../lookups';
import {
  CASE_KINDS,
  CASE_STATUSES,
  type CaseKind,
  type CasePage,
  type CaseStatus,
  DialogActions,
  FieldProblem,
  NO_PROBLEM,
  type Problem,
  ProblemLine,
  problemOf,
  type ServiceCase,
  withoutField,
} from './shared';
import './accounts.css';

/** What a case is logged about: a company, a deal or a contact (the server finds the company of the last two). */
export type CaseLink = { company_id: number } | { deal_id: number } | { contact_id: number };

/**
 * The two-click case dialog (issue 19): a kind (four buttons), one line, «Решено сразу», Save.
 * A seller on the phone with a customer logs the small problem they solved in the same dialog, so
 * it reaches the statistics. Without a link (the case log) the company is picked first.
 */
export function CaseDialog({ link, onClose, onSaved }: { link: CaseLink | null; onClose: () => void; onSaved: (c: ServiceCase) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [kind, setKind] = useState<CaseKind | null>(null);
  const [title, setTitle] = useState('');
  const [solved, setSolved] = useState(false);
  const [company, setCompany] = useState<Choice | null>(null);
  const [problem, setProblem] = useState<Problem>(NO_PROBLEM);
  const line = useRef<HTMLInputElement>(null);
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<ServiceCase>('/cases', { method: 'POST', body }),
    onSuccess: onSaved,
    onError: (e) => setProblem(problemOf(e, ['kind', 'title', 'company_id'], t)),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const mine: Record<string, string> = {};
    if (!kind) mine.kind = t('acc.cases.chooseKind');
    if (!title.trim()) mine.title = t('header.create.errors.required');
    if (!link && !company) mine.company_id = t('header.create.errors.required');
    if (Object.keys(mine).length) {
      setProblem({ ...NO_PROBLEM, fields: mine });
      return;
    }
    setProblem(NO_PROBLEM);
    save.mutate({
      kind,
      title: title.trim(),
      ...(link ?? { company_id: company?.id }),
      ...(solved ? { status: 'resolved' } : {}),
    });
  };
  return (
    <Modal title={t('acc.cases.dialog')} onClose={onClose} testId="case-dialog">
      <form className="form case-form" onSubmit={submit} noValidate>
        {!link && (
          <>
            <RefPicker
              name="company_id"
              label={t('acc.cases.company')}
              value={company}
              onChange={(c) => {
                setCompany(c);
                setProblem((p) => withoutField(p, 'company_id'));
              }}
              load={loadCompanies}
            />
            <FieldProblem id={`${id}-company-error`} message={problem.fields.company_id} />
          </>
        )}
        <fieldset
          className="case-kinds"
          aria-invalid={problem.fields.kind ? true : undefined}
          aria-describedby={problem.fields.kind ? `${id}-kind-error` : undefined}
        >
          <legend>{t('acc.cases.kindLegend')}</legend>
          <div className="case-kind-buttons">
            {CASE_KINDS.map((k) => (
              <label key={k} className={`case-kind ${k}${kind === k ? ' on' : ''}`} data-testid={`case-kind-${k}`}>
                <input
                  type="radio"
                  name={`${id}-kind`}
                  value={k}
                  checked={kind === k}
                  onChange={() => {
                    setKind(k);
                    setProblem((p) => withoutField(p, 'kind'));
                  }}
                  onClick={(e) => {
                    // A pointer's choice goes on to the line; the arrow keys stay in the group.
                    if (e.detail === 0) return;
                    line.current?.focus();
                    requestAnimationFrame(() => line.current?.focus());
                  }}
                />
                <span>{t(`acc.kind.${k}`)}</span>
              </label>
            ))}
          </div>
          <FieldProblem id={`${id}-kind-error`} message={problem.fields.kind} />
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-title`}>{t('acc.cases.line')}</label>
          <input
            ref={line}
            id={`${id}-title`}
            value={title}
            maxLength={300}
            autoComplete="off"
            placeholder={t('acc.cases.linePlaceholder')}
            onChange={(e) => {
              setTitle(e.target.value);
              setProblem((p) => withoutField(p, 'title'));
            }}
            aria-invalid={problem.fields.title ? true : undefined}
            aria-describedby={problem.fields.title ? `${id}-title-error` : undefined}
            data-testid="case-title"
          />
          <FieldProblem id={`${id}-title-error`} message={problem.fields.title} />
        </div>
        <label className="check-label">
          <input type="checkbox" checked={solved} onChange={(e) => setSolved(e.target.checked)} data-testid="case-solved" />{' '}
          {t('acc.cases.solved')}
        </label>
        <ProblemLine problem={problem} testId="case-problem" />
        <DialogActions onCancel={onClose} saving={save.isPending} submit={t('acc.cases.save')} testId="case-save" />
      </form>
    </Modal>
  );
}

/** «Обращение»: the button on every card that opens the case dialog, and what it said after a save. */
export function LogCaseButton({ link, onSaved }: { link: CaseLink | null; onSaved?: () => void }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [said, setSaid] = useState('');
  return (
    <>
      <button
        type="button"
        onClick={() => {
          setSaid('');
          setOpen(true);
        }}
        aria-label={t('acc.cases.buttonLabel')}
        data-testid="log-case"
      >
        {t('acc.cases.button')}
      </button>
      <span role="status" className="sr-only" data-testid="log-case-status">
        {said}
      </span>
      {open && (
        <CaseDialog
          link={link}
          onClose={() => setOpen(false)}
          onSaved={(c) => {
            setOpen(false);
            setSaid(c.status === 'resolved' ? t('acc.cases.savedSolved') : t('acc.cases.saved'));
            onSaved?.();
          }}
        />
      )}
    </>
  );
}

/** A case's status, changed in place (the version read is sent: a stale one says so). */
export function CaseStatusSelect({ c }: { c: Pick<ServiceCase, 'id' | 'version' | 'status' | 'title'> }) {
  const { t } = useTranslation();
  const id = useId();
  const [problem, setProblem] = useState<Problem>(NO_PROBLEM);
  // What this select last wrote: newer than the list until the list is read again.
  const [mine, setMine] = useState<{ version: number; status: CaseStatus } | null>(null);
  const current = mine && mine.version > c.version ? mine : { version: c.version, status: c.status };
  const change = useMutation({
    mutationFn: (status: CaseStatus) => api<ServiceCase>(`/cases/${c.id}`, { method: 'PATCH', body: { version: current.version, status } }),
    onSuccess: (r) => {
      setProblem(NO_PROBLEM);
      setMine({ version: r.version, status: r.status });
    },
    onError: (e) => setProblem(problemOf(e, ['status'], t)),
  });
  return (
    <span className="case-status">
      <select
        id={id}
        value={change.isPending && change.variables ? change.variables : current.status}
        onChange={(e) => change.mutate(e.target.value as CaseStatus)}
        disabled={change.isPending}
        aria-label={t('acc.cases.statusOf', { title: c.title })}
        aria-invalid={problem.fields.status || problem.general ? true : undefined}
        className={`status-${current.status}`}
        data-testid={`case-status-${c.id}`}
      >
        {CASE_STATUSES.map((s) => (
          <option key={s} value={s}>
            {t(`acc.caseStatus.${s}`)}
          </option>
        ))}
      </select>
      <FieldProblem id={`${id}-error`} message={problem.fields.status} />
      <ProblemLine problem={problem} />
    </span>
  );
}

const PAGE = 20;

/**
 * The cases on a card: of the company (a company's card, and its deals' cards), or of the contact;
 * each with its kind, when, who logged it and its status, changed in place (the card's «Обращение»
 * logs one).
 */
export function CasesPanel({ filter, tz, title }: { filter: CaseLink; tz: string; title?: string }) {
  const { t } = useTranslation();
  const users = useUsers();
  const q = new URLSearchParams(Object.entries(filter).map(([k, v]) => [k, String(v)]));
  q.set('sort', '-opened_at');
  q.set('limit', String(PAGE));
  const list = useInfiniteQuery({
    queryKey: ['cases', 'card', q.toString()],
    queryFn: ({ pageParam }) => api<CasePage>(`/cases?${q}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '',
    getNextPageParam: (p) => p.next_cursor ?? undefined,
  });
  const open = useQuery({
    queryKey: ['cases', 'card-open', q.toString()],
    queryFn: () => {
      const o = new URLSearchParams(q);
      o.delete('sort');
      o.delete('limit');
      o.set('status', 'open,in_progress');
      return api<{ count: number }>(`/cases/totals?${o}`);
    },
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const who = (uid: number | null) => (users.data?.items ?? []).find((u) => u.id === uid)?.name ?? t('common.none');
  const headingId = useId();
  return (
    <section className="panel cases-panel" aria-labelledby={headingId} data-testid="cases-panel">
      <h2 id={headingId}>
        {title ?? t('acc.cases.panel')}{' '}
        {open.data && open.data.count > 0 && (
          <span className="count" data-testid="cases-open-count">
            {t('acc.cases.openCount', { count: open.data.count })}
          </span>
        )}
      </h2>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : items.length === 0 ? (
        <p className="muted">{t('acc.cases.empty')}</p>
      ) : (
        <ul className="case-list">
          {items.map((c) => (
            <li key={c.id} data-testid={`case-${c.id}`}>
              <div className="case-main">
                <span className={`case-kind-chip ${c.kind}`}>{t(`acc.kind.${c.kind}`)}</span> <span className="case-title">{c.title}</span>
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
        <button type="button" className="link" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {t('acc.cases.more')}
        </button>
      )}
    </section>
  );
}

/** Names of records by id (companies, deals) for a page of cases, in one request each. */
export function useNames(path: 'companies' | 'deals', ids: (number | null)[]) {
  const unique = [...new Set(ids.filter((x): x is number => x !== null))].sort((a, b) => a - b);
  return useQuery({
    queryKey: [path, 'names-by-id', unique.join(',')],
    queryFn: async () => {
      const map = new Map<number, string>();
      for (let i = 0; i < unique.length; i += 400) {
        const chunk = unique.slice(i, i + 400);
        const page = await api<Page<Named & { title?: string }>>(`/${path}?limit=500&id=${chunk.join(',')}`);
        for (const r of page.items) map.set(r.id, (r.name ?? r.title ?? `#${r.id}`) as string);
      }
      return map;
    },
    enabled: unique.length > 0,
    staleTime: 60_000,
  });
}

/** A case as a row of the log: its company and deal by name. */
export function CaseLinks({ c, companies, deals }: { c: ServiceCase; companies?: Map<number, string>; deals?: Map<number, string> }) {
  return (
    <>
      {c.company_id !== null && <Link href={`/companies/${c.company_id}`}>{companies?.get(c.company_id) ?? `#${c.company_id}`}</Link>}
      {c.deal_id !== null && (
        <>
          {' · '}
          <Link href={`/deals/${c.deal_id}`}>{deals?.get(c.deal_id) ?? `#${c.deal_id}`}</Link>
        </>
      )}
    </>
  );
}

export function EmptyCases() {
  const { t } = useTranslation();
  return <Empty>{t('acc.log.empty')}</Empty>;
}
