import sql from 'sql-template-tag';
import { z } from 'zod';
import { hashPassword } from '../platform/auth/secrets.ts';
import type { Db } from '../platform/db/types.ts';
import { scopeTo } from '../platform/db/workspace-scope.ts';
import { AppError, fieldIssue, validationError } from '../platform/errors.ts';
import { createWorkspace, findWorkspace } from '../platform/workspaces.ts';
import { type ConfigDoc, importConfig } from '../process/config-doc.ts';
import { createPipeline } from '../process/pipelines.ts';
import { STANDARD_TEMPLATES, type StandardTemplate, templateDoc } from '../process/templates.ts';

/** A new workspace and its first admin: the setup page's form, and `bin/voronka workspace create`. */
export const newWorkspaceSchema = z.strictObject({
  workspace: z.strictObject({
    name: z.string().trim().min(1).max(200),
    currency: z.string().trim().toUpperCase().default('RUB'),
    timezone: z.string().trim().default('Europe/Moscow'),
    locale: z.enum(['ru', 'en']).default('ru'),
  }),
  admin: z.strictObject({
    name: z.string().trim().min(1).max(200),
    email: z.email().max(320),
    password: z.string().min(1).max(200),
  }),
  template: z.enum(STANDARD_TEMPLATES).default('b2b-ru'),
});
export type NewWorkspace = z.infer<typeof newWorkspaceSchema>;

/** The pipeline an empty start gets, so the board and the "+" have somewhere to put a deal. */
const FIRST_PIPELINE = {
  ru: { name: 'Продажи', stages: ['Новая', 'В работе', 'Успешно', 'Не реализовано'] },
  en: { name: 'Sales', stages: ['New', 'In progress', 'Won', 'Lost'] },
};

/**
 * Creates a workspace, its first admin and its standard in one transaction. With `onlyIfEmpty`
 * (the setup page, which anyone who reaches the server may open) it is refused once any
 * workspace exists, under a lock, so two setups at once cannot both succeed. A name already taken,
 * an unknown currency or zone, or a weak password is a 400 naming the field.
 */
export async function createWorkspaceWithAdmin(
  db: Db,
  input: NewWorkspace,
  now: Date,
  opts: { onlyIfEmpty: boolean; standard?: ConfigDoc },
): Promise<{ workspaceId: number; userId: number; template: StandardTemplate | 'document' }> {
  // The password is judged and hashed before the transaction: argon2 takes a while, and the lock should not.
  let hash: string;
  try {
    hash = await hashPassword(input.admin.password, [input.admin.email, input.admin.name]);
  } catch (e) {
    if (e instanceof AppError && e.code === 'VALIDATION_FAILED') throw renameFields(e, 'admin.');
    throw e;
  }
  return db.transaction(async (tx) => {
    await tx.query(sql`select pg_advisory_xact_lock(7100001)`);
    if (opts.onlyIfEmpty) {
      const [n] = await tx.query<{ n: number }>(sql`select count(*)::int as n from workspaces`);
      if (n.n > 0) {
        throw new AppError('CONFLICT', {
          en: 'this server is already set up: sign in, or ask its admin for an invitation',
          ru: 'этот сервер уже настроен: войдите или попросите администратора пригласить вас',
        });
      }
    }
    if (await findWorkspace(tx, input.workspace.name)) {
      throw validationError([
        fieldIssue(
          'workspace.name',
          `a workspace named "${input.workspace.name}" already exists`,
          `пространство «${input.workspace.name}» уже есть`,
          'taken',
        ),
      ]);
    }
    let ws: number;
    try {
      ws = (await createWorkspace(tx, input.workspace, now)).workspace_id;
    } catch (e) {
      if (e instanceof AppError && e.code === 'VALIDATION_FAILED') throw renameFields(e, 'workspace.');
      throw e;
    }
    await scopeTo(tx, ws);
    const [user] = await tx.query<{ id: number }>(
      sql`insert into users (workspace_id, name, email, role, password_hash, locale, created_at, updated_at)
          values (${ws}, ${input.admin.name}, ${input.admin.email}, 'admin', ${hash}, ${input.workspace.locale}, ${now}, ${now})
          returning id`,
    );
    // A standard document given (`config import --create`) replaces the template.
    const template = opts.standard ? 'document' : input.template;
    const doc = opts.standard ?? templateDoc(input.template);
    if (doc) await importConfig(tx, ws, doc, now);
    else {
      const p = FIRST_PIPELINE[input.workspace.locale];
      await createPipeline(tx, ws, now, {
        name: p.name,
        stages: [
          { name: p.stages[0], kind: 'open' },
          { name: p.stages[1], kind: 'open' },
          { name: p.stages[2], kind: 'won' },
          { name: p.stages[3], kind: 'lost' },
        ],
      });
    }
    await tx.query(
      sql`insert into audit_log (workspace_id, at, user_id, entity, entity_id, action, changes)
          values (${ws}, ${now}, ${user.id}, 'workspaces', ${ws}, 'create', ${JSON.stringify({ template: { from: null, to: template } })})`,
    );
    return { workspaceId: ws, userId: user.id, template };
  });
}

/** The same validation error with each field under a prefix (`password` → `admin.password`), so a form puts it beside its field. */
function renameFields(e: AppError, prefix: string): AppError {
  const details = e.details as { fields?: { field: string }[] } | undefined;
  for (const f of details?.fields ?? []) if (!f.field.startsWith(prefix)) f.field = `${prefix}${f.field}`;
  return e;
}

/** Whether the server has no workspace yet (the web app then shows the setup page instead of the sign-in). */
export async function setupNeeded(db: Db): Promise<boolean> {
  const [n] = await db.query<{ n: number }>(sql`select count(*)::int as n from workspaces`);
  return n.n === 0;
}
