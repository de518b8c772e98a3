import { takeEarly } from './early';
import type { ErrorBody, Paths } from './generated/api-types';
import i18n from './i18n';

/** One bad field of a refused request, as every error answer names it. */
export type FieldError = NonNullable<ErrorBody['error']['fields']>[number];

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
    const e = (json as Partial<ErrorBody> | null)?.error;
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

/** Files sent as multipart/form-data (the import screen, the spend upload): errors as `api` gives them. */
export async function apiUpload<T>(path: string, body: FormData): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'accept-language': i18n.language },
    body,
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    const e = json?.error;
    throw new ApiError(res.status, e?.code ?? 'HTTP_ERROR', e?.message ?? `HTTP ${res.status}`, e?.fields ?? [], e ?? {});
  }
  dataChanged?.();
  return json as T;
}

// The types below are the server's own contracts: web/src/generated/api-types.ts is generated
// from the OpenAPI document of its zod schemas (`npm run gen:api`; `npm test` fails when it is out
// of date), so a page cannot read a field the server does not send.

/** What a successful request answers (its 2xx response), by path and method as the OpenAPI document names them. */
export type Answer<P extends keyof Paths, M extends keyof Paths[P]> = Paths[P][M] extends { responses: infer R }
  ? R[Extract<keyof R, '200' | '201' | '204'>]
  : never;
/** The JSON body a request sends. */
export type RequestBody<P extends keyof Paths, M extends keyof Paths[P]> = Paths[P][M] extends { body: infer B } ? B : never;
type Item<L> = L extends { items: (infer T)[] } ? T : never;

/** A page of a list: its rows and the cursor of the next page (null on the last). */
export type Page<T> = Omit<Answer<'/api/v1/deals', 'get'>, 'items'> & { items: T[] };

export type Me = Answer<'/api/v1/auth/me', 'get'>;
export type Deal = Answer<'/api/v1/deals/{id}', 'get'>;
export type Task = Answer<'/api/v1/tasks/{id}', 'get'>;
/** Any record with a name (users, companies, segments, channels …), as lookups show it. */
export type Named = Pick<Answer<'/api/v1/segments/{id}', 'get'>, 'id' | 'name'>;
export type Pipeline = Item<Answer<'/api/v1/pipelines', 'get'>>;

export type Prefs = Answer<'/api/v1/me/preferences', 'get'>;
export type PageKey = Prefs['menu'][number]['key'];

export type Board = Answer<'/api/v1/board', 'get'>;
export type BoardColumn = Board['columns'][number];
export type BoardCard = BoardColumn['deals'][number];

export type DealCardData = Answer<'/api/v1/deals/{id}/card', 'get'>;
export type Block = DealCardData['blocks'][number];
export type FieldDef = Block['fields'][number];
export type TimelineItem = DealCardData['timeline'][number];
export type Names = DealCardData['names'];
/**
 * A field a stage requires: the card lists them (with `filled`), and a refused move names the
 * missing ones in its error's `missing` (error details are not typed by the document).
 */
export type Missing = Omit<DealCardData['requirements']['current'][number], 'filled'>;
/** Company, contact and lead cards. */
export type RecordCard =
  | Answer<'/api/v1/companies/{id}/card', 'get'>
  | Answer<'/api/v1/contacts/{id}/card', 'get'>
  | Answer<'/api/v1/leads/{id}/card', 'get'>;
export type ReviewQueue = Answer<'/api/v1/review-queue', 'get'>;

type FunnelAnswer = Answer<'/api/v1/reports/funnel', 'get'>;
/** The funnel report without a breakdown. */
export type FunnelReport = Exclude<FunnelAnswer, { groups: unknown }>;
/** The funnel report broken down (`by`): a group per key and the total. */
export type FunnelGroups = Extract<FunnelAnswer, { groups: unknown }>;
/** The funnel's figures, as the total of a breakdown holds them. */
export type Kpis = FunnelGroups['total'];
/** The deals behind a figure. */
export type FunnelDeals = Answer<'/api/v1/reports/funnel/deals', 'get'>;

type DisciplineAnswer = Answer<'/api/v1/reports/discipline', 'get'>;
export type DisciplineGroups = Extract<DisciplineAnswer, { groups: unknown }>;
export type DisciplineKpis = DisciplineGroups['total'];
/** The tasks behind a discipline figure (overdue, due, on time). */
export type DisciplineTasks = Answer<'/api/v1/reports/discipline/tasks', 'get'>;
export type Activity = Answer<'/api/v1/activities/{id}', 'get'>;
/** The stage entries behind card completeness. */
export type DisciplineEntries = Answer<'/api/v1/reports/discipline/entries', 'get'>;
