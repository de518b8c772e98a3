import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Prefs } from '../api';
import type { Kind } from './filters';

export interface ColumnChoice {
  key: string;
  label: string;
}

/**
 * The columns a person shows on a list, in order: every column the list has (custom fields too),
 * ticked or not, moved with arrow buttons. Each change is saved at once in the person's
 * preferences (`list_columns`), so it is there after a reload and on another device.
 */
export function ColumnPicker({ kind, all, chosen: saved }: { kind: Kind; all: ColumnChoice[]; chosen: string[] }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  // The click's choice is held here until the preferences in the cache say the same: the cache
  // tells its readers a moment later, and a controlled checkbox would meanwhile spring back.
  const [pending, setPending] = useState<string[] | null>(null);
  const savedKey = saved.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: the choice is dropped whenever the saved columns change
  useEffect(() => setPending(null), [savedKey]);
  const chosen = pending ?? saved;
  // Saves go one after another, and only the last one's answer is taken: a quick second click is
  // neither overtaken by the first request nor undone by its answer.
  const chain = useRef<Promise<unknown>>(Promise.resolve());
  const seq = useRef(0);
  const label = new Map(all.map((c) => [c.key, c.label]));
  const ordered = [...chosen.filter((k) => label.has(k)), ...all.map((c) => c.key).filter((k) => !chosen.includes(k))];
  const shown = new Set(chosen);
  /** Shown at once (the preferences in the cache), then saved; the server's answer replaces it. */
  const write = (keys: string[] | null) => {
    if (keys) setPending(keys);
    qc.setQueryData<Prefs>(['prefs'], (p) => (p ? { ...p, list_columns: { ...p.list_columns, [kind]: keys ?? [] } } : p));
    const mine = ++seq.current;
    chain.current = chain.current
      .then(() => api<Prefs>('/me/preferences', { method: 'PATCH', body: { list_columns: { [kind]: keys ?? [] } } }))
      .then(
        (p) => {
          if (mine === seq.current) qc.setQueryData(['prefs'], p);
        },
        () => qc.invalidateQueries({ queryKey: ['prefs'] }),
      );
  };
  const toggle = (k: string) => write(shown.has(k) ? chosen.filter((x) => x !== k) : ordered.filter((x) => shown.has(x) || x === k));
  const move = (k: string, by: -1 | 1) => {
    const list = ordered.filter((x) => shown.has(x));
    const i = list.indexOf(k);
    const j = i + by;
    if (i < 0 || j < 0 || j >= list.length) return;
    [list[i], list[j]] = [list[j], list[i]];
    write(list);
  };
  return (
    <details className="column-picker" data-testid="column-picker">
      <summary>{t('lists.columnsButton')}</summary>
      <div className="column-menu">
        <p className="muted">{t('lists.columnsHint')}</p>
        <ul>
          {ordered.map((k) => (
            <li key={k}>
              <label>
                <input type="checkbox" checked={shown.has(k)} onChange={() => toggle(k)} data-column={k} /> {label.get(k)}
              </label>
              {shown.has(k) && (
                <span className="column-moves">
                  <button type="button" aria-label={t('lists.moveUp', { name: label.get(k) })} onClick={() => move(k, -1)}>
                    ↑
                  </button>
                  <button type="button" aria-label={t('lists.moveDown', { name: label.get(k) })} onClick={() => move(k, 1)}>
                    ↓
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
        <button type="button" onClick={() => write(null)}>
          {t('lists.columnsDefault')}
        </button>
      </div>
    </details>
  );
}
