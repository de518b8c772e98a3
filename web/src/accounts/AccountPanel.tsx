import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api, type Me } from '../api';
import { type ChartOption, EChart } from '../chart';
import { ErrorState, Loading } from '../components';
import { money, parseMoneyInput, toMajor } from '../format';
import { useUsers } from '../lookups';
import { DayInput } from '../time/DayInput';
import { isoDayText } from '../time/zone';
import { ContractActions } from './contract-actions';
import {
  actionable,
  type CompanyAccount,
  type Contract,
  ContractStatus,
  FieldProblem,
  MrrField,
  mayChangeContract,
  NO_PROBLEM,
  type Problem,
  ProblemLine,
  problemOf,
  useProductGroups,
  withoutField,
} from './shared';
import './accounts.css';

/** YYYY-MM-DD shifted by whole years (29 Feb → 28 Feb). */
function plusYears(day: string, years: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(Date.UTC(y + years, m - 1, d));
  if (t.getUTCMonth() !== m - 1) t.setUTCDate(0);
  return t.toISOString().slice(0, 10);
}

/**
 * The account view of a company card (issue 19): its MRR now and month by month, its contracts by
 * product group with their status and the actions on one that ends (renew, renew with a change,
 * churn), what the renewals changed, the deals that brought it, and a new contract.
 */
export default function AccountPanel({ companyId, me }: { companyId: number; me: Me }) {
  const { t, i18n } = useTranslation();
  const account = useQuery({
    queryKey: ['account', companyId],
    queryFn: () => api<CompanyAccount>(`/companies/${companyId}/account`),
  });
  const [said, setSaid] = useState('');
  if (account.isPending) return <Loading />;
  if (account.isError) return <ErrorState error={account.error} retry={() => account.refetch()} />;
  const a = account.data;
  if (!a.contracts_visible) return null;
  const cur = a.currency;
  const lang = i18n.language;
  const active = a.contracts.filter((c) => c.status === 'active').length;
  const option: ChartOption = {
    tooltip: { trigger: 'axis' },
    grid: { left: 8, right: 8, bottom: 8, top: 16, containLabel: true },
    xAxis: { type: 'category', data: a.mrr_by_month.map((m) => m.month) },
    yAxis: { type: 'value' },
    series: [
      {
        name: t('acc.account.mrrNow'),
        type: 'line',
        step: 'start',
        areaStyle: { opacity: 0.12 },
        symbol: 'none',
        data: a.mrr_by_month.map((m) => toMajor(m.mrr_minor, cur)),
      },
    ],
  };
  const byGroup = (id: number) => a.contracts.filter((c) => c.product_group_id === id);
  return (
    <section className="panel account-panel" aria-labelledby="account-h" data-testid="account-panel">
      <h2 id="account-h">{t('acc.account.title')}</h2>
      <p role="status" className="acc-said" data-testid="account-status">
        {said}
      </p>
      <dl className="account-figures">
        <div>
          <dt>{t('acc.account.mrrNow')}</dt>
          <dd className="big" data-testid="account-mrr">
            {money(a.mrr_now_minor, cur)}
          </dd>
        </div>
        <div>
          <dt>{t('acc.account.activeContracts')}</dt>
          <dd data-testid="account-active">{active}</dd>
        </div>
        <div>
          <dt>{t('acc.account.openCases')}</dt>
          <dd data-testid="account-open-cases">{a.open_cases}</dd>
        </div>
      </dl>
      {a.contracts.length > 0 && <EChart option={option} label={t('acc.account.chart')} height={150} />}
      <h3>{t('acc.account.contracts')}</h3>
      {a.contracts.length === 0 ? (
        <p className="muted">{t('acc.account.noContracts')}</p>
      ) : (
        a.product_groups.map((g) => (
          <div key={g.id} className="account-group" data-testid={`account-group-${g.id}`}>
            <h4>
              {g.name} <span className="muted small">{t('acc.account.groupMrr', { mrr: money(g.mrr_now_minor, cur) })}</span>
            </h4>
            <ul className="contract-list">
              {byGroup(g.id).map((c) => (
                <ContractRow key={c.id} c={c} currency={cur} lang={lang} onDone={setSaid} canAct={mayChangeContract(me, c)} />
              ))}
            </ul>
          </div>
        ))
      )}
      <h3>{t('acc.account.changes')}</h3>
      {a.changes.filter((c) => c.kind !== 'unchanged').length === 0 ? (
        <p className="muted">{t('acc.account.noChanges')}</p>
      ) : (
        <ul className="plain-list" data-testid="account-changes">
          {a.changes
            .filter((c) => c.kind !== 'unchanged')
            .map((c) => (
              <li key={c.contract_id}>
                {t('acc.account.change', {
                  date: isoDayText(c.start_date, lang),
                  product: c.product_group,
                  from: money(c.from_minor, cur),
                  to: money(c.to_minor, cur),
                })}{' '}
                <span className={`badge ${c.kind === 'expansion' ? 'won' : 'lost'}`}>{t(`acc.account.changeKind.${c.kind}`)}</span>
              </li>
            ))}
        </ul>
      )}
      <h3>{t('acc.account.deals')}</h3>
      {a.deals.length === 0 ? (
        <p className="muted">{t('acc.account.noDeals')}</p>
      ) : (
        <ul className="plain-list" data-testid="account-deals">
          {a.deals.map((d) => (
            <li key={d.id}>
              <Link href={`/deals/${d.id}`}>{d.title}</Link>{' '}
              <span className="muted small">
                {t(`status.${d.status}`)} · {money(d.amount_minor, cur)}
                {d.contracts > 0 && ` · ${t('acc.account.dealContracts', { count: d.contracts })}`}
              </span>
            </li>
          ))}
        </ul>
      )}
      {me.user.role !== 'service' && <NewContract companyId={companyId} today={a.today} currency={cur} me={me} onDone={setSaid} />}
    </section>
  );
}

