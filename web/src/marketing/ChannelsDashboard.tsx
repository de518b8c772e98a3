import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { type Answer, api, type Me } from '../api';
import { type ChartOption, EChart } from '../chart';
import { Empty, ErrorState, Loading, Modal } from '../components';
import { date, estimateMoney, majorMoney, num, pct } from '../format';
import { usePipelines } from '../lookups';
import { DrillDown } from '../pages/DrillDown';
import { PeriodFilters, useUrlPeriod } from '../report/period';
import { PagedBody, TableRegion } from '../report/tables';
import { useTimeZone } from '../time/use-time-zone';

type Report = Answer<'/api/v1/reports/channels', 'get'>;
type Group = Report['groups'][number];
type Kpis = Report['total'];
type Leads = Answer<'/api/v1/reports/channels/leads', 'get'>;
type Months = Answer<'/api/v1/reports/channels/months', 'get'>;
type Segments = Answer<'/api/v1/reports/channels/segments', 'get'>;
type LeadMetric = 'leads' | 'opportunities' | 'won' | 'icp_fit';
const MODELS = ['first_touch', 'last_touch', 'linear', 'position_based'] as const;
/** The filters in the URL besides the period. */
const PERIOD_EXTRA = ['pipeline'] as const;

/**
 * The marketing dashboard (kpi.md "Marketing ↔ sales"): the channels table with every figure
 * opening the leads behind it, attribution by model, spend vs opportunities by month, and inbound
 * vs outbound by segment. The period lives in the URL.
 */
export default function ChannelsDashboard({ me }: { me: Me }) {
  const { t } = useTranslation();
  const tz = useTimeZone(me);
  const period = useUrlPeriod(tz, '/marketing', PERIOD_EXTRA);
  const { params, qs, set } = period;
  const pipeline = period.url.get('pipeline') ?? '';
  const pipelines = usePipelines();
  const report = useQuery({ queryKey: ['channels', qs], queryFn: () => api<Report>(`/reports/channels?${qs}`) });
  const months = useQuery({ queryKey: ['channels-months', qs], queryFn: () => api<Months>(`/reports/channels/months?${qs}`) });
  const segments = useQuery({ queryKey: ['channels-segments', qs], queryFn: () => api<Segments>(`/reports/channels/segments?${qs}`) });
  const [drill, setDrill] = useState<{ metric: LeadMetric; channel: Group | null } | null>(null);
  const [wonDrill, setWonDrill] = useState(false);
  const r = report.data;
  const cur = r?.currency ?? me.workspace.currency;
  return (
    <div className="page" data-testid="channels-dashboard">
      <p className="muted intro">{t('mkt.intro')}</p>
      <PeriodFilters period={period} testIdPrefix="mkt">
        {(pipelines.data?.items.length ?? 0) > 1 && (
          <select
            value={pipeline}
            onChange={(e) => set('pipeline', e.target.value)}
            aria-label={t('mkt.pipeline')}
            data-testid="mkt-pipeline"
          >
            {pipelines.data?.items.map((p, i) => (
              <option key={p.id} value={i === 0 ? '' : String(p.id)}>
                {p.name}
              </option>
            ))}
          </select>
        )}
      </PeriodFilters>
      {report.isPending ? (
        <Loading />
      ) : report.isError ? (
        <ErrorState error={report.error} retry={() => report.refetch()} />
      ) : (
        r && (
          <>
            <p className="muted small" data-testid="mkt-icp-note">
              {r.icp ? t('mkt.icpInForce', { version: r.icp.version, threshold: r.icp.threshold }) : t('mkt.noIcp')}
              {r.scope === 'own' ? ` ${t('mkt.scopeOwn')}` : ''}
            </p>
            <ChannelsTable r={r} currency={cur} onDrill={(metric, channel) => setDrill({ metric, channel })} />
            <div className="grid-2">
              <Attribution r={r} currency={cur} onOpen={() => setWonDrill(true)} />
              <MonthsChart months={months.data} error={months.error} />
            </div>
            <SegmentsTable data={segments.data} currency={cur} />
          </>
        )
      )}
      {drill && r && (
        <LeadsDrill params={params} metric={drill.metric} channel={drill.channel} currency={cur} tz={tz} onClose={() => setDrill(null)} />
      )}
      {wonDrill && (
        <DrillDown
          params={params}
          metric="deals_won"
          title={t('mkt.attribution.title')}
          currency={cur}
          onClose={() => setWonDrill(false)}
        />
      )}
    </div>
  );
}

