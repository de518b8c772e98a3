import { useQuery } from '@tanstack/react-query';
import { type Answer, ApiError, api } from '../../api';

export type Template = Answer<'/api/v1/task-templates/{id}', 'get'>;
export type Requirement = Answer<'/api/v1/stage-requirements/{id}', 'get'>;
export type Segment = Answer<'/api/v1/segments/{id}', 'get'>;
export type Preview = Answer<'/api/v1/playbook-preview', 'get'>;
export type DealField = Answer<'/api/v1/requirement-fields', 'get'>['items'][number];
export const TASK_TYPES = ['call', 'meeting', 'email', 'proposal', 'follow_up', 'document', 'other'] as const;

type Items<T> = { items: T[] };

/** The screen's own query keys: every write on it invalidates `['playbooks']`. */
export const KEY = ['playbooks'] as const;

export function useSegments() {
  return useQuery({
    queryKey: [...KEY, 'segments'],
    queryFn: () => api<Items<Segment>>('/segments?limit=500'),
  });
}

export function useDealFields() {
  return useQuery({ queryKey: [...KEY, 'fields'], queryFn: () => api<Items<DealField>>('/requirement-fields') });
}

export function useStageRequirements(stageId: number | null) {
  return useQuery({
    queryKey: [...KEY, 'requirements', stageId],
    queryFn: () => api<Items<Requirement>>(`/stage-requirements?stage_id=${stageId}&limit=500&sort=position`),
    enabled: stageId !== null,
  });
}

export function useTemplates(stageId: number | null) {
  return useQuery({
    queryKey: [...KEY, 'templates', stageId],
    queryFn: () => api<Items<Template>>(`/task-templates?stage_id=${stageId}&limit=500&sort=position`),
    enabled: stageId !== null,
  });
}

/** A refused write's messages by field ('' for one that names none). */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (err instanceof ApiError && err.fields.length) for (const f of err.fields) out[f.field] ??= f.message;
  else out[''] = err instanceof Error ? err.message : String(err);
  return out;
}

export const isConflict = (err: unknown) => err instanceof ApiError && err.status === 409;

/** The label of a deal field in the app's language. */
export const labelOf = (f: { label_ru: string; label_en: string }, lang: string) => (lang === 'en' ? f.label_en : f.label_ru);
