import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Named, type Page, type Pipeline } from '../api';
import type { Lang } from '../create/dates';
import {
  BUILT_IN,
  type CustomFieldDef,
  customFilter,
  DEAL_STATUSES,
  type Filter,
  fromInput,
  type Kind,
  LEAD_STATUSES,
  paramsOf,
  toInput,
} from './filters';

interface Props {
  kind: Kind;
  params: URLSearchParams;
  currency: string;
  customDefs: CustomFieldDef[];
  users: Named[];
  pipelines: Pipeline[];
  channels: Named[];
  /** Writes the filters into the URL: every parameter of the panel, '' removes one. */
  onApply: (values: Record<string, string>) => void;
}

/** The filters of a list, built in and custom, resolved with their labels. */
export function useFilters(kind: Kind, customDefs: CustomFieldDef[]): Filter[] {
  const { t, i18n } = useTranslation();
  const lang: Lang = i18n.language.startsWith('ru') ? 'ru' : 'en';
  const built = BUILT_IN[kind].map((b): Filter => {
    const label = t(`lists.filter.${b.label}`);
    if (b.type === 'days') return { type: 'days', from: b.param, to: b.to as string, label };
    if (b.type === 'amount' || b.type === 'number') return { type: b.type, min: b.param, max: b.to as string, label };
    if (b.type === 'choice') {
      const values = kind === 'deals' ? DEAL_STATUSES : LEAD_STATUSES;
      const words = kind === 'deals' ? 'dealStatus' : 'leadStatus';
      return { type: 'choice', param: b.param, label, options: values.map((v) => ({ value: v, label: t(`lists.${words}.${v}`) })) };
    }
    return { type: b.type as 'text', param: b.param, label };
  });
  return [...built, ...customDefs.map((d) => customFilter(d, lang))];
}

/** How many of the list's filters are set in the URL. */
export const activeCount = (filters: Filter[], params: URLSearchParams) =>
  filters.filter((f) => paramsOf(f).some((p) => (params.get(p) ?? '') !== '')).length;

const inputKind = (f: Filter) => (f.type === 'days' ? 'day' : f.type === 'amount' ? 'amount' : f.type === 'number' ? 'number' : 'plain');

/**
 * The filter form: one field (or a from–to pair) per filter, in a panel that stacks to one column
 * on a phone. Days are typed as дд.мм.гггг and amounts as `1 234 567,89`; a value that does not
 * read is marked at its field and nothing is applied until it is fixed.
 */