function ChannelsTable({
  r,
  currency,
  onDrill,
}: {
  r: Report;
  currency: string;
  onDrill: (metric: LeadMetric, channel: Group | null) => void;
}) {
  const { t } = useTranslation();
  const figure = (value: string, metric: LeadMetric, g: Group | null, label: string) => (
    <button type="button" className="figure" onClick={() => onDrill(metric, g)} aria-label={`${label}: ${value}`}>
      {value}
    </button>
  );
  const row = (k: Kpis | Group, g: Group | null, name: string, total = false) => (
    <tr key={name} className={total ? 'total' : undefined} data-testid={total ? 'channel-row-total' : `channel-row-${name}`}>
      <th scope="row">
        {name}
        {g?.kind && <div className="kind-chip">{t(`mkt.kind.${g.kind}`)}</div>}
      </th>
      <td className="num">{figure(num(k.leads), 'leads', g, `${name}, ${t('mkt.col.leads')}`)}</td>
      <td className="num">{figure(num(k.opportunities), 'opportunities', g, `${name}, ${t('mkt.col.opportunities')}`)}</td>
      <td className="num">{pct(k.lead_to_opportunity)}</td>
      <td className="num">{figure(num(k.won), 'won', g, `${name}, ${t('mkt.col.won')}`)}</td>
      <td className="num">{majorMoney(k.won_amount, currency)}</td>
      <td className="num">{k.spend === null ? '—' : majorMoney(k.spend, currency)}</td>
      <td className="num">{estimateMoney(k.cost_per_lead, currency)}</td>
      <td className="num">{estimateMoney(k.cost_per_opportunity, currency)}</td>
      <td className="num">{estimateMoney(k.cost_per_won, currency)}</td>
      <td className="num">{k.icp_share === null ? '—' : figure(pct(k.icp_share), 'icp_fit', g, `${name}, ${t('mkt.col.icp')}`)}</td>
    </tr>
  );
  if (r.groups.length === 0) return <Empty>{t('dash.noData')}</Empty>;
  return (
    <TableRegion label={t('mkt.tableRegion')}>
      <table className="table" data-testid="channels-table">
        <thead>
          <tr>
            <th scope="col">{t('mkt.col.channel')}</th>
            {(['leads', 'opportunities', 'leadToOpp', 'won', 'wonAmount', 'spend', 'cpl', 'cpo', 'cpw', 'icp'] as const).map((c) => (
              <th key={c} scope="col" className="num">
                {t(`mkt.col.${c}`)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {r.groups.map((g) => row(g, g, g.key ?? t('mkt.noChannel')))}
          {row(r.total, null, t('mkt.total'), true)}
        </tbody>
      </table>
    </TableRegion>
  );
}

function Attribution({ r, currency, onOpen }: { r: Report; currency: string; onOpen: () => void }) {
  const { t } = useTranslation();
  const channels = useMemo(
    () => [...new Set(MODELS.flatMap((m) => Object.keys(r.total.attribution[m])))].sort((a, b) => a.localeCompare(b)),
    [r],
  );
  const option: ChartOption = {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
    xAxis: { type: 'category', data: channels },
    yAxis: { type: 'value' },
    series: MODELS.map((m) => ({
      name: t(`mkt.attribution.model.${m}`),
      type: 'bar',
      data: channels.map((c) => Math.round((r.total.attribution[m][c] ?? 0) * 100) / 100),
    })),
  };
  return (
    <section className="panel" aria-labelledby="mkt-attr-h" data-testid="attribution">
      <h2 id="mkt-attr-h">{t('mkt.attribution.title')}</h2>
      <p className="muted small">{t('mkt.attribution.hint')}</p>
      {channels.length === 0 ? (
        <Empty>{t('mkt.attribution.empty')}</Empty>
      ) : (
        <>
          <EChart option={option} label={t('mkt.attribution.title')} height={260} />
          <TableRegion label={t('mkt.tableRegion')}>
            <table className="table" data-testid="attribution-table">
              <thead>
                <tr>
                  <th scope="col">{t('mkt.col.channel')}</th>
                  {MODELS.map((m) => (
                    <th key={m} scope="col" className="num">
                      {t(`mkt.attribution.model.${m}`)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {channels.map((c) => (
                  <tr key={c}>
                    <th scope="row">{c === 'none' ? t('mkt.noChannel') : c}</th>
                    {MODELS.map((m) => (
                      <td key={m} className="num">
                        {estimateMoney(r.total.attribution[m][c] ?? 0, currency)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
          <button type="button" className="link" onClick={onOpen} data-testid="attribution-deals">
            {t('mkt.drill.funnelWon')}
          </button>
        </>
      )}
    </section>
  );
}

function MonthsChart({ months, error }: { months: Months | undefined; error: unknown }) {
  const { t } = useTranslation();
  if (error) return <ErrorState error={error} />;
  if (!months) return <Loading />;
  const option: ChartOption = {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
    xAxis: { type: 'category', data: months.items.map((m) => m.month) },
    yAxis: [{ type: 'value' }, { type: 'value' }],
    series: [
      { name: t('mkt.months.spend'), type: 'bar', data: months.items.map((m) => m.spend ?? 0) },
      { name: t('mkt.months.opportunities'), type: 'line', yAxisIndex: 1, data: months.items.map((m) => m.opportunities) },
    ],
  };
  return (
    <section className="panel" aria-labelledby="mkt-months-h" data-testid="months-chart">
      <h2 id="mkt-months-h">{t('mkt.months.title')}</h2>
      <EChart option={option} label={t('mkt.months.title')} height={300} />
    </section>
  );
}

function SegmentsTable({ data, currency }: { data: Segments | undefined; currency: string }) {
  const { t } = useTranslation();
  if (!data) return null;
  return (
    <section className="panel" aria-labelledby="mkt-seg-h" data-testid="segments-table">
      <h2 id="mkt-seg-h">{t('mkt.segments.title')}</h2>
      <TableRegion label={t('mkt.tableRegion')}>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('mkt.segments.segment')}</th>
              <th scope="col">{t('mkt.col.kind')}</th>
              <th scope="col" className="num">
                {t('mkt.col.leads')}
              </th>
              <th scope="col" className="num">
                {t('mkt.col.opportunities')}
              </th>
              <th scope="col" className="num">
                {t('mkt.col.won')}
              </th>
              <th scope="col" className="num">
                {t('mkt.col.wonAmount')}
              </th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((s) => (
              <tr key={`${s.segment}-${s.kind}`}>
                <th scope="row">{s.segment ?? t('mkt.segments.none')}</th>
                <td>{s.kind ? t(`mkt.kind.${s.kind}`) : t('mkt.noChannel')}</td>
                <td className="num">{num(s.leads)}</td>
                <td className="num">{num(s.opportunities)}</td>
                <td className="num">{num(s.won)}</td>
                <td className="num">{majorMoney(s.won_amount, currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
    </section>
  );
}

const DRILL_LIMIT = 100;

function LeadsDrill({
  params,
  metric,
  channel,
  currency,
  tz,
  onClose,
}: {
  params: URLSearchParams;
  metric: LeadMetric;
  channel: Group | null;
  currency: string;
  tz: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [pages, setPages] = useState(1);
  const q = new URLSearchParams(params);
  q.set('metric', metric);
  q.set('limit', String(DRILL_LIMIT * pages));
  if (channel) q.set('channel', channel.key_id === null ? 'none' : String(channel.key_id));
  const leads = useQuery({ queryKey: ['channel-leads', q.toString()], queryFn: () => api<Leads>(`/reports/channels/leads?${q}`) });
  const what = t(`mkt.col.${metric === 'icp_fit' ? 'icp' : metric}`);
  const name = channel ? (channel.key ?? t('mkt.noChannel')) : t('mkt.drill.all');
  return (
    <Modal title={t('mkt.drill.title', { what, channel: name })} onClose={onClose} wide testId="channel-leads">
      <PagedBody query={leads} more={t('mkt.drill.more')} onMore={() => setPages((p) => p + 1)}>
        {(d) => (
          <>
            <p data-testid="channel-leads-total" data-count={d.total}>
              {t('mkt.drill.total', { count: d.total })}
              {d.deals > 0 && ` · ${t('mkt.drill.won', { deals: d.deals, amount: majorMoney(d.amount, currency) })}`}
            </p>
            <TableRegion label={t('mkt.tableRegion')}>
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t('mkt.drill.lead')}</th>
                    <th scope="col">{t('mkt.col.channel')}</th>
                    <th scope="col">{t('mkt.drill.created')}</th>
                    <th scope="col">{t('mkt.drill.status')}</th>
                    <th scope="col" className="num">
                      {t('mkt.drill.fit')}
                    </th>
                    <th scope="col">{t('mkt.drill.deal')}</th>
                    <th scope="col" className="num">
                      {t('mkt.drill.amount')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((l) => (
                    <tr key={l.lead_id}>
                      <td>
                        <Link href={`/leads/${l.lead_id}`}>{l.title}</Link>
                      </td>
                      <td>{l.channel ?? t('mkt.noChannel')}</td>
                      <td>{date(l.created_at, tz)}</td>
                      <td>{t(`cards.leadStatus.${l.status}`)}</td>
                      <td className="num">{l.fit_score ?? '—'}</td>
                      <td>{l.deal_id ? <Link href={`/deals/${l.deal_id}`}>{l.deal_title ?? `#${l.deal_id}`}</Link> : '—'}</td>
                      <td className="num">{l.amount === null ? '—' : majorMoney(l.amount, currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          </>
        )}
      </PagedBody>
    </Modal>
  );
}
