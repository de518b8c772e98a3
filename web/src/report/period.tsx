import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useSearch } from 'wouter';
import { isoDay } from '../format';
import { DayInput } from '../time/DayInput';

/** The first day of the month `back` months before today's, in the zone: YYYY-MM-01. */
export function monthStart(zone: string, back: number): string {
  const [y, m] = isoDay(zone).split('-').map(Number);
  const d = new Date(Date.UTC(y, m - 1 - back, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-01`;
}

/** A dashboard's period as it lives in the URL: from, to, as of, and the other filters named in `extra`. */
export interface UrlPeriod {
  url: URLSearchParams;
  from: string;
  to: string;
  asOf: string;
  /** from, to, as_of (when set) and the `extra` filters that are set, in that order. */
  params: URLSearchParams;
  qs: string;
  /** Sets (or, given '', removes) one filter in the URL. */
  set: (k: string, v: string) => void;
}

/**
 * The period of a dashboard at `path`, read from the URL (the last twelve months by default: from
 * the first day of the month eleven months back to tomorrow, as of now) and written back to it.
 */
export function useUrlPeriod(tz: string, path: string, extra: readonly string[] = []): UrlPeriod {
  const search = useSearch();
  const [, navigate] = useLocation();
  const url = new URLSearchParams(search);
  const from = url.get('from') ?? monthStart(tz, 11);
  const to = url.get('to') ?? isoDay(tz, 1);
  const asOf = url.get('as_of') ?? '';
  const params = new URLSearchParams({ from, to, ...(asOf ? { as_of: asOf } : {}) });
  for (const k of extra) {
    const v = url.get(k);
    if (v) params.set(k, v);
  }
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    navigate(`${path}?${next.toString()}`, { replace: true });
  };
  return { url, from, to, asOf, params, qs: params.toString(), set };
}

/** The period picker of a dashboard: from, to and as of (may be empty), then whatever other filters it has. */
export function PeriodFilters({ period, testIdPrefix, children }: { period: UrlPeriod; testIdPrefix: string; children?: ReactNode }) {
  const { t } = useTranslation();
  const { from, to, asOf, set } = period;
  return (
    <search className="filters">
      <DayInput label={t('dash.from')} value={from} onChange={(v) => set('from', v)} testId={`${testIdPrefix}-from`} />
      <DayInput label={t('dash.to')} value={to} onChange={(v) => set('to', v)} testId={`${testIdPrefix}-to`} />
      <DayInput label={t('dash.asOf')} value={asOf} onChange={(v) => set('as_of', v)} allowEmpty testId={`${testIdPrefix}-as-of`} />
      {children}
    </search>
  );
}
