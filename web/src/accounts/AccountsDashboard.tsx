import { type UseQueryResult, useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { type Answer, api, type Me } from '../api';
import { type ChartOption, EChart } from '../chart';
import { Empty, ErrorState, Loading, Modal, Stat } from '../components';
import { date, estimateMoney, majorMoney, money, num, pct } from '../format';
import { PeriodFilters, useUrlPeriod } from '../report/period';
import { PagedBody, TableRegion } from '../report/tables';
import { useTimeZone } from '../time/use-time-zone';
import { clockIn, dayText, isoDayText, zoneLabel } from '../time/zone';
import {
  type AccountGroup,
  type AccountKpis,
  type AccountsFlat,
  type AccountsGrouped,
  CASE_KINDS,
  type CaseKind,
  ContractStatus,
  RECORDER_ROLES,
} from './shared';

type AccountsDrillAnswer = Answer<'/api/v1/reports/accounts/accounts', 'get'>;
type ContractsDrillAnswer = Answer<'/api/v1/reports/accounts/contracts', 'get'>;
type CasesDrillAnswer = Answer<'/api/v1/reports/accounts/cases', 'get'>;
type AccountMetric = AccountsDrillAnswer['metric'];
type ContractMetric = ContractsDrillAnswer['metric'];
type Recorder = (typeof RECORDER_ROLES)[number];

/** The group of a by=owner row a drill-down is narrowed to. */
interface OwnerRef {
  param: string;
  name: string;
}
type Drill =
  | { kind: 'accounts'; metrics: AccountMetric[]; title: string; note?: ReactNode; owner?: OwnerRef }
  | { kind: 'contracts'; metrics: ContractMetric[]; title: string; note?: ReactNode; owner?: OwnerRef }
  | { kind: 'cases'; caseKind?: CaseKind; recorder?: Recorder; title: string; owner?: OwnerRef };

const casesTotal = (k: AccountKpis) => CASE_KINDS.reduce((s, x) => s + k.cases_opened[x], 0);
const byRecorder = (k: AccountKpis, r: Recorder) => CASE_KINDS.reduce((s, x) => s + k.cases_by_recorder[r][x], 0);

/**
 * The accounts dashboard (kpi.md "Key accounts and service"): NRR, revenue and logo churn, the
 * renewal and cross-sell rates, LTV and new MRR — each opens the accounts or contracts behind it;
 * the MRR bridge; cases per 100 won deals and by who logged them; the figures by owner. The period
 * lives in the URL.
 */
export default function AccountsDashboard({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const tz = useTimeZone(me);
  const period = useUrlPeriod(tz, '/accounts');
  const { from, to, params, qs } = period;
  const report = useQuery({ queryKey: ['accounts-report', qs], queryFn: () => api<AccountsFlat>(`/reports/accounts?${qs}`) });
  const owners = useQuery({
    queryKey: ['accounts-report', 'owner', qs],
    queryFn: () => api<AccountsGrouped>(`/reports/accounts?${qs}&by=owner`),
  });
  const [drill, setDrill] = useState<Drill | null>(null);
  const r = report.data;
  const cur = r?.currency ?? me.workspace.currency;
  const lang = i18n.language;
  return (
    <div className="page" data-testid="accounts-dashboard">
      <p className="muted intro">{t('acc.dash.intro')}</p>
      <PeriodFilters period={period} testIdPrefix="acc" />
      {report.isPending ? (
        <Loading />
      ) : report.isError ? (
        <ErrorState error={report.error} retry={() => report.refetch()} />
      ) : (
        r && (
          <>
            {r.scope === 'own' && <p className="muted small">{t('acc.scopeOwn')}</p>}
            <Tiles r={r} currency={cur} onDrill={setDrill} />
            <Bridge r={r} currency={cur} onDrill={setDrill} />
            <Cases r={r} onDrill={setDrill} />
            <OwnersTable data={owners.data} error={owners.error} currency={cur} onDrill={setDrill} />
            <p className="muted small" data-testid="accounts-footer">
              {t('figures.footer', {
                from: isoDayText(from, lang),
                to: isoDayText(to, lang),
                asOf: `${dayText(r.as_of, r.time_zone, lang)}, ${clockIn(r.as_of, r.time_zone)}`,
                zone: `${zoneLabel(r.time_zone, lang, Date.parse(r.as_of))} (${r.time_zone})`,
              })}
            </p>
          </>
        )
      )}
      {drill?.kind === 'accounts' && <AccountsDrill params={params} drill={drill} currency={cur} onClose={() => setDrill(null)} />}
      {drill?.kind === 'contracts' && (
        <ContractsDrill params={params} drill={drill} currency={cur} lang={lang} onClose={() => setDrill(null)} />
      )}
      {drill?.kind === 'cases' && <CasesDrill params={params} drill={drill} tz={tz} onClose={() => setDrill(null)} />}
    </div>
  );
}

function Tiles({ r, currency, onDrill }: { r: AccountsFlat; currency: string; onDrill: (d: Drill) => void }) {
  const { t } = useTranslation();
  const m = (v: number | null) => majorMoney(v, currency);
  const cases = casesTotal(r);
  const sales = byRecorder(r, 'sales');
  const crossSold = r.cross_sell_rate === null || r.accounts_end === null ? null : Math.round(r.cross_sell_rate * r.accounts_end);
  const churnedAccounts = r.logo_churn_rate === null || r.accounts_start === null ? null : Math.round(r.logo_churn_rate * r.accounts_start);
  const tile = (id: string, label: string, value: string, drill: Drill, tone?: 'good' | 'bad') => (
    <Stat label={label} value={value} tone={tone} testId={`acc-stat-${id}`} onClick={() => onDrill(drill)} />
  );
  return (
    <div className="stats" data-testid="accounts-stats">
      {tile('nrr', t('acc.dash.nrr'), pct(r.nrr), {
        kind: 'accounts',
        metrics: ['accounts_start', 'expanded', 'contracted', 'churned'],
        title: t('acc.dash.nrr'),
        note: t('acc.dash.noteNrr', {
          start: m(r.start_mrr),
          expansion: m(r.expansion_mrr),
          contraction: m(r.contraction_mrr),
          churned: m(r.churned_mrr),
          nrr: pct(r.nrr),
        }),
      })}
      {tile(
        'revenue_churn',
        t('acc.dash.revenueChurn'),
        pct(r.revenue_churn_rate),
        {
          kind: 'accounts',
          metrics: ['churned', 'contracted'],
          title: t('acc.dash.revenueChurn'),
          note: t('acc.dash.noteRevenueChurn', {
            churned: m(r.churned_mrr),
            contraction: m(r.contraction_mrr),
            start: m(r.start_mrr),
            rate: pct(r.revenue_churn_rate),
          }),
        },
        (r.revenue_churn_rate ?? 0) > 0 ? 'bad' : undefined,
      )}
      {tile('logo_churn', t('acc.dash.logoChurn'), pct(r.logo_churn_rate), {
        kind: 'accounts',
        metrics: ['churned', 'accounts_start'],
        title: t('acc.dash.logoChurn'),
        note: t('acc.dash.noteLogoChurn', { churned: num(churnedAccounts), start: num(r.accounts_start), rate: pct(r.logo_churn_rate) }),
      })}
      {tile('renewal_rate', t('acc.dash.renewalRate'), pct(r.renewal_rate), {
        kind: 'contracts',
        metrics: ['contracts_ending', 'contracts_renewed', 'contracts_not_renewed'],
        title: t('acc.dash.renewalRate'),
        note: t('acc.dash.noteRenewal', { renewed: num(r.contracts_renewed), ending: num(r.contracts_ending), rate: pct(r.renewal_rate) }),
      })}
      {tile('cross_sell', t('acc.dash.crossSell'), pct(r.cross_sell_rate), {
        kind: 'accounts',
        metrics: ['cross_sell', 'accounts_end'],
        title: t('acc.dash.crossSell'),
        note: t('acc.dash.noteCrossSell', { cross: num(crossSold), accounts: num(r.accounts_end), rate: pct(r.cross_sell_rate) }),
      })}
      {tile('ltv', t('acc.dash.ltv'), estimateMoney(r.ltv, currency), {
        kind: 'accounts',
        metrics: ['accounts_end'],
        title: t('acc.dash.ltv'),
        note: t('acc.dash.noteLtv', { margin: pct(r.gross_margin) }),
      })}
      {tile(
        'new_mrr',
        t('acc.dash.newMrr'),
        m(r.new_mrr),
        { kind: 'accounts', metrics: ['new'], title: t('acc.dash.newMrr'), note: t('acc.dash.noteNew') },
        (r.new_mrr ?? 0) > 0 ? 'good' : undefined,
      )}
      {tile('accounts_end', t('acc.dash.accountsEnd'), num(r.accounts_end), {
        kind: 'accounts',
        metrics: ['accounts_end'],
        title: t('acc.dash.accountsEnd'),
      })}
      {tile('sales_share', t('acc.dash.salesShare'), cases ? pct(sales / cases) : '—', {
        kind: 'cases',
        recorder: 'sales',
        title: t('acc.dash.salesShare'),
      })}
    </div>
  );
}

const BRIDGE = ['start', 'new', 'expansion', 'contraction', 'churn', 'end'] as const;
const BRIDGE_DRILL: Record<(typeof BRIDGE)[number], AccountMetric> = {
  start: 'accounts_start',
  new: 'new',
  expansion: 'expanded',
  contraction: 'contracted',
  churn: 'churned',
  end: 'accounts_end',
};

/** start → +new → +expansion → −contraction → −churn → end, as a waterfall and as a table of the same figures. */
function Bridge({ r, currency, onDrill }: { r: AccountsFlat; currency: string; onDrill: (d: Drill) => void }) {
  const { t } = useTranslation();
  const values = {
    start: r.start_mrr,
    new: r.new_mrr,
    expansion: r.expansion_mrr,
    contraction: r.contraction_mrr,
    churn: r.churned_mrr,
    end: r.end_mrr,
  };
  const known = Object.values(values).every((v) => v !== null);
  const v = (k: keyof typeof values) => values[k] ?? 0;
  const afterNew = v('start') + v('new');
  const afterExp = afterNew + v('expansion');
  const afterContr = afterExp - v('contraction');
  const base = [0, v('start'), afterNew, afterContr, afterContr - v('churn'), 0];
  const color = { start: '#1f4fd6', new: '#13795b', expansion: '#13795b', contraction: '#b54708', churn: '#b42318', end: '#1f4fd6' };
  const open = (k: (typeof BRIDGE)[number]) => onDrill({ kind: 'accounts', metrics: [BRIDGE_DRILL[k]], title: t(`acc.dash.bridge.${k}`) });
  const option: ChartOption = {
    tooltip: { trigger: 'item' },
    grid: { left: 8, right: 8, bottom: 8, top: 16, containLabel: true },
    xAxis: {
      type: 'category',
      data: BRIDGE.map((k) => t(`acc.dash.bridge.short.${k}`)),
      // On a phone the six steps do not fit side by side: the labels lean.
      axisLabel: { interval: 0, fontSize: 11, rotate: window.matchMedia('(max-width: 720px)').matches ? 35 : 0 },
    },
    yAxis: { type: 'value' },
    series: [
      { name: 'base', type: 'bar', stack: 'b', silent: true, tooltip: { show: false }, itemStyle: { color: 'transparent' }, data: base },
      {
        name: t('acc.dash.bridge.amount'),
        type: 'bar',
        stack: 'b',
        data: BRIDGE.map((k) => ({ value: Math.round(v(k) * 100) / 100, itemStyle: { color: color[k] } })),
      },
    ],
  };
  return (
    <section className="panel" aria-labelledby="acc-bridge-h" data-testid="mrr-bridge">
      <h2 id="acc-bridge-h">{t('acc.dash.bridge.title')}</h2>
      <p className="muted small">{t('acc.dash.bridge.hint')}</p>
      {!known ? (
        <Empty>{t('dash.noData')}</Empty>
      ) : (
        <div className="acc-split">
          <EChart option={option} label={t('acc.dash.bridge.title')} height={260} onClick={(p) => open(BRIDGE[p.dataIndex])} />
          <table className="table compact bridge-table">
            <thead>
              <tr>
                <th scope="col">{t('acc.dash.bridge.step')}</th>
                <th scope="col" className="num">
                  {t('acc.dash.bridge.amount')}
                </th>
              </tr>
            </thead>
            <tbody>
              {BRIDGE.map((k) => (
                <tr key={k} className={k === 'end' ? 'total' : undefined}>
                  <th scope="row">{t(`acc.dash.bridge.${k}`)}</th>
                  <td className="num">
                    <button
                      type="button"
                      className="figure"
                      onClick={() => open(k)}
                      aria-label={`${t(`acc.dash.bridge.${k}`)}: ${majorMoney(values[k], currency)}`}
                      data-testid={`bridge-${k}`}
                    >
                      {majorMoney(values[k], currency)}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Cases per 100 won by kind, and by who logged them: the sellers' share of the small problems is in plain sight. */
function Cases({ r, onDrill }: { r: AccountsFlat; onDrill: (d: Drill) => void }) {
  const { t } = useTranslation();
  const total = casesTotal(r);
  const service = byRecorder(r, 'service');
  const sales = byRecorder(r, 'sales');
  const kindName = (k?: CaseKind) => (k ? t(`acc.kind.${k}`) : t('acc.dash.drill.allKinds'));
  const figure = (value: number, caseKind: CaseKind | undefined, recorder: Recorder | undefined, label: string, testId: string) => (
    <button
      type="button"
      className="figure"
      onClick={() =>
        onDrill({
          kind: 'cases',
          caseKind,
          recorder,
          title: recorder ? `${kindName(caseKind)} · ${t(`acc.recorder.${recorder}`)}` : kindName(caseKind),
        })
      }
      aria-label={`${label}: ${num(value)}`}
      data-testid={testId}
      data-value={value}
    >
      {num(value)}
    </button>
  );
  const option: ChartOption = {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: CASE_KINDS.map((k) => t(`acc.kind.${k}`)), inverse: true },
    series: RECORDER_ROLES.map((role) => ({
      name: t(`acc.dash.cases.${role}`),
      type: 'bar',
      stack: 'r',
      itemStyle: { color: role === 'sales' ? '#13795b' : '#1f4fd6' },
      data: CASE_KINDS.map((k) => r.cases_by_recorder[role][k]),
    })),
  };
  const res = r.case_resolution_days;
  return (
    <section className="panel" aria-labelledby="acc-cases-h" data-testid="accounts-cases">
      <h2 id="acc-cases-h">{t('acc.dash.cases.title')}</h2>
      <p className="muted small">{t('acc.dash.cases.hint', { won: num(r.deals_won) })}</p>
      <div className="acc-split cases-split">
        <TableRegion label={t('acc.tableRegion')}>
          <table className="table compact" data-testid="cases-table">
            <thead>
              <tr>
                <th scope="col">{t('acc.dash.cases.kind')}</th>
                <th scope="col" className="num">
                  {t('acc.dash.cases.opened')}
                </th>
                <th scope="col" className="num">
                  {t('acc.dash.cases.per100')}
                </th>
                <th scope="col" className="num">
                  {t('acc.dash.cases.service')}
                </th>
                <th scope="col" className="num">
                  {t('acc.dash.cases.sales')}
                </th>
                <th scope="col" className="num">
                  {t('acc.dash.cases.salesShare')}
                </th>
              </tr>
            </thead>
            <tbody>
              {CASE_KINDS.map((k) => {
                const name = t(`acc.kind.${k}`);
                const opened = r.cases_opened[k];
                return (
                  <tr key={k} data-testid={`cases-row-${k}`}>
                    <th scope="row">{name}</th>
                    <td className="num">{figure(opened, k, undefined, `${name}, ${t('acc.dash.cases.opened')}`, `cases-opened-${k}`)}</td>
                    <td className="num">{num(r.cases_per_100_won[k], 1)}</td>
                    <td className="num">
                      {figure(
                        r.cases_by_recorder.service[k],
                        k,
                        'service',
                        `${name}, ${t('acc.dash.cases.service')}`,
                        `cases-service-${k}`,
                      )}
                    </td>
                    <td className="num">
                      {figure(r.cases_by_recorder.sales[k], k, 'sales', `${name}, ${t('acc.dash.cases.sales')}`, `cases-sales-${k}`)}
                    </td>
                    <td className="num">{opened ? pct(r.cases_by_recorder.sales[k] / opened) : '—'}</td>
                  </tr>
                );
              })}
              <tr className="total">
                <th scope="row">{t('acc.dash.cases.total')}</th>
                <td className="num">
                  {figure(total, undefined, undefined, `${t('acc.dash.cases.total')}, ${t('acc.dash.cases.opened')}`, 'cases-opened-total')}
                </td>
                <td className="num">{r.deals_won ? num((100 * total) / r.deals_won, 1) : '—'}</td>
                <td className="num">
                  {figure(
                    service,
                    undefined,
                    'service',
                    `${t('acc.dash.cases.total')}, ${t('acc.dash.cases.service')}`,
                    'cases-service-total',
                  )}
                </td>
                <td className="num">
                  {figure(sales, undefined, 'sales', `${t('acc.dash.cases.total')}, ${t('acc.dash.cases.sales')}`, 'cases-sales-total')}
                </td>
                <td className="num" data-testid="cases-sales-share">
                  {total ? pct(sales / total) : '—'}
                </td>
              </tr>
            </tbody>
          </table>
        </TableRegion>
        {total > 0 ? <EChart option={option} label={t('acc.dash.cases.chart')} height={200} /> : <div />}
      </div>
      <p className="muted small" data-testid="cases-resolution">
        {res.n > 0
          ? t('acc.dash.cases.resolution', {
              n: num(res.n),
              median: t('format.days', { count: Math.round(res.median ?? 0) }),
              p90: t('format.days', { count: Math.round(res.p90 ?? 0) }),
            })
          : t('acc.dash.cases.noResolution')}
      </p>
    </section>
  );
}

function OwnersTable({
  data,
  error,
  currency,
  onDrill,
}: {
  data: AccountsGrouped | undefined;
  error: unknown;
  currency: string;
  onDrill: (d: Drill) => void;
}) {
  const { t } = useTranslation();
  if (error) return <ErrorState error={error} />;
  if (!data) return <Loading />;
  const row = (k: AccountKpis, g: AccountGroup | null) => {
    const name = g ? (g.key ?? t('acc.noOwner')) : t('acc.dash.owners.total');
    const owner: OwnerRef | undefined = g
      ? { param: g.key_id === null || g.key_id === undefined ? 'none' : String(g.key_id), name }
      : undefined;
    const fig = (value: string, drill: Drill, label: string) => (
      <button type="button" className="figure" onClick={() => onDrill(drill)} aria-label={`${name}, ${label}: ${value}`}>
        {value}
      </button>
    );
    return (
      <tr key={owner?.param ?? 'total'} className={g ? undefined : 'total'} data-testid={`owner-row-${owner?.param ?? 'total'}`}>
        <th scope="row">{name}</th>
        <td className="num">
          {fig(
            num(k.accounts_end),
            { kind: 'accounts', metrics: ['accounts_end'], title: t('acc.dash.drill.accounts_end'), owner },
            t('acc.dash.owners.accounts'),
          )}
        </td>
        <td className="num">{majorMoney(k.start_mrr, currency)}</td>
        <td className="num">{majorMoney(k.end_mrr, currency)}</td>
        <td className="num">
          {fig(
            pct(k.nrr),
            { kind: 'accounts', metrics: ['accounts_start', 'expanded', 'contracted', 'churned'], title: t('acc.dash.nrr'), owner },
            t('acc.dash.owners.nrr'),
          )}
        </td>
        <td className="num">
          {fig(
            pct(k.logo_churn_rate),
            { kind: 'accounts', metrics: ['churned', 'accounts_start'], title: t('acc.dash.logoChurn'), owner },
            t('acc.dash.owners.logoChurn'),
          )}
        </td>
        <td className="num">
          {fig(
            pct(k.renewal_rate),
            {
              kind: 'contracts',
              metrics: ['contracts_ending', 'contracts_renewed', 'contracts_not_renewed'],
              title: t('acc.dash.renewalRate'),
              owner,
            },
            t('acc.dash.owners.renewal'),
          )}
        </td>
        <td className="num">
          {fig(num(casesTotal(k)), { kind: 'cases', title: t('acc.dash.drill.allKinds'), owner }, t('acc.dash.owners.cases'))}
        </td>
      </tr>
    );
  };
  return (
    <section className="panel" aria-labelledby="acc-owners-h" data-testid="owners-table">
      <h2 id="acc-owners-h">{t('acc.dash.owners.title')}</h2>
      {data.groups.length === 0 ? (
        <Empty>{t('dash.noData')}</Empty>
      ) : (
        <TableRegion label={t('acc.tableRegion')}>
          <table className="table">
            <thead>
              <tr>
                {(['owner', 'accounts', 'startMrr', 'endMrr', 'nrr', 'logoChurn', 'renewal', 'cases'] as const).map((c) => (
                  <th key={c} scope="col" className={c === 'owner' ? undefined : 'num'}>
                    {t(`acc.dash.owners.${c}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.groups.map((g) => row(g, g))}
              {row(data.total, null)}
            </tbody>
          </table>
        </TableRegion>
      )}
    </section>
  );
}

const LIMIT = 100;

/** The switch between the lists behind one figure (NRR: the base, the expanded, the contracted, the churned). */
function MetricSwitch<M extends string>({
  metrics,
  value,
  onChange,
  label,
}: {
  metrics: M[];
  value: M;
  onChange: (m: M) => void;
  label: string;
}) {
  const { t } = useTranslation();
  if (metrics.length < 2) return null;
  return (
    <fieldset className="metric-switch">
      <legend className="sr-only">{label}</legend>
      {metrics.map((m) => (
        <button
          key={m}
          type="button"
          aria-pressed={m === value}
          className={m === value ? 'on' : undefined}
          onClick={() => onChange(m)}
          data-testid={`drill-metric-${m}`}
        >
          {t(`acc.dash.drill.${m}`)}
        </button>
      ))}
    </fieldset>
  );
}

/** A drill-down's note and its switch between the lists behind the figure. */
function DrillHead<M extends string>({
  note,
  title,
  metrics,
  metric,
  onMetric,
}: {
  note?: ReactNode;
  title: string;
  metrics: M[];
  metric: M;
  onMetric: (m: M) => void;
}) {
  return (
    <>
      {note && (
        <p className="drill-note" data-testid="drill-note">
          {note}
        </p>
      )}
      <MetricSwitch label={title} metrics={metrics} value={metric} onChange={onMetric} />
    </>
  );
}

/** The list behind a drill-down: its count line, its table (the head and rows `children` makes) or «nothing», and «more» while there is more. */
function DrillList<T extends { total: number; next_offset: number | null; items: unknown[] }>({
  res,
  onMore,
  total,
  children,
}: {
  res: UseQueryResult<T>;
  onMore: () => void;
  total: (d: T) => ReactNode;
  children: (d: T) => ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <PagedBody query={res} more={t('acc.dash.drill.more')} onMore={onMore}>
      {(d) => (
        <>
          <p className="strong" data-testid="drill-total" data-count={d.total}>
            {total(d)}
          </p>
          {d.items.length === 0 ? (
            <Empty />
          ) : (
            <TableRegion label={t('acc.tableRegion')}>
              <table className="table" data-testid="drill-table">
                {children(d)}
              </table>
            </TableRegion>
          )}
        </>
      )}
    </PagedBody>
  );
}

function drillQuery(params: URLSearchParams, extra: Record<string, string | undefined>, pages: number) {
  const q = new URLSearchParams(params);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) q.set(k, v);
  q.set('limit', String(LIMIT * pages));
  return q;
}

function AccountsDrill({
  params,
  drill,
  currency,
  onClose,
}: {
  params: URLSearchParams;
  drill: Extract<Drill, { kind: 'accounts' }>;
  currency: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [metric, setMetric] = useState<AccountMetric>(drill.metrics[0]);
  const [pages, setPages] = useState(1);
  const q = drillQuery(params, { metric, owner: drill.owner?.param }, pages);
  const res = useQuery({
    queryKey: ['accounts-drill', q.toString()],
    queryFn: () => api<AccountsDrillAnswer>(`/reports/accounts/accounts?${q}`),
  });
  const title = drill.owner ? t('acc.dash.drill.owner', { what: drill.title, owner: drill.owner.name }) : drill.title;
  const items = res.data?.items ?? [];
  const all = res.data ? res.data.next_offset === null : false;
  const sum = (k: 'mrr_start' | 'mrr_end') => items.reduce((s, i) => s + i[k], 0);
  return (
    <Modal title={title} onClose={onClose} wide testId="accounts-drill">
      <DrillHead
        note={drill.note}
        title={title}
        metrics={drill.metrics}
        metric={metric}
        onMetric={(m) => {
          setMetric(m);
          setPages(1);
        }}
      />
      <DrillList
        res={res}
        onMore={() => setPages((p) => p + 1)}
        total={(d) => (
          <>
            {t(`acc.dash.drill.${metric}`)}: {t('acc.dash.drill.total', { count: d.total })}
            {all &&
              items.length > 0 &&
              ` · ${t('acc.dash.drill.sums', { start: majorMoney(sum('mrr_start'), currency), end: majorMoney(sum('mrr_end'), currency) })}`}
          </>
        )}
      >
        {() => (
          <>
            <thead>
              <tr>
                <th scope="col">{t('acc.dash.drill.company')}</th>
                <th scope="col">{t('acc.dash.drill.owner_col')}</th>
                <th scope="col" className="num">
                  {t('acc.dash.drill.mrrStart')}
                </th>
                <th scope="col" className="num">
                  {t('acc.dash.drill.mrrEnd')}
                </th>
                <th scope="col" className="num">
                  {t('acc.dash.drill.groups')}
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.company_id}>
                  <td>
                    <Link href={`/companies/${a.company_id}`}>{a.company}</Link>
                  </td>
                  <td>{a.owner ?? t('acc.noOwner')}</td>
                  <td className="num">{majorMoney(a.mrr_start, currency)}</td>
                  <td className="num">{majorMoney(a.mrr_end, currency)}</td>
                  <td className="num">{num(a.product_groups_end)}</td>
                </tr>
              ))}
            </tbody>
          </>
        )}
      </DrillList>
    </Modal>
  );
}

function ContractsDrill({
  params,
  drill,
  currency,
  lang,
  onClose,
}: {
  params: URLSearchParams;
  drill: Extract<Drill, { kind: 'contracts' }>;
  currency: string;
  lang: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [metric, setMetric] = useState<ContractMetric>(drill.metrics[0]);
  const [pages, setPages] = useState(1);
  const q = drillQuery(params, { metric, owner: drill.owner?.param }, pages);
  const res = useQuery({
    queryKey: ['contracts-drill', q.toString()],
    queryFn: () => api<ContractsDrillAnswer>(`/reports/accounts/contracts?${q}`),
  });
  const title = drill.owner ? t('acc.dash.drill.owner', { what: drill.title, owner: drill.owner.name }) : drill.title;
  return (
    <Modal title={title} onClose={onClose} wide testId="contracts-drill">
      <DrillHead
        note={drill.note}
        title={title}
        metrics={drill.metrics}
        metric={metric}
        onMetric={(m) => {
          setMetric(m);
          setPages(1);
        }}
      />
      <DrillList
        res={res}
        onMore={() => setPages((p) => p + 1)}
        total={(d) => (
          <>
            {t(`acc.dash.drill.${metric}`)}: {t('acc.dash.drill.contracts', { count: d.total })}
          </>
        )}
      >
        {(d) => (
          <>
            <thead>
              <tr>
                <th scope="col">{t('acc.dash.drill.company')}</th>
                <th scope="col">{t('acc.dash.drill.product')}</th>
                <th scope="col">{t('acc.dash.drill.period')}</th>
                <th scope="col" className="num">
                  {t('acc.dash.drill.mrr')}
                </th>
                <th scope="col">{t('acc.dash.drill.status')}</th>
                <th scope="col">{t('acc.dash.drill.owner_col')}</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link href={`/companies/${c.company_id}`}>{c.company}</Link>
                  </td>
                  <td>{c.product_group}</td>
                  <td className="nowrap">
                    {isoDayText(c.start_date, lang)} — {isoDayText(c.end_date, lang)}
                  </td>
                  <td className="num">{money(c.mrr_minor, currency)}</td>
                  <td>
                    <ContractStatus status={c.status} />
                  </td>
                  <td>{c.owner ?? t('acc.noOwner')}</td>
                </tr>
              ))}
            </tbody>
          </>
        )}
      </DrillList>
    </Modal>
  );
}

function CasesDrill({
  params,
  drill,
  tz,
  onClose,
}: {
  params: URLSearchParams;
  drill: Extract<Drill, { kind: 'cases' }>;
  tz: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [pages, setPages] = useState(1);
  const q = drillQuery(params, { kind: drill.caseKind, recorder_role: drill.recorder, owner: drill.owner?.param }, pages);
  const res = useQuery({
    queryKey: ['cases-drill', q.toString()],
    queryFn: () => api<CasesDrillAnswer>(`/reports/accounts/cases?${q}`),
  });
  const what = t('acc.dash.drill.casesTitle', { what: drill.title });
  const title = drill.owner ? t('acc.dash.drill.owner', { what, owner: drill.owner.name }) : what;
  return (
    <Modal title={title} onClose={onClose} wide testId="cases-drill">
      <DrillList res={res} onMore={() => setPages((p) => p + 1)} total={(d) => t('acc.dash.drill.cases', { count: d.total })}>
        {(d) => (
          <>
            <thead>
              <tr>
                <th scope="col">{t('acc.log.opened')}</th>
                <th scope="col">{t('acc.log.kind')}</th>
                <th scope="col">{t('acc.log.title')}</th>
                <th scope="col">{t('acc.log.company')}</th>
                <th scope="col">{t('acc.log.recordedBy')}</th>
                <th scope="col">{t('acc.log.status')}</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((c) => (
                <tr key={c.id}>
                  <td className="nowrap">{date(c.opened_at, tz)}</td>
                  <td>{t(`acc.kind.${c.kind}`)}</td>
                  <td>{c.title}</td>
                  <td>
                    <Link href={`/companies/${c.company_id}`}>{c.company}</Link>
                    {c.deal_id !== null && (
                      <>
                        {' · '}
                        <Link href={`/deals/${c.deal_id}`}>{c.deal ?? `#${c.deal_id}`}</Link>
                      </>
                    )}
                  </td>
                  <td>
                    {c.recorder ?? t('common.none')} ({t(`acc.recorder.${c.recorder_role}`)})
                  </td>
                  <td>{t(`acc.caseStatus.${c.status}`)}</td>
                </tr>
              ))}
            </tbody>
          </>
        )}
      </DrillList>
    </Modal>
  );
}
