/**
 * Which filters each list offers and how a filter's value travels between the form and the URL.
 * The URL holds what the API takes (`created_at_from=2025-03-01`, `amount_minor_min=123456789`,
 * `custom.budget=yes`), so a link or a saved view is the list's query as it is; the form shows
 * and accepts what a person types: дд.мм.гггг and `1 234 567,89`. Pure: no React, no DOM.
 */
import { parseAmount } from '../../../src/platform/money';
import { formatDay, type Lang, parseDay } from '../create/dates';
import { minorToDecimal } from '../format';

export type Kind = 'deals' | 'companies' | 'contacts' | 'leads';
export const OBJECT: Record<Kind, 'deal' | 'company' | 'contact' | 'lead'> = {
  deals: 'deal',
  companies: 'company',
  contacts: 'contact',
  leads: 'lead',
};

/** A filter of a list: `param` is the API's (a range names its two ends). */
export type Filter =
  | { type: 'pipeline' | 'stage' | 'owner' | 'company' | 'channel'; param: string; label: string }
  | { type: 'choice'; param: string; label: string; options: { value: string; label: string }[] }
  | { type: 'text'; param: string; label: string }
  | { type: 'days'; from: string; to: string; label: string }
  | { type: 'amount'; min: string; max: string; label: string }
  | { type: 'number'; min: string; max: string; label: string };

export const DEAL_STATUSES = ['open', 'won', 'lost'] as const;
export const LEAD_STATUSES = ['new', 'working', 'qualified', 'disqualified', 'converted'] as const;

/** The built-in filters of each list, by label key under `lists.filter`. */
export const BUILT_IN: Record<Kind, { type: Filter['type']; param: string; to?: string; label: string }[]> = {
  deals: [
    { type: 'pipeline', param: 'pipeline_id', label: 'pipeline' },
    { type: 'stage', param: 'stage_id', label: 'stage' },
    { type: 'choice', param: 'status', label: 'status' },
    { type: 'owner', param: 'owner_id', label: 'owner' },
    { type: 'company', param: 'company_id', label: 'company' },
    { type: 'days', param: 'created_at_from', to: 'created_at_to', label: 'created' },
    { type: 'days', param: 'closed_at_from', to: 'closed_at_to', label: 'closed' },
    { type: 'amount', param: 'amount_minor_min', to: 'amount_minor_max', label: 'amount' },
  ],
  companies: [
    { type: 'text', param: 'city', label: 'city' },
    { type: 'text', param: 'industry', label: 'industry' },
    { type: 'owner', param: 'owner_id', label: 'owner' },
    { type: 'days', param: 'created_at_from', to: 'created_at_to', label: 'createdCompany' },
  ],
  contacts: [
    { type: 'company', param: 'company_id', label: 'company' },
    { type: 'owner', param: 'owner_id', label: 'owner' },
  ],
  leads: [
    { type: 'choice', param: 'status', label: 'status' },
    { type: 'channel', param: 'channel_id', label: 'channel' },
    { type: 'owner', param: 'owner_id', label: 'owner' },
    { type: 'number', param: 'fit_score_min', to: 'fit_score_max', label: 'fit' },
    { type: 'days', param: 'created_at_from', to: 'created_at_to', label: 'created' },
  ],
};

export interface CustomFieldDef {
  key: string;
  type: 'text' | 'number' | 'money' | 'date' | 'choice' | 'multi_choice' | 'user' | 'link';
  label_ru: string;
  label_en: string;
  choices: { value: string; label_ru: string; label_en: string }[];
}

/**
 * The filter of a custom field: a choice is one of (a multi-choice: has any of), a text or a link
 * contains, a user is one of the people, numbers, money and dates a range.
 */
export function customFilter(f: CustomFieldDef, lang: Lang): Filter {
  const label = lang === 'ru' ? f.label_ru : f.label_en;
  const p = `custom.${f.key}`;
  switch (f.type) {
    case 'choice':
    case 'multi_choice':
      return {
        type: 'choice',
        param: p,
        label,
        options: f.choices.map((c) => ({ value: c.value, label: lang === 'ru' ? c.label_ru : c.label_en })),
      };
    case 'text':
    case 'link':
      return { type: 'text', param: p, label };
    case 'user':
      return { type: 'owner', param: p, label };
    case 'date':
      return { type: 'days', from: `${p}.from`, to: `${p}.to`, label };
    case 'money':
      return { type: 'amount', min: `${p}.min`, max: `${p}.max`, label };
    case 'number':
      return { type: 'number', min: `${p}.min`, max: `${p}.max`, label };
  }
}

/** The URL parameters a filter writes. */
export const paramsOf = (f: Filter): string[] =>
  f.type === 'days' ? [f.from, f.to] : f.type === 'amount' || f.type === 'number' ? [f.min, f.max] : [f.param];

/** A URL value as the form shows it: a day as дд.мм.гггг, an amount in major units with a decimal comma. */
export function toInput(kind: 'day' | 'amount' | 'plain', value: string, lang: Lang, currency: string): string {
  if (value === '') return '';
  if (kind === 'day') {
    const d = parseDay(value, lang);
    return d ? formatDay(d, lang) : value;
  }
  if (kind === 'amount' && /^-?\d+$/.test(value)) {
    const s = minorToDecimal(Number(value), currency);
    return lang === 'ru' ? s.replace('.', ',') : s;
  }
  return value;
}

/** What a person typed → the URL's value, or an error key under `lists.filterError`. */
export function fromInput(
  kind: 'day' | 'amount' | 'plain' | 'number',
  text: string,
  lang: Lang,
  currency: string,
): { ok: true; value: string } | { ok: false; error: string } {
  const s = text.trim();
  if (s === '') return { ok: true, value: '' };
  if (kind === 'day') {
    const d = parseDay(s, lang);
    if (!d) return { ok: false, error: 'day' };
    return { ok: true, value: `${d.y}-${String(d.m).padStart(2, '0')}-${String(d.d).padStart(2, '0')}` };
  }
  if (kind === 'amount') {
    const p = parseAmount(s, currency, lang);
    return p.ok ? { ok: true, value: String(p.minor) } : { ok: false, error: 'amount' };
  }
  if (kind === 'number') {
    const n = s.replace(/\s/g, '').replace(',', '.');
    return /^-?\d+(\.\d+)?$/.test(n) ? { ok: true, value: n } : { ok: false, error: 'number' };
  }
  return { ok: true, value: s };
}
