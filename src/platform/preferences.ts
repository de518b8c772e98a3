import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import type { AppContext } from './context.ts';
import type { Queryable } from './db/types.ts';
import { AppError } from './errors.ts';
import { ownMessage } from './http/validation.ts';
import { errorResponses, principalOf, scoped } from './resource/resource-routes.ts';
import { isTimeZone } from './time-zone.ts';

/** The pages of the web app a person can start on and put in the menu. */
export const PAGES = [
  'tasks',
  'board',
  'dashboard',
  'yesterday',
  'deals',
  'companies',
  'contacts',
  'leads',
  'marketing',
  'accounts',
  'review',
] as const;
export const START_PAGES = ['tasks', 'board', 'yesterday', 'dashboard', 'marketing', 'accounts'] as const;

const menuItem = z.strictObject({ key: z.enum(PAGES), hidden: z.boolean() });
export const uiPrefs = z.strictObject({
  start_page: z.enum(START_PAGES),
  menu: z
    .array(menuItem)
    .max(PAGES.length)
    .refine((m) => new Set(m.map((i) => i.key)).size === m.length, 'each page once'),
});
type UiPrefs = z.infer<typeof uiPrefs>;

/**
 * The columns a person shows on each list, in order: the list's own keys (`title`, `amount`, …) and
 * custom fields as `custom.<key>`. A person's own choice, kept with the preferences rather than in a
 * saved view (a view is a filter shared by query string; the columns follow the person to every
 * view of the list). Keys the list does not know are skipped by the web app, so a removed custom
 * field leaves no hole.
 */
const columnList = z
  .array(z.string().regex(/^(custom\.)?[a-z][a-z0-9_]{0,62}$/, 'a column key such as amount or custom.budget'))
  .max(60)
  .refine((a) => new Set(a).size === a.length, 'each column once');
export const listColumns = z.strictObject({
  deals: columnList.optional(),
  companies: columnList.optional(),
  contacts: columnList.optional(),
  leads: columnList.optional(),
});
type ListColumns = z.infer<typeof listColumns>;

export const DEFAULT_PREFS: UiPrefs = {
  start_page: 'tasks',
  menu: PAGES.map((key) => ({ key, hidden: key === 'review' })),
};

/** Stored menus are completed with pages added since, so nothing disappears silently. */
function complete(p: Partial<UiPrefs> | undefined, base: UiPrefs): UiPrefs {
  const menu = [...(p?.menu ?? base.menu)];
  for (const key of PAGES) if (!menu.some((m) => m.key === key)) menu.push({ key, hidden: false });
  return { start_page: p?.start_page ?? base.start_page, menu };
}

async function workspaceDefaults(tx: Queryable, ws: number): Promise<UiPrefs> {
  const [w] = await tx.query<{ settings: { ui?: Partial<UiPrefs> } }>(sql`select settings from workspaces where workspace_id = ${ws}`);
  return complete(w?.settings?.ui, DEFAULT_PREFS);
}

/** A person's own time zone: an IANA name; null (or absent) follows the workspace's. */
const timeZonePref = z
  .string()
  .max(64)
  .refine(
    isTimeZone,
    ownMessage({
      en: 'time_zone must be an IANA time zone such as Europe/Moscow or Asia/Novosibirsk',
      ru: 'часовой пояс — название IANA вроде Europe/Moscow или Asia/Novosibirsk',
    }),
  )
  .nullable();

type Stored = Partial<UiPrefs> & { time_zone?: string | null; list_columns?: ListColumns };
const withZone = (u: { preferences: Stored }) => ({
  time_zone: u.preferences.time_zone && isTimeZone(u.preferences.time_zone) ? u.preferences.time_zone : null,
});

