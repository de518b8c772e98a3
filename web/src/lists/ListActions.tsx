import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../api';
import { usePipelines, useUsers } from '../lookups';

type Kind = 'deals' | 'companies' | 'contacts' | 'leads';
type Row = Record<string, unknown> & { id: number };
interface Column {
  key: string;
  label: string;
  num?: boolean;
  render: (r: Row) => React.ReactNode;
}

/** Laid out in a wrapping row (the app's stylesheet has no bulk bar of its own yet). */
const ROW = { display: 'flex', flexWrap: 'wrap', gap: '0.5rem', alignItems: 'center', margin: '0.25rem 0' } as const;

export interface Selection {
  ids: Set<number>;
  toggle: (id: number) => void;
  setAll: (ids: number[]) => void;
  clear: () => void;
}

/** The rows ticked on a list (kept while the list grows; cleared when its kind changes). */
export function useSelection(kind: Kind): Selection {
  const [state, setState] = useState<{ kind: Kind; ids: Set<number> }>({ kind, ids: new Set() });
  const ids = state.kind === kind ? state.ids : new Set<number>();
  return {
    ids,
    toggle: (id) => {
      const next = new Set(ids);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      setState({ kind, ids: next });
    },
    setAll: (all) => setState({ kind, ids: new Set(all) }),
    clear: () => setState({ kind, ids: new Set() }),
  };
}

/** The list's columns with a checkbox first, labelled by the record's name for screen readers. */
export function withSelect(cols: Column[], sel: Selection, label: string, rowLabel: (r: Row) => string): Column[] {
  return [
    {
      key: 'select',
      label,
      render: (r) => (
        <input
          type="checkbox"
          data-testid={`select-${r.id}`}
          aria-label={rowLabel(r)}
          checked={sel.ids.has(r.id)}
          onChange={() => sel.toggle(r.id)}
        />
      ),
    },
    ...cols,
  ];
}

/** The URL of a list's export: the list's query without its paging, in the UI's language. */
export function exportUrl(path: string, format: 'csv' | 'xlsx', query: URLSearchParams, lang: string): string {
  const q = new URLSearchParams(query);
  q.delete('limit');
  q.delete('cursor');
  q.set('lang', lang.startsWith('ru') ? 'ru' : 'en');
  return `/api/v1/export/${path}.${format}?${q.toString()}`;
}

/**
 * Above a list: the export menu for the whole filtered list and, once rows are ticked, the bulk bar
 * — "Выбрано: 3 сделки", a new owner, a move to a stage and a task for deals, export of the ticked
 * rows. A refused bulk action changes nothing and says which record was refused and why.
 */