function ContractRow({
  c,
  currency,
  lang,
  onDone,
  canAct,
}: {
  c: Contract;
  currency: string;
  lang: string;
  onDone: (m: string) => void;
  canAct: boolean;
}) {
  const { t } = useTranslation();
  return (
    <li data-testid={`contract-${c.id}`}>
      <div className="contract-main">
        <span>{t('acc.account.period', { start: isoDayText(c.start_date, lang), end: isoDayText(c.end_date, lang) })}</span>
        <span className="num strong">{money(c.mrr_minor, currency)}</span>
        <ContractStatus status={c.status} />
        <span className="muted small">
          {c.owner ?? t('acc.noOwner')}
          {c.churn_reason && ` · ${c.churn_reason}`}
        </span>
      </div>
      {canAct && actionable(c) && <ContractActions contract={c} currency={currency} onDone={onDone} />}
    </li>
  );
}

const SHOWN = ['product_group_id', 'start_date', 'end_date', 'mrr_minor', 'owner_id'] as const;

function NewContract({
  companyId,
  today,
  currency,
  me,
  onDone,
}: {
  companyId: number;
  today: string;
  currency: string;
  me: Me;
  onDone: (m: string) => void;
}) {
  const { t } = useTranslation();
  const id = useId();
  const groups = useProductGroups();
  const users = useUsers();
  const [open, setOpen] = useState(false);
  const [group, setGroup] = useState('');
  const [start, setStart] = useState(today);
  const [end, setEnd] = useState(plusYears(today, 1));
  const [mrr, setMrr] = useState('');
  const [owner, setOwner] = useState(String(me.user.id));
  const [problem, setProblem] = useState<Problem>(NO_PROBLEM);
  const offered = (groups.data?.items ?? []).filter((g) => g.active);
  const people = (users.data?.items ?? []).filter((u) => u.active && (me.user.role !== 'manager' || u.id === me.user.id));
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<Contract>('/contracts', { method: 'POST', body }),
    onSuccess: () => {
      setProblem(NO_PROBLEM);
      setMrr('');
      setOpen(false);
      onDone(t('acc.account.created'));
    },
    onError: (e) => setProblem(problemOf(e, SHOWN, t)),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const mine: Record<string, string> = {};
    if (!group) mine.product_group_id = t('header.create.errors.required');
    let minor = 0;
    try {
      minor = parseMoneyInput(mrr, currency);
    } catch (err) {
      mine.mrr_minor = (err as Error).message;
    }
    if (Object.keys(mine).length) {
      setProblem({ ...NO_PROBLEM, fields: mine });
      return;
    }
    save.mutate({
      company_id: companyId,
      product_group_id: Number(group),
      start_date: start,
      end_date: end,
      mrr_minor: minor,
      owner_id: owner ? Number(owner) : null,
    });
  };
  const err = (f: (typeof SHOWN)[number]) => problem.fields[f];
  const described = (f: (typeof SHOWN)[number]) => (err(f) ? `${id}-${f}-error` : undefined);
  return (
    <details className="new-contract" open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary data-testid="new-contract">{t('acc.account.newContract')}</summary>
      {groups.isSuccess && offered.length === 0 ? (
        <p className="muted">{t('acc.account.noGroups')}</p>
      ) : (
        <form className="contract-form" onSubmit={submit} noValidate data-testid="contract-form">
          <div className="field">
            <label htmlFor={`${id}-group`}>{t('acc.account.product')}</label>
            <select
              id={`${id}-group`}
              value={group}
              onChange={(e) => {
                setGroup(e.target.value);
                setProblem((p) => withoutField(p, 'product_group_id'));
              }}
              aria-invalid={err('product_group_id') ? true : undefined}
              aria-describedby={described('product_group_id')}
              data-testid="contract-group"
            >
              <option value="" />
              {offered.map((g) => (
                <option key={g.id} value={String(g.id)}>
                  {g.name}
                </option>
              ))}
            </select>
            <FieldProblem id={`${id}-product_group_id-error`} message={err('product_group_id')} />
          </div>
          <div className="field">
            <DayInput
              label={t('acc.account.start')}
              value={start}
              onChange={(v) => {
                setStart(v);
                setProblem((p) => withoutField(p, 'start_date'));
              }}
              testId="contract-start"
            />
            <FieldProblem id={`${id}-start_date-error`} message={err('start_date')} />
          </div>
          <div className="field">
            <DayInput
              label={t('acc.account.end')}
              value={end}
              onChange={(v) => {
                setEnd(v);
                setProblem((p) => withoutField(p, 'end_date'));
              }}
              testId="contract-end"
            />
            <FieldProblem id={`${id}-end_date-error`} message={err('end_date')} />
          </div>
          <MrrField
            inputId={`${id}-mrr`}
            errorId={`${id}-mrr_minor-error`}
            label={t('acc.account.mrr')}
            currency={currency}
            value={mrr}
            onChange={(v) => {
              setMrr(v);
              setProblem((p) => withoutField(p, 'mrr_minor'));
            }}
            error={err('mrr_minor')}
            testId="contract-mrr"
          />
          <div className="field">
            <label htmlFor={`${id}-owner`}>{t('acc.account.owner')}</label>
            <select
              id={`${id}-owner`}
              value={owner}
              onChange={(e) => setOwner(e.target.value)}
              aria-invalid={err('owner_id') ? true : undefined}
              aria-describedby={described('owner_id')}
            >
              {people.map((u) => (
                <option key={u.id} value={String(u.id)}>
                  {u.name}
                </option>
              ))}
            </select>
            <FieldProblem id={`${id}-owner_id-error`} message={err('owner_id')} />
          </div>
          <ProblemLine problem={problem} testId="contract-problem" />
          <div className="actions">
            <button type="submit" className="primary" disabled={save.isPending} data-testid="contract-save">
              {t('acc.account.create')}
            </button>
          </div>
        </form>
      )}
    </details>
  );
}
