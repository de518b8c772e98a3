import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { systemClock } from '../platform/clock.ts';
import { AppError } from '../platform/errors.ts';
import { findWorkspace, resolveWorkspace } from '../platform/workspaces.ts';
import type { ConfigDoc } from '../process/config-doc.ts';
import { STANDARD_TEMPLATES, type StandardTemplate } from '../process/templates.ts';
import { createWorkspaceWithAdmin, newWorkspaceSchema } from '../setup/setup.ts';
import { deleteWorkspace, exportWorkspaceBundle, renameWorkspace } from '../setup/workspace-admin.ts';
import { type DbOptions, say, withDb } from './cli-support.ts';

export interface WorkspaceCreateOptions extends DbOptions {
  admin: string;
  adminName?: string;
  template?: string;
  currency?: string;
  timezone?: string;
  locale?: string;
  passwordStdin?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * `voronka workspace create NAME --admin EMAIL`: a workspace, its first admin and its standard, as
 * the setup page makes them. The admin's password comes from --password-stdin or
 * VORONKA_ADMIN_PASSWORD, else one is generated and printed once.
 */
export async function workspaceCreateCommand(name: string, opts: WorkspaceCreateOptions, standard?: ConfigDoc): Promise<void> {
  if (opts.template && !STANDARD_TEMPLATES.includes(opts.template as StandardTemplate)) {
    throw new AppError('VALIDATION_FAILED', {
      en: `unknown template "${opts.template}" (there are: ${STANDARD_TEMPLATES.join(', ')})`,
      ru: `нет шаблона «${opts.template}» (есть: ${STANDARD_TEMPLATES.join(', ')})`,
    });
  }
  const given = opts.passwordStdin ? await readStdin() : process.env.VORONKA_ADMIN_PASSWORD;
  const password = given || randomBytes(15).toString('base64url');
  const input = newWorkspaceSchema.parse({
    workspace: {
      name,
      ...(opts.currency ? { currency: opts.currency } : {}),
      ...(opts.timezone ? { timezone: opts.timezone } : {}),
      ...(opts.locale ? { locale: opts.locale } : {}),
    },
    admin: { name: opts.adminName ?? opts.admin.split('@')[0], email: opts.admin, password },
    ...(opts.template ? { template: opts.template } : {}),
  });
  await withDb(opts, async (db) => {
    const r = await createWorkspaceWithAdmin(db, input, systemClock.now(), { onlyIfEmpty: false, standard });
    const out = (en: string, ru: string) => process.stdout.write(`${say(en, ru)}\n`);
    const from = standard ? say('from the document', 'по документу') : say(`from template ${r.template}`, `по шаблону ${r.template}`);
    out(
      `Created workspace "${input.workspace.name}" (id ${r.workspaceId}, ${input.workspace.currency}, ${input.workspace.timezone}) ${from}.`,
      `Создано пространство «${input.workspace.name}» (id ${r.workspaceId}, ${input.workspace.currency}, ${input.workspace.timezone}) ${from}.`,
    );
    out(`  admin: ${input.admin.email}`, `  администратор: ${input.admin.email}`);
    if (!given) out(`  password (shown once): ${password}`, `  пароль (показан один раз): ${password}`);
  });
}

export async function workspaceRenameCommand(from: string, to: string, opts: DbOptions): Promise<void> {
  await withDb(opts, async (db) => {
    const ws = await resolveWorkspace(db, from);
    await renameWorkspace(db, ws, to);
    process.stdout.write(
      `${say(`Renamed "${ws.name}" to "${to.trim()}".`, `Пространство «${ws.name}» переименовано в «${to.trim()}».`)}\n`,
    );
  });
}

export async function workspaceDeleteCommand(name: string, opts: DbOptions & { confirm?: string }): Promise<void> {
  await withDb(opts, async (db) => {
    const ws = await findWorkspace(db, name);
    if (!ws) throw new AppError('NOT_FOUND', { en: `no workspace "${name}"`, ru: `нет пространства «${name}»` });
    const removed = await deleteWorkspace(db, ws, opts.confirm ?? '');
    const total = Object.values(removed).reduce((a, b) => a + b, 0);
    process.stdout.write(
      `${say(`Deleted workspace "${ws.name}" and ${total} rows:`, `Пространство «${ws.name}» удалено вместе со строками (${total}):`)}\n`,
    );
    for (const [t, n] of Object.entries(removed)) process.stdout.write(`  ${t}: ${n}\n`);
  });
}

export async function workspaceExportCommand(name: string, dir: string, opts: DbOptions & { pipeline?: string }): Promise<void> {
  await withDb(opts, async (db) => {
    const ws = await resolveWorkspace(db, name);
    const r = await exportWorkspaceBundle(db, ws, resolve(dir), opts.pipeline);
    process.stdout.write(
      `${say(
        `Wrote ${resolve(dir)}: pipeline "${r.pipeline}", ${r.deals} deals, ${r.stage_entries} stage entries (bin/voronka import reads it back).`,
        `Записано в ${resolve(dir)}: воронка «${r.pipeline}», сделок ${r.deals}, переходов ${r.stage_entries} (bin/voronka import читает это обратно).`,
      )}\n`,
    );
  });
}
