import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api, type Me, type Named, type Page } from '../api';
import { Empty, ErrorState, Loading } from '../components';
import { date, dateTime, money } from '../format';
import { useTimeZone } from '../time/use-time-zone';
import { isoDayText } from '../time/zone';
import { ContractActions } from './contract-actions';
import type { RenewalItem, Renewals } from './shared';

const WINDOWS = [30, 60, 90] as const;
type User = Named & { role: string; active: boolean; team: string | null };

/**
 * Renewals due (issue 19): the contracts ending within 30 / 60 / 90 days that nobody renewed or
 * marked churned, by key-account manager (and team), with their MRR, the last contact, open cases
 * and the renewal task — and the one-click actions: renew, renew with a change, mark churned.
 */
export default function RenewalsPage({ me }: { me: Me }) {
  const { t } = useTranslation();
  const tz = useTimeZone(me);
  const [within, setWithin] = useState<(typeof WINDOWS)[number]>(30);
  const [owner, setOwner] = useState('');
  const [team, setTeam] = useState('');
  const [said, setSaid] = useState('');
  const users = useQuery({
    queryKey: ['users', 'teams'],
    queryFn: () => api<Page<User>>('/users?limit=500'),
    staleTime: 300_000,
  });
  const q = new URLSearchParams({ within: String(within), ...(owner ? { owner_id: owner } : {}) });
  const renewals = useQuery({ queryKey: ['renewals', q.toString()], queryFn: () => api<Renewals>(`/renewals?${q}`) });
  const people = users.data?.items ?? [];
  const teams = [...new Set(people.map((u) => u.team).filter((x): x is string => !!x))].sort((a, b) => a.localeCompare(b));
  const teamOf = (id: number | null) => people.find((u) => u.id === id)?.team ?? null;
  const items = (renewals.data?.items ?? []).filter((i) => !team || teamOf(i.owner_id) === team);
  const groups = new Map<string, { name: string; items: RenewalItem[] }>();
  for (const i of items) {
    const key = i.owner_id === null ? 'none' : String(i.owner_id);
    const g = groups.get(key) ?? { name: i.owner ?? t('acc.noOwner'), items: [] };
    g.items.push(i);
    groups.set(key, g);
  }
  const cur = me.workspace.currency;
  return (
    <div className="page" data-testid="renewals-page">
      <p className="muted intro">{t('acc.renewals.intro')}</p>
      <div className="filters">
        <fieldset className="window-switch">
          <legend className="sr-only">{t('acc.renewals.within')}</legend>
          <span className="label" aria-hidden="true">
            {t('acc.renewals.within')}
          </span>
          {WINDOWS.map((w) => {
            const win = renewals.data?.windows.find((x) => x.days === w);
            return (
              <button
                key={w}
                type="button"
                aria-pressed={w === within}
                className={w === within ? 'on' : undefined}
                onClick={() => setWithin(w)}
                data-testid={`window-${w}`}
              >
                <span>{t('acc.renewals.window', { days: w })}</span>
                {win && (
                  <span className="muted small" data-testid={`window-${w}-count`} data-count={win.contracts}>
                    {t('acc.renewals.windowCount', { count: win.contracts, mrr: money(win.mrr_minor, cur) })}
                  </span>
                )}
              </button>
            );
          })}
        </fieldset>
        <select value={owner} onChange={(e) => setOwner(e.target.value)} aria-label={t('acc.renewals.owner')} data-testid="renewals-owner">
          <option value="">{t('acc.renewals.anyOwner')}</option>
          {people
            .filter((u) => u.active)
            .map((u) => (
              <option key={u.id} value={String(u.id)}>
                {u.name}
              </option>
            ))}
        </select>
        {teams.length > 0 && (
          <select value={team} onChange={(e) => setTeam(e.target.value)} aria-label={t('acc.renewals.team')} data-testid="renewals-team">
            <option value="">{t('acc.renewals.anyTeam')}</option>
            {teams.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        )}
      </div>
      <p role="status" className="acc-said" data-testid="renewals-status">
        {said}
      </p>
      {renewals.isPending ? (
        <Loading />
      ) : renewals.isError ? (
        <ErrorState error={renewals.error} retry={() => renewals.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{t('acc.renewals.empty')}</Empty>
      ) : (
        [...groups.entries()].map(([key, g]) => (
          <section key={key} className="panel renewal-group" aria-labelledby={`renewals-${key}`} data-testid={`renewal-group-${key}`}>
            <h2 id={`renewals-${key}`}>
              {g.name}{' '}
              <span className="muted small">
                {t('acc.renewals.subtotal', {
                  count: g.items.length,
                  mrr: money(
                    g.items.reduce((s, i) => s + i.mrr_minor, 0),
                    cur,
                  ),
                })}
              </span>
            </h2>
            <ul className="renewal-list">
              {g.items.map((i) => (
                <li key={i.id} data-testid={`renewal-${i.id}`}>
                  <div className="renewal-head">
                    <Link href={`/companies/${i.company_id}`} className="strong">
                      {i.company}
                    </Link>
                    <span className="muted">{i.product_group}</span>
                    <span className="num strong renewal-mrr">{money(i.mrr_minor, cur)}</span>
                  </div>
                  <RenewalMeta i={i} tz={tz} />
                  <ContractActions contract={i} currency={cur} onDone={setSaid} />
                </li>
              ))}
            </ul>
          </section>
        ))
      )}
    </div>
  );
}

function RenewalMeta({ i, tz }: { i: RenewalItem; tz: string }) {
  const { t, i18n } = useTranslation();
  return (
    <ul className="renewal-facts small">
      <li className={i.days_left <= 7 ? 'bad' : undefined} data-testid={`renewal-ends-${i.id}`}>
        {t('acc.renewals.ends', { date: isoDayText(i.end_date, i18n.language) })},{' '}
        {i.days_left === 0 ? t('acc.renewals.today') : t('acc.renewals.daysLeft', { count: i.days_left })}
      </li>
      <li>{i.last_activity_at ? t('acc.renewals.lastActivity', { at: date(i.last_activity_at, tz) }) : t('acc.renewals.noActivity')}</li>
      <li className={i.open_cases > 0 ? 'warn-text' : undefined}>
        {i.open_cases > 0 ? t('acc.renewals.openCases', { count: i.open_cases }) : t('acc.renewals.noCases')}
      </li>
      {i.task_due_at && <li>{t('acc.renewals.task', { due: dateTime(i.task_due_at, tz) })}</li>}
    </ul>
  );
}
