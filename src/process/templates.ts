import type { ConfigDoc } from './config-doc.ts';
import { B2B_STANDARD_RU } from './standard-b2b.ts';

/** The names the Russian standard gives, in English (segments, the pipeline, stages, calendar notes). */
const EN: Record<string, string> = {
  SMB: 'SMB',
  'Средний бизнес': 'Mid-market',
  Enterprise: 'Enterprise',
  Нетиповые: 'Atypical',
  'Продажи B2B': 'B2B sales',
  'Новый лид': 'New lead',
  Квалификация: 'Qualification',
  Встреча: 'Meeting',
  Демо: 'Demo',
  'КП отправлено': 'Proposal sent',
  Переговоры: 'Negotiation',
  Договор: 'Contract',
  'Успешно реализовано': 'Won',
  'Закрыто и не реализовано': 'Lost',
  'Новогодние каникулы': 'New Year holidays',
  'День защитника Отечества': 'Defender of the Fatherland Day',
  'Международный женский день': "International Women's Day",
  'Международный женский день (перенос)': "International Women's Day (moved)",
  'Праздник Весны и Труда': 'Spring and Labour Day',
  'День Победы': 'Victory Day',
  'Праздник Весны и Труда, День Победы (перенос)': 'Spring and Labour Day, Victory Day (moved)',
  'День России': 'Russia Day',
  'День народного единства': 'Unity Day',
  'Перенос рабочего дня': 'Working day moved',
};
const en = (s: string): string => {
  const v = EN[s];
  if (v === undefined) throw new Error(`standard-b2b: no English name for «${s}»`);
  return v;
};

/** The Russian standard with every name in English (the texts that have both languages keep both). */
function inEnglish(doc: ConfigDoc): ConfigDoc {
  return {
    ...doc,
    segments: doc.segments.map((s) => ({ ...s, name: en(s.name) })),
    pipelines: doc.pipelines.map((p) => ({
      ...p,
      name: en(p.name),
      stages: p.stages.map((st) => ({
        ...st,
        name: en(st.name),
        requirements: st.requirements.map((r) => ({ ...r, segments: r.segments?.map(en) ?? null })),
        playbook: st.playbook.map((t) => ({ ...t, segment: t.segment === null ? null : en(t.segment) })),
      })),
    })),
    calendar: doc.calendar.map((c) => ({ ...c, note: c.note ? en(c.note) : c.note })),
  };
}

/** What a new workspace may start from. */
export const STANDARD_TEMPLATES = ['b2b-ru', 'b2b-en', 'empty'] as const;
export type StandardTemplate = (typeof STANDARD_TEMPLATES)[number];

/**
 * The configuration document of a template: the standard B2B process (segments, qualification
 * fields, a pipeline of nine stages with guidance, requirements and playbooks, the Russian
 * production calendar) with Russian or English names, or none for an empty start (a workspace then
 * gets one pipeline of three stages to begin with: see setup).
 */
export function templateDoc(t: StandardTemplate): ConfigDoc | null {
  if (t === 'b2b-ru') return B2B_STANDARD_RU;
  if (t === 'b2b-en') return inEnglish(B2B_STANDARD_RU);
  return null;
}
