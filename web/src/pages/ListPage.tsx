import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useSearch } from 'wouter';
import { api, type Me, type Named, type Page, type Prefs } from '../api';
import { Empty, ErrorState, Loading, Modal } from '../components';
import { formatDay, parseDay } from '../create/dates';
import { ageDays, money, num } from '../format';
import { ColumnPicker } from '../lists/ColumnPicker';
import { activeCount, FilterPanel, useFilters } from '../lists/FilterPanel';
import { type CustomFieldDef, type Kind, OBJECT } from '../lists/filters';
import { ListActions, useSelection, withSelect } from '../lists/ListActions';
import { Totals } from '../lists/Totals';
import '../lists/lists.css';
import { useCompanyNames, usePipelines, useUsers } from '../lookups';

type Row = Record<string, unknown> & { id: number };

interface Column {
  key: string;
  label: string;
  num?: boolean;
  render: (r: Row) => React.ReactNode;
}

const SORTS: Record<Kind, string[]> = {
  deals: ['-amount_minor', 'amount_minor', '-created_at', 'created_at', 'title'],
  companies: ['name', '-employees', '-created_at'],
  contacts: ['name', '-created_at'],
  leads: ['-created_at', '-fit_score', 'title'],
};
/** The columns a list shows until its user chooses (`ColumnPicker`). */
const DEFAULT_COLUMNS: Record<Kind, string[]> = {
  deals: ['title', 'company', 'stage', 'owner', 'amount', 'age', 'created'],
  companies: ['name', 'industry', 'city', 'employees'],
  contacts: ['name', 'company', 'position', 'email', 'phone'],
  leads: ['title', 'status', 'channel', 'fit', 'created'],
};
/** What a phone's card shows under the title besides the owner and the status: the figures first. */
const CARD_SKIP = new Set(['title', 'name', 'owner', 'status']);

const dayFormats = new Map<string, Intl.DateTimeFormat>();
/** A time's day in the workspace's zone as the language writes it: 05.03.2026 / 03/05/2026. */
function day(iso: unknown, timeZone: string, lang: string): string {
  if (typeof iso !== 'string' || iso === '') return '—';
  const key = `${lang}|${timeZone}`;
  let f = dayFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-US', { timeZone, day: '2-digit', month: '2-digit', year: 'numeric' });
    dayFormats.set(key, f);
  }
  return f.format(new Date(iso));
}

/** Whether the viewport is a phone's (the lists turn into cards). */
function usePhone(): boolean {
  const query = '(max-width: 700px)';
  const [phone, setPhone] = useState(() => typeof window !== 'undefined' && window.matchMedia(query).matches);
  useEffect(() => {
    const m = window.matchMedia(query);
    const on = () => setPhone(m.matches);
    m.addEventListener('change', on);
    on();
    return () => m.removeEventListener('change', on);
  }, []);
  return phone;
}

