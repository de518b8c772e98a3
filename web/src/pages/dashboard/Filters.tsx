import { useTranslation } from 'react-i18next';
import type { Named } from '../../api';
import { DayInput } from '../../time/DayInput';

/** The period, the as-of date and the filters, all kept in the URL. */
export function DashboardFilters({
  url,
  from,
  to,
  set,
  segments,
  owners,
  channels,
}: {
  url: URLSearchParams;
  from: string;
  to: string;
  set: (key: string, value: string) => void;
  segments: Named[];
  /** the managers a funnel can be narrowed to */
  owners: Named[];
  channels: Named[];
}) {
  const { t } = useTranslation();
  return (
    <search className="filters">
      <DayInput label={t('dash.from')} value={from} onChange={(v) => set('from', v)} testId="filter-from" />
      <DayInput label={t('dash.to')} value={to} onChange={(v) => set('to', v)} testId="filter-to" />
      <DayInput label={t('dash.asOf')} value={url.get('as_of') ?? ''} onChange={(v) => set('as_of', v)} allowEmpty testId="filter-as-of" />
      <select value={url.get('segment') ?? ''} onChange={(e) => set('segment', e.target.value)} aria-label={t('dash.segment')}>
        <option value="">{t('dash.anySegment')}</option>
        {segments.map((s) => (
          <option key={s.id} value={s.name}>
            {s.name}
          </option>
        ))}
      </select>
      <select value={url.get('owner') ?? ''} onChange={(e) => set('owner', e.target.value)} aria-label={t('dash.owner')}>
        <option value="">{t('dash.anyOwner')}</option>
        {owners.map((u) => (
          <option key={u.id} value={String(u.id)}>
            {u.name}
          </option>
        ))}
      </select>
      <select value={url.get('channel') ?? ''} onChange={(e) => set('channel', e.target.value)} aria-label={t('dash.channel')}>
        <option value="">{t('dash.anyChannel')}</option>
        {channels.map((c) => (
          <option key={c.id} value={c.name}>
            {c.name}
          </option>
        ))}
      </select>
    </search>
  );
}