export function registerPreferenceRoutes(app: FastifyInstance, ctx: AppContext) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const out = uiPrefs.extend({
    locale: z.enum(['ru', 'en']).nullable(),
    time_zone: z.string().nullable().describe("My own time zone (IANA); null: the workspace's"),
    list_columns: listColumns.describe('The columns I chose per list (absent: the list’s default)'),
  });
  const columnsOf = (p: Stored): ListColumns => listColumns.safeParse(p.list_columns ?? {}).data ?? {};
  zapp.get(
    '/api/v1/me/preferences',
    {
      schema: {
        tags: ['ui'],
        summary: 'My start page, menu, language and time zone (the workspace defaults where I set nothing)',
        response: { 200: out, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const [u] = await tx.query<{ preferences: Stored; locale: 'ru' | 'en' | null }>(
          sql`select preferences, locale from users where workspace_id = ${p.workspaceId} and id = ${p.userId}`,
        );
        return {
          ...complete(u.preferences, await workspaceDefaults(tx, p.workspaceId)),
          locale: u.locale,
          ...withZone(u),
          list_columns: columnsOf(u.preferences),
        };
      }),
  );
  zapp.patch(
    '/api/v1/me/preferences',
    {
      schema: {
        tags: ['ui'],
        summary: "Change my start page, menu (order and hidden items), language or time zone (null: the workspace's)",
        body: z.strictObject({
          start_page: z.enum(START_PAGES).optional(),
          menu: uiPrefs.shape.menu.optional(),
          locale: z.enum(['ru', 'en']).nullable().optional(),
          time_zone: timeZonePref.optional(),
          list_columns: listColumns.optional().describe('Columns of the lists named; a list left out keeps its columns'),
        }),
        response: { 200: out, ...errorResponses },
      },
    },
    async (req) =>
      scoped(ctx, req, async (tx, p) => {
        const { locale, list_columns, ...prefs } = req.body;
        await tx.query(sql`
          update users set preferences = preferences || ${JSON.stringify(prefs)}::jsonb
                             || jsonb_build_object('list_columns', coalesce(preferences -> 'list_columns', '{}'::jsonb) || ${JSON.stringify(list_columns ?? {})}::jsonb),
                           locale = case when ${locale !== undefined} then ${locale ?? null} else locale end, updated_at = ${ctx.clock.now()}
           where workspace_id = ${p.workspaceId} and id = ${p.userId}`);
        const [u] = await tx.query<{ preferences: Stored; locale: 'ru' | 'en' | null }>(
          sql`select preferences, locale from users where workspace_id = ${p.workspaceId} and id = ${p.userId}`,
        );
        return {
          ...complete(u.preferences, await workspaceDefaults(tx, p.workspaceId)),
          locale: u.locale,
          ...withZone(u),
          list_columns: columnsOf(u.preferences),
        };
      }),
  );
  zapp.get(
    '/api/v1/ui-defaults',
    { schema: { tags: ['ui'], summary: "The workspace's default start page and menu", response: { 200: uiPrefs, ...errorResponses } } },
    async (req) => scoped(ctx, req, (tx, p) => workspaceDefaults(tx, p.workspaceId)),
  );
  zapp.put(
    '/api/v1/ui-defaults',
    {
      schema: {
        tags: ['ui'],
        summary: "Set the workspace's default start page and menu; roll_out applies them to everyone now",
        body: uiPrefs.extend({ roll_out: z.boolean().default(false) }),
        response: { 200: uiPrefs.extend({ rolled_out_to: z.number().int() }), ...errorResponses },
      },
    },
    async (req) => {
      if (principalOf(req).role !== 'admin')
        throw new AppError('FORBIDDEN', { en: 'only an admin sets the defaults', ru: 'настройки по умолчанию задаёт администратор' });
      return scoped(ctx, req, async (tx, p) => {
        const { roll_out, ...prefs } = req.body;
        await tx.query(
          sql`update workspaces set settings = jsonb_set(settings, '{ui}', ${JSON.stringify(prefs)}::jsonb) where workspace_id = ${p.workspaceId}`,
        );
        const n = roll_out
          ? await tx.run(sql`update users set preferences = preferences - 'start_page' - 'menu' where workspace_id = ${p.workspaceId}`)
          : 0;
        return { ...complete(prefs, DEFAULT_PREFS), rolled_out_to: n };
      });
    },
  );
}