export function FilterPanel({ kind, params, currency, customDefs, users, pipelines, channels, onApply }: Props) {
  const { t, i18n } = useTranslation();
  const lang: Lang = i18n.language.startsWith('ru') ? 'ru' : 'en';
  const filters = useFilters(kind, customDefs);
  const id = useId();
  const initial = () => {
    const d: Record<string, string> = {};
    for (const f of filters) {
      const shown = f.type === 'days' ? 'day' : f.type === 'amount' ? 'amount' : 'plain';
      for (const p of paramsOf(f)) d[p] = toInput(shown, params.get(p) ?? '', lang, currency);
    }
    return d;
  };
  const [draft, setDraft] = useState<Record<string, string>>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const companies = useQuery({
    queryKey: ['company-options'],
    queryFn: () => api<Page<Named>>('/companies?limit=500&sort=name'),
    staleTime: 60_000,
    enabled: kind === 'deals' || kind === 'contacts',
  });
  const value = (p: string) => draft[p] ?? '';
  const put = (p: string, v: string) => setDraft((d) => ({ ...d, [p]: v }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const out: Record<string, string> = {};
    const bad: Record<string, string> = {};
    for (const f of filters) {
      for (const p of paramsOf(f)) {
        const r = fromInput(inputKind(f), value(p), lang, currency);
        if (r.ok) out[p] = r.value;
        else bad[p] = t(`lists.filterError.${r.error}`, { value: value(p) });
      }
    }
    setErrors(bad);
    if (Object.keys(bad).length === 0) onApply(out);
  };
  const reset = () => {
    const out: Record<string, string> = {};
    for (const f of filters) for (const p of paramsOf(f)) out[p] = '';
    setDraft(out);
    setErrors({});
    onApply(out);
  };
  const chosenPipeline = value('pipeline_id');
  const stageOptions = pipelines
    .filter((p) => !chosenPipeline || String(p.id) === chosenPipeline)
    .flatMap((p) => p.stages.map((s) => ({ value: String(s.id), label: pipelines.length > 1 ? `${p.name}: ${s.name}` : s.name })));
  const select = (f: Filter & { param: string }, options: { value: string; label: string }[], any: string) => (
    <select id={`${id}-${f.param}`} value={value(f.param)} onChange={(e) => put(f.param, e.target.value)}>
      <option value="">{any}</option>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
  const error = (p: string) =>
    errors[p] ? (
      <span className="error" id={`${id}-${p}-error`} role="alert">
        {errors[p]}
      </span>
    ) : null;
  const pair = (
    f: Filter,
    a: string,
    b: string,
    words: [string, string],
    placeholder: string,
    inputMode: 'numeric' | 'decimal' | 'text',
  ) => (
    <fieldset className="filter-range" key={a}>
      <legend className="filter-range-label">{f.label}</legend>
      {[a, b].map((p, i) => (
        <label key={p}>
          <span>{words[i]}</span>
          <input
            value={value(p)}
            onChange={(e) => put(p, e.target.value)}
            placeholder={placeholder}
            inputMode={inputMode}
            data-param={p}
            aria-invalid={errors[p] ? true : undefined}
            aria-describedby={errors[p] ? `${id}-${p}-error` : undefined}
          />
        </label>
      ))}
      {error(a)}
      {error(b)}
    </fieldset>
  );
  const field = (f: Filter) => {
    switch (f.type) {
      case 'days':
        return pair(f, f.from, f.to, [t('lists.from'), t('lists.to')], t('lists.dayPlaceholder'), 'numeric');
      case 'amount':
        return pair(f, f.min, f.max, [t('lists.min'), t('lists.max')], t('lists.amountPlaceholder'), 'decimal');
      case 'number':
        return pair(f, f.min, f.max, [t('lists.min'), t('lists.max')], '', 'decimal');
      default: {
        const control =
          f.type === 'choice' ? (
            select(f, f.options, t('lists.any'))
          ) : f.type === 'pipeline' ? (
            select(
              f,
              pipelines.map((p) => ({ value: String(p.id), label: p.name })),
              t('lists.anyF'),
            )
          ) : f.type === 'stage' ? (
            select(f, stageOptions, t('lists.any'))
          ) : f.type === 'owner' ? (
            select(
              f,
              users.map((u) => ({ value: String(u.id), label: u.name })),
              t('lists.any'),
            )
          ) : f.type === 'channel' ? (
            select(
              f,
              channels.map((c) => ({ value: String(c.id), label: c.name })),
              t('lists.any'),
            )
          ) : f.type === 'company' ? (
            select(
              f,
              (companies.data?.items ?? []).map((c) => ({ value: String(c.id), label: c.name })),
              t('lists.anyF'),
            )
          ) : (
            <input id={`${id}-${f.param}`} value={value(f.param)} onChange={(e) => put(f.param, e.target.value)} data-param={f.param} />
          );
        return (
          <div className="filter-field" key={f.param}>
            <label htmlFor={`${id}-${f.param}`}>{f.label}</label>
            {control}
          </div>
        );
      }
    }
  };
  const builtIn = filters.slice(0, BUILT_IN[kind].length);
  const custom = filters.slice(BUILT_IN[kind].length);
  return (
    <form className="filter-panel" onSubmit={submit} data-testid="filter-panel" aria-label={t('lists.filters')}>
      <div className="filter-grid">{builtIn.map(field)}</div>
      {custom.length > 0 && (
        <>
          <h2 className="filter-group">{t('lists.customFields')}</h2>
          <div className="filter-grid">{custom.map(field)}</div>
        </>
      )}
      <div className="filter-buttons">
        <button type="button" onClick={reset}>
          {t('lists.reset')}
        </button>
        <button type="submit" className="primary">
          {t('lists.apply')}
        </button>
      </div>
    </form>
  );
}
