import type { TFunction } from 'i18next';
import type { Block } from '../api';
import { formatDay, type Lang, parseDay } from '../create/dates';
import { dateTime, minorDigits, money, num, toMajor } from '../format';

/**
 * Field names and values as a person reads them — on a card's history and in a stale edit's
 * message: «Сумма: 1 000 000 → 1 200 000 ₽», «Ответственный: Иван Петров → Анна Смирнова»
 * (references by name, not id), custom dates as дд.мм.гггг, money with its kopecks.
 */
export interface ChangeLike {
  field: string;
  from: unknown;
  to: unknown;
  from_name?: string | null;
  to_name?: string | null;
}

export interface Describer {
  t: TFunction;
  lang: Lang;
  currency: string;
  tz: string;
  blocks?: Block[];
}

const customDef = (d: Describer, key: string) => (d.blocks ?? []).flatMap((b) => b.fields).find((f) => f.key === key);

export function fieldLabel(d: Describer, field: string): string {
  if (field.startsWith('custom.')) {
    const f = customDef(d, field.slice(7));
    return f ? (d.lang === 'ru' ? f.label_ru : f.label_en) : field.slice(7);
  }
  return d.t(`cards.field.${field}`, { defaultValue: field.replace(/_/g, ' ') });
}

/** An ISO day (2027-01-08) as the language writes it (08.01.2027). */
export function showDay(v: string, lang: Lang): string {
  const p = parseDay(v.slice(0, 10), lang);
  return p ? formatDay(p, lang) : v;
}

/** One value of a field; `bare`: money without its currency sign (the left side of «1 000 000 → 1 200 000 ₽»). */
export function showValue(d: Describer, field: string, v: unknown, name?: string | null, bare = false): string {
  const none = d.t('cards.empty');
  if (v === null || v === undefined || v === '') return none;
  if (name) return name;
  if (field === 'amount_minor' && typeof v === 'number')
    return bare ? num(toMajor(v, d.currency), minorDigits(d.currency)) : money(v, d.currency);
  if (field === 'status' && typeof v === 'string')
    return d.t(`cards.leadStatus.${v}`, { defaultValue: d.t(`status.${v}`, { defaultValue: v }) });
  if (field === 'archived_at' && typeof v === 'string') return dateTime(v, d.tz);
  if (typeof v === 'boolean') return v ? d.t('cards.yes') : d.t('cards.no');
  if (field.startsWith('custom.')) {
    const f = customDef(d, field.slice(7));
    if (f?.type === 'money' && typeof v === 'number')
      return bare ? num(toMajor(v, d.currency), minorDigits(d.currency)) : money(v, d.currency);
    if (f?.type === 'date' && typeof v === 'string') return showDay(v, d.lang);
    if (f?.type === 'number' && typeof v === 'number') return num(v, 2);
    if (f?.type === 'choice') {
      const c = f.choices.find((x) => x.value === v);
      if (c) return d.lang === 'ru' ? c.label_ru : c.label_en;
    }
    if (f?.type === 'multi_choice' && Array.isArray(v)) {
      if (v.length === 0) return none;
      return v
        .map((x) => f.choices.find((c) => c.value === x))
        .map((c, i) => (c ? (d.lang === 'ru' ? c.label_ru : c.label_en) : String(v[i])))
        .join(', ');
    }
  }
  if (field.endsWith('_id') && typeof v === 'number') return `#${v}`;
  if (Array.isArray(v)) return v.join(', ');
  return String(v);
}

const isMoney = (d: Describer, field: string) =>
  field === 'amount_minor' || (field.startsWith('custom.') && customDef(d, field.slice(7))?.type === 'money');

/** «Сумма 1 000 000 → 1 200 000 ₽»: from → to. */
export function describeChange(d: Describer, c: ChangeLike): { label: string; from: string; to: string } {
  const money = isMoney(d, c.field) && typeof c.from === 'number' && typeof c.to === 'number';
  return {
    label: fieldLabel(d, c.field),
    from: showValue(d, c.field, c.from, c.from_name, money),
    to: showValue(d, c.field, c.to, c.to_name),
  };
}

/** Whether a Russian name reads as a woman's (Анна Смирнова) or a man's (Иван Петров), for «изменила / изменил». */
export function genderOf(name: string | null | undefined): 'female' | 'male' | undefined {
  if (!name) return undefined;
  const words = name.trim().split(/\s+/);
  const w = (words.length > 1 ? words[words.length - 1] : words[0]).toLowerCase();
  if (/(ова|ева|ёва|ина|ына|ская|цкая|ая)$/.test(w)) return 'female';
  if (/(ов|ев|ёв|ин|ын|ский|цкий|ой|ый|ий)$/.test(w)) return 'male';
  if (words.length > 1) {
    const first = words[0].toLowerCase();
    if (/[ая]$/.test(first) && !/^(никита|илья|кузьма|фома|лука|савва)$/.test(first)) return 'female';
    if (/[бвгджзклмнпрстфхцчшщй]$/.test(first)) return 'male';
  }
  return undefined;
}
