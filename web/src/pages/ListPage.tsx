import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useSearch } from 'wouter';
import { api, type Me, type Named, type Page } from '../api';
import { Empty, ErrorState, Loading, Modal } from '../components';
import { ageDays, date, money, num } from '../format';
import { ListActions, useSelection, withSelect } from '../lists/ListActions';
import { useCompanyNames, usePipelines, useUsers } from '../lookups';

type Kind = 'deals' | 'companies' | 'contacts' | 'leads';
type Row = Record<string, unknown> & { id: number };

interface Column {
  key: string;
  label: string;
  num?: boolean;
  render: (r: Row) => React.ReactNode;
}

const OBJECT: Record<Kind, string> = { deals: 'deal', companies: 'company', contacts: 'contact', leads: 'lead' };
const SORTS: Record<Kind, string[]> = {
  deals: ['-amount_minor', 'amount_minor', '-created_at', 'created_at', 'title'],
  companies: ['name', '-employees', '-created_at'],
  contacts: ['name', '-created_at'],
  leads: ['-created_at', '-fit_score', 'title'],
};
const FILTERS: Record<Kind, string[]> = {
  deals: ['status', 'owner_id'],
  companies: ['city', 'industry'],
  contacts: [],
  leads: ['status', 'channel_id'],
};

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
    <Modal title={t('list.saveView')} onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="view-name">{t('list.viewName')}</label>
          <input id="view-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <label className="check-label">
          <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} /> {t('list.shared')}
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