export function ListActions({ kind, query, sel, pageIds }: { kind: Kind; query: URLSearchParams; sel: Selection; pageIds: number[] }) {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const users = useUsers();
  const pipelines = usePipelines();
  const [owner, setOwner] = useState('');
  const [stage, setStage] = useState('');
  const [task, setTask] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const n = sel.ids.size;
  const run = async (body: Record<string, unknown>) => {
    setBusy(true);
    setMessage(null);
    try {
      const r = await api<{ updated: unknown[] }>(`/${kind}/bulk`, { method: 'POST', body: { ids: [...sel.ids], ...body } });
      setMessage({ ok: true, text: t('lists.done', { count: r.updated.length }) });
      sel.clear();
      await qc.invalidateQueries({ queryKey: ['list', kind] });
    } catch (e) {
      setMessage({ ok: false, text: e instanceof ApiError ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };
  const submit = (fn: () => Record<string, unknown> | null) => (e: FormEvent) => {
    e.preventDefault();
    const body = fn();
    if (body) void run(body);
  };
  const selectedQuery = new URLSearchParams({ id: [...sel.ids].sort((a, b) => a - b).join(','), sort: query.get('sort') ?? 'id' });
  const stages = (pipelines.data?.items ?? []).flatMap((p) => p.stages.map((s) => ({ ...s, pipeline: p.name })));
  return (
    <div className="list-actions" style={ROW}>
      <details className="export-menu">
        <summary>{t('lists.export')}</summary>
        <div className="menu-items">
          <a href={exportUrl(kind, 'csv', query, i18n.language)} download data-testid="export-csv">
            {t('lists.exportCsv')}
          </a>
          <a href={exportUrl(kind, 'xlsx', query, i18n.language)} download data-testid="export-xlsx">
            {t('lists.exportXlsx')}
          </a>
          <p>{t('lists.exportHint')}</p>
        </div>
      </details>
      {pageIds.length > 0 && n === 0 && (
        <button type="button" onClick={() => sel.setAll(pageIds)}>
          {t('lists.selectPage')}
        </button>
      )}
      {n > 0 && (
        <section className="bulk-bar" aria-label={t('lists.bar')} data-testid="bulk-bar" style={ROW}>
          <strong role="status">{t(`lists.selected.${kind}`, { count: n })}</strong>
          <form style={ROW} onSubmit={submit(() => (owner ? { set: { owner_id: Number(owner) } } : null))}>
            <select aria-label={t('lists.owner')} value={owner} onChange={(e) => setOwner(e.target.value)} required>
              <option value="">{t('lists.chooseOwner')}</option>
              {(users.data?.items ?? []).map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </select>
            <button type="submit" disabled={busy}>
              {t('lists.assign')}
            </button>
          </form>
          {kind === 'deals' && (
            <>
              <form style={ROW} onSubmit={submit(() => (stage ? { set: { stage_id: Number(stage) } } : null))}>
                <select aria-label={t('lists.stage')} value={stage} onChange={(e) => setStage(e.target.value)} required>
                  <option value="">{t('lists.chooseStage')}</option>
                  {stages.map((s) => (
                    <option key={s.id} value={s.id}>
                      {stages.length > 0 && (pipelines.data?.items.length ?? 0) > 1 ? `${s.pipeline}: ${s.name}` : s.name}
                    </option>
                  ))}
                </select>
                <button type="submit" disabled={busy}>
                  {t('lists.move')}
                </button>
              </form>
              <form style={ROW} onSubmit={submit(() => (task.trim() ? { add_task: { title: task.trim(), type: 'call' } } : null))}>
                <input
                  aria-label={t('lists.taskTitle')}
                  placeholder={t('lists.taskPlaceholder')}
                  value={task}
                  maxLength={300}
                  onChange={(e) => setTask(e.target.value)}
                  required
                />
                <button type="submit" disabled={busy}>
                  {t('lists.addTask')}
                </button>
              </form>
            </>
          )}
          <a href={exportUrl(kind, 'csv', selectedQuery, i18n.language)} download data-testid="export-selected">
            {t('lists.exportSelected')}
          </a>
          <button type="button" onClick={sel.clear}>
            {t('lists.clear')}
          </button>
        </section>
      )}
      {message && (
        <p className={message.ok ? undefined : 'error'} role={message.ok ? 'status' : 'alert'} data-testid="bulk-message">
          {message.text}
        </p>
      )}
    </div>
  );
}

/** The drill-down's export: the same parameters as its table, every deal behind the figure. */
export function DrillExport({ query }: { query: URLSearchParams }) {
  const { t, i18n } = useTranslation();
  const q = new URLSearchParams(query);
  q.delete('offset');
  return (
    <p className="drill-export">
      <a href={exportUrl('funnel-deals', 'xlsx', q, i18n.language)} download data-testid="drill-export-xlsx">
        {t('lists.exportDrill')}
      </a>{' '}
      <a href={exportUrl('funnel-deals', 'csv', q, i18n.language)} download data-testid="drill-export-csv">
        {t('lists.exportDrillCsv')}
      </a>
    </p>
  );
}