function SaveView({ kind, query, onClose }: { kind: Kind; query: string; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api('/saved-views', { method: 'POST', body: { object_type: OBJECT[kind], name, query, shared } });
      qc.invalidateQueries({ queryKey: ['views', kind] });
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Modal title={t('lists.saveView')} onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="view-name">{t('lists.viewName')}</label>
          <input id="view-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <label className="check-label">
          <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} /> {t('lists.viewShared')}
        </label>
        {error && <p className="error">{error}</p>}
        <div className="actions">
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="primary">
            {t('common.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/**
 * Lists of every record type: filters (built in and custom fields, in a panel), sort and search in
 * the URL (shareable; saved views store the query string), the totals of the filter, the columns the
 * user chose (kept in the preferences), cursor paging; on a phone, cards instead of a table.
 */
export function ListPage({ kind, me }: { kind: Kind; me: Me }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language.startsWith('ru') ? 'ru' : 'en';
  const [, navigate] = useLocation();
  const search = useSearch();
  const params = new URLSearchParams(search);
  const [saving, setSaving] = useState(false);
  const [filtersOpen, setFiltersOpen] = useState(false);
  const phone = usePhone();
  const users = useUsers();
  const pipelines = usePipelines();
  const prefs = useQuery<Prefs>({ queryKey: ['prefs'], queryFn: () => api<Prefs>('/me/preferences'), staleTime: Number.POSITIVE_INFINITY });
  const channels = useQuery({
    queryKey: ['channels'],
    queryFn: () => api<Page<Named>>('/channels?limit=500'),
    staleTime: 300_000,
    enabled: kind === 'leads',
  });
  const customDefs = useQuery({
    queryKey: ['custom-fields', OBJECT[kind]],
    queryFn: () => api<Page<CustomFieldDef>>(`/custom-fields?object_type=${OBJECT[kind]}&limit=500&sort=position`),
    staleTime: 300_000,
  });
  const defs = customDefs.data?.items ?? [];
  const views = useQuery({
    queryKey: ['views', kind],
    queryFn: () => api<Page<{ id: number; name: string; query: string; shared: boolean }>>(`/saved-views?object_type=${OBJECT[kind]}`),
  });
  const go = (next: URLSearchParams) => navigate(`/${kind}${next.toString() ? `?${next.toString()}` : ''}`, { replace: true });
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    go(next);
  };
  const applyFilters = (values: Record<string, string>) => {
    const next = new URLSearchParams(search);
    for (const [k, v] of Object.entries(values)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    go(next);
    if (phone) setFiltersOpen(false);
  };
  const query = new URLSearchParams({ limit: '50', sort: params.get('sort') ?? SORTS[kind][0] });
  for (const [k, v] of params) if (k !== 'sort' && v) query.set(k, v);
  const list = useInfiniteQuery({
    queryKey: ['list', kind, query.toString()],
    queryFn: ({ pageParam, signal }) =>
      api<Page<Row>>(`/${kind}?${query.toString()}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`, { signal }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const sel = useSelection(kind);
  const companies = useCompanyNames(rows.map((r) => (r.company_id as number | null) ?? null));
  const userName = new Map((users.data?.items ?? []).map((u) => [u.id, u.name]));
  const stageName = new Map((pipelines.data?.items ?? []).flatMap((p) => p.stages.map((s) => [s.id, s.name] as const)));
  const channelName = new Map((channels.data?.items ?? []).map((c) => [c.id, c.name]));
  const tz = me.workspace.timezone;
  const none = t('common.none');
  const companyCell = (r: Row) =>
    r.company_id ? <Link href={`/companies/${String(r.company_id)}`}>{companies.data?.get(r.company_id as number) ?? '…'}</Link> : none;
  const link = (r: Row, text: unknown) => <Link href={`/${kind}/${r.id}`}>{String(text)}</Link>;
  const plain = (field: string) => (r: Row) => (r[field] as string | null) ?? none;
  const ownerCol: Column = {
    key: 'owner',
    label: t('list.columns.owner'),
    render: (r) => (r.owner_id ? (userName.get(r.owner_id as number) ?? '…') : none),
  };
  const createdCol: Column = { key: 'created', label: t('list.columns.created'), render: (r) => day(r.created_at, tz, lang) };
  const dealStatus = (r: Row) => <span className={`badge ${String(r.status)}`}>{t(`lists.dealStatus.${String(r.status)}`)}</span>;
  const columns: Record<Kind, Column[]> = {
    deals: [
      {
        key: 'title',
        label: t('list.columns.title'),
        render: (r) => (
          <>
            {link(r, r.title)} {r.status !== 'open' && dealStatus(r)}
          </>
        ),
      },
      { key: 'company', label: t('list.columns.company'), render: companyCell },
      { key: 'stage', label: t('list.columns.stage'), render: (r) => stageName.get(r.stage_id as number) ?? '…' },
      { key: 'status', label: t('lists.col.status'), render: dealStatus },
      ownerCol,
      { key: 'amount', label: t('list.columns.amount'), num: true, render: (r) => money(r.amount_minor as number, String(r.currency)) },
      { key: 'age', label: t('list.columns.age'), render: (r) => (r.status === 'open' ? ageDays(String(r.stage_entered_at)) : none) },
      { key: 'region', label: t('lists.col.region'), render: plain('region') },
      createdCol,
      { key: 'closed', label: t('lists.col.closed'), render: (r) => (r.closed_at ? day(r.closed_at, tz, lang) : none) },
    ],
    companies: [
      { key: 'name', label: t('list.columns.name'), render: (r) => link(r, r.name) },
      { key: 'inn', label: t('lists.col.inn'), render: plain('inn') },
      { key: 'industry', label: t('list.columns.industry'), render: plain('industry') },
      { key: 'city', label: t('list.columns.city'), render: plain('city') },
      { key: 'employees', label: t('list.columns.employees'), num: true, render: (r) => num(r.employees as number | null) },
      { key: 'phone', label: t('list.columns.phone'), render: plain('phone') },
      { key: 'website', label: t('lists.col.website'), render: plain('website') },
      ownerCol,
      createdCol,
    ],
    contacts: [
      { key: 'name', label: t('list.columns.name'), render: (r) => link(r, r.name) },
      { key: 'company', label: t('list.columns.company'), render: companyCell },
      { key: 'position', label: t('list.columns.position'), render: plain('position') },
      { key: 'email', label: t('list.columns.email'), render: plain('email') },
      { key: 'phone', label: t('list.columns.phone'), render: plain('phone') },
      { key: 'dm', label: t('lists.col.decisionMaker'), render: (r) => (r.is_decision_maker ? t('lists.yes') : t('lists.no')) },
      ownerCol,
      createdCol,
    ],
    leads: [
      { key: 'title', label: t('list.columns.title'), render: (r) => link(r, r.title) },
      {
        key: 'status',
        label: t('list.columns.status'),
        render: (r) => <span className={`badge lead-${String(r.status)}`}>{t(`lists.leadStatus.${String(r.status)}`)}</span>,
      },
      {
        key: 'channel',
        label: t('list.columns.channel'),
        render: (r) => (r.channel_id ? (channelName.get(r.channel_id as number) ?? '…') : none),
      },
      { key: 'fit', label: t('list.columns.fit'), num: true, render: (r) => num(r.fit_score as number | null) },
      { key: 'lead_company', label: t('lists.col.leadCompany'), render: plain('company_name') },
      { key: 'lead_contact', label: t('lists.col.leadContact'), render: plain('contact_name') },
      { key: 'email', label: t('list.columns.email'), render: plain('email') },
      { key: 'phone', label: t('list.columns.phone'), render: plain('phone') },
      ownerCol,
      createdCol,
    ],
  };
  const currency = me.workspace.currency;
  const customCols: Column[] = defs.map((d) => ({
    key: `custom.${d.key}`,
    label: lang === 'ru' ? d.label_ru : d.label_en,
    num: d.type === 'number' || d.type === 'money',
    render: (r) => {
      const v = (r.custom as Record<string, unknown> | undefined)?.[d.key];
      if (v === undefined || v === null || v === '') return none;
      if (d.type === 'choice') {
        const c = d.choices.find((x) => x.value === v);
        return c ? (lang === 'ru' ? c.label_ru : c.label_en) : String(v);
      }
      if (d.type === 'money') return money(Number(v), currency);
      if (d.type === 'number') return num(Number(v), 2);
      if (d.type === 'date') {
        const day = parseDay(String(v), lang);
        return day ? formatDay(day, lang) : String(v);
      }
      return String(v);
    },
  }));
  const all = [...columns[kind], ...customCols];
  const byKey = new Map(all.map((c) => [c.key, c]));
  const saved = (prefs.data?.list_columns as Record<string, string[] | undefined> | undefined)?.[kind];
  const chosen = (saved && saved.length > 0 ? saved : DEFAULT_COLUMNS[kind]).filter((k) => byKey.has(k));
  const visible = chosen.map((k) => byKey.get(k) as Column);
  const rowName = (r: Row) => String(r.title ?? r.name ?? r.id);
  const cols = withSelect(visible, sel, t('lists.select'), (r) => t('lists.selectRow', { name: rowName(r) }));
  const sortLabel = (s: string) => t(`list.sortOptions.${s}`, { defaultValue: s });
  const filters = useFilters(kind, defs);
  const active = activeCount(filters, params);
  const titleCol = columns[kind][0];
  const statusOf = (r: Row) => (kind === 'deals' ? dealStatus(r) : kind === 'leads' ? (byKey.get('status') as Column).render(r) : null);
  return (
    <div className="page list-page">
      <div className="page-head">
        <h1>{t(`nav.${kind}`)}</h1>
        <div className="views">
          <select
            aria-label={t('lists.savedViews')}
            value=""
            onChange={(e) => e.target.value && navigate(`/${kind}?${e.target.value}`, { replace: true })}
          >
            <option value="">{t('lists.savedViews')}…</option>
            {(views.data?.items ?? []).map((v) => (
              <option key={v.id} value={v.query}>
                {v.name}
                {v.shared ? ' ★' : ''}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => setSaving(true)}>
            {t('lists.saveView')}
          </button>
        </div>
      </div>
      <search className="filters">
        <label>
          <span className="sr-only">{t('common.search')}</span>
          <input
            type="search"
            placeholder={t('common.search')}
            defaultValue={params.get('q') ?? ''}
            onChange={(e) => set('q', e.target.value)}
          />
        </label>
        <button
          type="button"
          aria-expanded={filtersOpen}
          aria-controls="list-filter-panel"
          onClick={() => setFiltersOpen((o) => !o)}
          data-testid="filters-toggle"
          className={active > 0 ? 'filters-on' : undefined}
        >
          {active > 0 ? t('lists.filtersActive', { count: active }) : t('lists.filters')}
        </button>
        <select value={params.get('sort') ?? SORTS[kind][0]} onChange={(e) => set('sort', e.target.value)} aria-label={t('list.sort')}>
          {SORTS[kind].map((s) => (
            <option key={s} value={s}>
              {sortLabel(s)}
            </option>
          ))}
        </select>
        <ColumnPicker kind={kind} all={all.map((c) => ({ key: c.key, label: c.label }))} chosen={chosen} />
        {kind !== 'deals' && (
          // Archived records (never deleted) are out of the list unless asked for; their cards restore them.
          <label className="check-label">
            <input
              type="checkbox"
              checked={params.get('archived') === 'true'}
              onChange={(e) => set('archived', e.target.checked ? 'true' : '')}
              data-testid="show-archived"
            />{' '}
            {t('lists.archived')}
          </label>
        )}
      </search>
      {filtersOpen && (
        <div id="list-filter-panel" className="filter-sheet">
          <FilterPanel
            key={`${kind}|${search}|${defs.length}|${users.data ? 1 : 0}`}
            kind={kind}
            params={params}
            currency={currency}
            customDefs={defs}
            users={users.data?.items ?? []}
            pipelines={pipelines.data?.items ?? []}
            channels={channels.data?.items ?? []}
            onApply={applyFilters}
          />
        </div>
      )}
      <Totals kind={kind} query={query} />
      <ListActions kind={kind} query={query} sel={sel} pageIds={rows.map((r) => r.id)} />
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>{t('list.noResults')}</Empty>
      ) : (
        <>
          {phone ? (
            <ul className="list-cards" data-testid={`${kind}-cards`}>
              {rows.map((r) => {
                const figures = visible.filter((c) => !CARD_SKIP.has(c.key)).slice(0, 4);
                return (
                  <li key={r.id} className="list-card" data-testid={`card-${r.id}`}>
                    <div className="list-card-head">
                      <input
                        type="checkbox"
                        data-testid={`select-${r.id}`}
                        aria-label={t('lists.selectRow', { name: rowName(r) })}
                        checked={sel.ids.has(r.id)}
                        onChange={() => sel.toggle(r.id)}
                      />
                      <span className="list-card-title">
                        {titleCol.key === 'title' && kind === 'deals' ? link(r, r.title) : titleCol.render(r)}
                      </span>
                      {statusOf(r)}
                    </div>
                    {figures.length > 0 && (
                      <dl className="list-card-figures">
                        {figures.map((c) => (
                          <div key={c.key}>
                            <dt>{c.label}</dt>
                            <dd className={c.num ? 'num' : undefined}>{c.render(r)}</dd>
                          </div>
                        ))}
                      </dl>
                    )}
                    <p className="list-card-owner muted">{t('lists.owner_', { name: ownerCol.render(r) })}</p>
                  </li>
                );
              })}
            </ul>
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid={`${kind}-table`}>
                <thead>
                  <tr>
                    {cols.map((c) => (
                      <th key={c.key} className={c.num ? 'num' : undefined} scope="col" data-column={c.key}>
                        {c.label}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={r.id}>
                      {cols.map((c) => (
                        <td key={c.key} className={c.num ? 'num' : undefined}>
                          {c.render(r)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div className="list-foot">
            <span className="muted">{t('list.shown', { count: rows.length })}</span>
            {list.hasNextPage && (
              <button type="button" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
                {list.isFetchingNextPage ? t('common.loading') : t('common.showMore')}
              </button>
            )}
          </div>
        </>
      )}
      {saving && <SaveView kind={kind} query={search} onClose={() => setSaving(false)} />}
    </div>
  );
}
