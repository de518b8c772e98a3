import { takeEarly } from './early';
import i18n from './i18n';

export interface FieldError {
  field: string;
  message: string;
  code?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** JSON over fetch with the session cookie; errors become ApiError with the server's localised message. */
let dataChanged: (() => void) | null = null;
/** Called after every successful write, so no page shows figures from before it. */
export function onDataChanged(fn: () => void) {
  dataChanged = fn;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const early = (init.method ?? 'GET') === 'GET' && !init.signal ? takeEarly(path) : undefined;
  const res = await (early ??
    fetch(`/api/v1${path}`, {
      method: init.method ?? 'GET',
      credentials: 'same-origin',
      signal: init.signal,
      headers: {
        'accept-language': i18n.language,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    }));
  if (res.ok && (init.method ?? 'GET') !== 'GET' && !path.startsWith('/auth/')) dataChanged?.();
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(res.status, 'BAD_RESPONSE', i18n.t('errors.badResponse'));
  }
  if (!res.ok) {
    const e = (json as { error?: { code: string; message: string; fields?: FieldError[] } } | null)?.error;
    throw new ApiError(
      res.status,
      e?.code ?? 'HTTP_ERROR',
      e?.message ?? `HTTP ${res.status}`,
      e?.fields ?? [],
      (e ?? {}) as Record<string, unknown>,
    );
  }
  return json as T;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Me {
  user: { id: number; name: string; email: string | null; role: string; locale: 'ru' | 'en' | null };
  workspace: { id: number; name: string; currency: string; timezone: string; locale: 'ru' | 'en' };
}

export interface Deal {
  id: number;
  title: string;
  pipeline_id: number;
  stage_id: number;
  status: 'open' | 'won' | 'lost';
  stage_entered_at: string;
  amount_minor: number;
  currency: string;
  company_id: number | null;
  owner_id: number | null;
  segment_id: number | null;
  channel_id: number | null;
  region: string | null;
  created_at: string;
  closed_at: string | null;
  version: number;
  custom: Record<string, unknown>;
}

export interface Named {
  id: number;
  name: string;
}

export interface Pipeline {
  id: number;
  name: string;
  stages: { id: number; name: string; kind: 'open' | 'won' | 'lost'; position: number }[];
}

export interface Prefs {
  start_page: 'tasks' | 'board' | 'yesterday' | 'dashboard';
  menu: { key: PageKey; hidden: boolean }[];
  locale: 'ru' | 'en' | null;
}
export type PageKey = 'tasks' | 'board' | 'dashboard' | 'yesterday' | 'deals' | 'companies' | 'contacts' | 'leads' | 'review';

export interface Task {
  id: number;
  title: string;
  type: string;
  status: string;
  deal_id: number | null;
  owner_id: number | null;
  due_at: string | null;
  done_at: string | null;
  version: number;
}

export interface BoardCard {
  id: number;
  title: string;
  amount_minor: number;
  company: string | null;
  owner: string | null;
  owner_id: number | null;
  stage_entered_at: string;
  days_in_stage: number;
  stuck: boolean;
  atypical: boolean;
  version: number;
}
export interface BoardColumn {
  stage_id: number;
  name: string;
  kind: 'open' | 'won' | 'lost';
  count: number;
  amount_minor: number;
  weighted_minor: number | null;
  probability: number | null;
  deals: BoardCard[];
}
export interface Board {
  pipeline: { id: number; name: string };
  currency: string;
  as_of: string;
  columns: BoardColumn[];
}

export interface Missing {
  field: string;
  label_ru: string;
  label_en: string;
}

export interface FieldDef {
  key: string;
  label_ru: string;
  label_en: string;
  type: 'text' | 'number' | 'money' | 'date' | 'choice';
  choices: { value: string; label_ru: string; label_en: string }[];
}
export interface Block {
  id: number | null;
  name_ru: string;
  name_en: string;
  pinned: boolean;
  fields: FieldDef[];
}
export interface TimelineItem {
  kind: 'stage' | 'activity' | 'task_created' | 'task_done' | 'edit';
  at: string;
  title: string;
  detail: string | null;
  user: string | null;
  forced?: boolean;
}
export interface Names {
  company: string | null;
  contact: string | null;
  owner: string | null;
  segment: string | null;
  channel: string | null;
  lead: string | null;
}
export interface DealCardData {
  deal: Deal & { contact_id: number | null; atypical: boolean; atypical_reason: string | null };
  names: Names;
  pipeline: { id: number; name: string; stages: { id: number; name: string; kind: string; position: number }[] };
  stage: { id: number; name: string; kind: string; guidance_ru: string | null; guidance_en: string | null };
  requirements: { current: (Missing & { filled: boolean })[]; next: (Missing & { filled: boolean })[]; next_stage: string | null };
  blocks: Block[];
  tasks: {
    id: number;
    title: string;
    type: string;
    status: string;
    due_at: string | null;
    done_at: string | null;
    owner: string | null;
    version: number;
    playbook: boolean;
  }[];
  timeline: TimelineItem[];
}

export type Kpis = {
  deals_created: number;
  deals_won: number;
  deals_lost: number;
  won_amount: number;
  win_rate: number | null;
  cohort_win_rate: number | null;
  avg_won_amount: number | null;
  cycle_days: { mean: number | null; median: number | null; p90: number | null };
  stage_conversion: { stage: string; entered: number; advanced: number; lost: number; rate: number | null }[];
  stage_duration_days: { stage: string; n: number; median: number | null; p90: number | null }[];
  open_deals: number;
  open_amount: number;
  stage_win_probability: { stage: string; won: number; closed: number; raw: number | null; p: number | null }[];
  weighted_pipeline: number | null;
  velocity_per_day: number | null;
  stuck_deals: number;
};
export type FunnelReport = Kpis & { currency: string; period: { from: string; to: string }; as_of: string; time_zone: string };
export type FunnelGroups = { currency: string; groups: (Kpis & { key: string | null; key_id?: number | null })[]; total: Kpis };
export interface DisciplineKpis {
  tasks_due: number;
  tasks_on_time: number;
  on_time_rate: number | null;
  overdue_open: number;
  mean_delay_days: number | null;
  card_completeness: number | null;
  discipline_score: number | null;
}
export type DisciplineGroups = { groups: (DisciplineKpis & { key: string | null; key_id?: number | null })[]; total: DisciplineKpis };