/** Lists of every record type: filters, sort and search in the URL (shareable), saved views, cursor paging. */
export function ListPage({ kind, me }: { kind: Kind; me: Me }) {
  const { t } = useTranslation();
  const [, navigate] = useLocation();
  const search = useSearch();
  const params = new URLSearchParams(search);
  const [saving, setSaving] = useState(false);
  const users = useUsers();
  const pipelines = usePipelines();
  const channels = useQuery({
    queryKey: ['channels'],
    queryFn: () => api<Page<Named>>('/channels?limit=500'),
    staleTime: 300_000,
    enabled: kind === 'leads',
  });
  const views = useQuery({
    queryKey: ['views', kind],
    queryFn: () => api<Page<{ id: number; name: string; query: string; shared: boolean }>>(`/saved-views?object_type=${OBJECT[kind]}`),
  });
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    navigate(`/${kind}${next.toString() ? `?${next.toString()}` : ''}`, { replace: true });
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
  const companyCell = (r: Row) =>
    r.company_id ? (
      <Link href={`/companies/${String(r.company_id)}`}>{companies.data?.get(r.company_id as number) ?? '…'}</Link>
    ) : (
      t('common.none')
    );
  const link = (r: Row, text: unknown) => <Link href={`/${kind}/${r.id}`}>{String(text)}</Link>;
  const columns: Record<Kind, Column[]> = {
    deals: [
      {
        key: 'title',
        label: t('list.columns.title'),
        render: (r) => (
          <>
            {link(r, r.title)}{' '}
            {r.status !== 'open' && <span className={`badge ${String(r.status)}`}>{t(`status.${String(r.status)}`)}</span>}
          </>
        ),
      },
      { key: 'company', label: t('list.columns.company'), render: companyCell },
      { key: 'stage', label: t('list.columns.stage'), render: (r) => stageName.get(r.stage_id as number) ?? '…' },
      {
        key: 'owner',
        label: t('list.columns.owner'),
        render: (r) => (r.owner_id ? (userName.get(r.owner_id as number) ?? '…') : t('common.none')),
      },
      { key: 'amount', label: t('list.columns.amount'), num: true, render: (r) => money(r.amount_minor as number, String(r.currency)) },
      {
        key: 'age',
        label: t('list.columns.age'),
        render: (r) => (r.status === 'open' ? ageDays(String(r.stage_entered_at)) : t('common.none')),
      },
      { key: 'created', label: t('list.columns.created'), render: (r) => date(String(r.created_at), tz) },
    ],
    companies: [
      { key: 'name', label: t('list.columns.name'), render: (r) => link(r, r.name) },
      { key: 'industry', label: t('list.columns.industry'), render: (r) => (r.industry as string) ?? t('common.none') },
      { key: 'city', label: t('list.columns.city'), render: (r) => (r.city as string) ?? t('common.none') },
      { key: 'employees', label: t('list.columns.employees'), num: true, render: (r) => num(r.employees as number | null) },
    ],
    contacts: [
      { key: 'name', label: t('list.columns.name'), render: (r) => link(r, r.name) },
      { key: 'company', label: t('list.columns.company'), render: companyCell },
      { key: 'position', label: t('list.columns.position'), render: (r) => (r.position as string) ?? t('common.none') },
      { key: 'email', label: t('list.columns.email'), render: (r) => (r.email as string) ?? t('common.none') },
      { key: 'phone', label: t('list.columns.phone'), render: (r) => (r.phone as string) ?? t('common.none') },
    ],
    leads: [
      { key: 'title', label: t('list.columns.title'), render: (r) => link(r, r.title) },
      { key: 'status', label: t('list.columns.status'), render: (r) => String(r.status) },
      {
        key: 'channel',
        label: t('list.columns.channel'),
        render: (r) => (r.channel_id ? (channelName.get(r.channel_id as number) ?? '…') : t('common.none')),
      },
      { key: 'fit', label: t('list.columns.fit'), num: true, render: (r) => num(r.fit_score as number | null) },
      { key: 'created', label: t('list.columns.created'), render: (r) => date(String(r.created_at), tz) },
    ],
  };
  const cols = withSelect(columns[kind], sel, t('lists.select'), (r) => t('lists.selectRow', { name: String(r.title ?? r.name ?? r.id) }));
  const sortLabel = (s: string) => t(`list.sortOptions.${s}`, { defaultValue: s });
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t(`nav.${kind}`)}</h1>
        <div className="views">
          <select
            aria-label={t('list.views')}
            value=""
            onChange={(e) => e.target.value && navigate(`/${kind}?${e.target.value}`, { replace: true })}
          >
            <option value="">{t('list.views')}…</option>
            {(views.data?.items ?? []).map((v) => (
              <option key={v.id} value={v.query}>
                {v.name}
                {v.shared ? ' ★' : ''}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => setSaving(true)}>
            {t('list.saveView')}
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
        {FILTERS[kind].includes('status') && (
          <select value={params.get('status') ?? ''} onChange={(e) => set('status', e.target.value)} aria-label={t('list.status')}>
            <option value="">
              {t('list.status')}: {t('common.all')}
            </option>
            {(kind === 'deals' ? ['open', 'won', 'lost'] : ['new', 'working', 'qualified', 'disqualified', 'converted']).map((s) => (
              <option key={s} value={s}>
                {kind === 'deals' ? t(`status.${s}`) : s}
              </option>
            ))}
          </select>
        )}
        {FILTERS[kind].includes('owner_id') && (
          <select
            value={params.get('owner_id') ?? ''}
            onChange={(e) => set('owner_id', e.target.value)}
            aria-label={t('list.columns.owner')}
          >
            <option value="">{t('board.anyOwner')}</option>
            {(users.data?.items ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        )}
        {FILTERS[kind].includes('channel_id') && (
          <select
            value={params.get('channel_id') ?? ''}
            onChange={(e) => set('channel_id', e.target.value)}
            aria-label={t('list.columns.channel')}
          >
            <option value="">{t('dash.anyChannel')}</option>
            {(channels.data?.items ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        )}
        {FILTERS[kind].includes('city') && (
          <input
            placeholder={t('list.columns.city')}
            aria-label={t('list.columns.city')}
            defaultValue={params.get('city') ?? ''}
            onBlur={(e) => set('city', e.target.value)}
          />
        )}
        <select value={params.get('sort') ?? SORTS[kind][0]} onChange={(e) => set('sort', e.target.value)} aria-label={t('list.sort')}>
          {SORTS[kind].map((s) => (
            <option key={s} value={s}>
              {sortLabel(s)}
            </option>
          ))}
        </select>
      </search>
      <ListActions kind={kind} query={query} sel={sel} pageIds={rows.map((r) => r.id)} />
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>{t('list.noResults')}</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" data-testid={`${kind}-table`}>
              <thead>
                <tr>
                  {cols.map((c) => (
                    <th key={c.key} className={c.num ? 'num' : undefined} scope="col">
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
