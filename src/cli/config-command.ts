import { readFileSync, writeFileSync } from 'node:fs';
import { systemClock } from '../platform/clock.ts';
import { findWorkspace } from '../platform/workspaces.ts';
import { exportConfig, importConfig, parseConfigDoc } from '../process/config-doc.ts';
import { type DbOptions, inNamedWorkspace, say, withDb } from './cli-support.ts';
import { type WorkspaceCreateOptions, workspaceCreateCommand } from './workspace-command.ts';

/** `voronka config export`: the sales standard as JSON, to stdout or a file. */
export async function configExportCommand(opts: DbOptions & { workspace?: string; out?: string }): Promise<void> {
  const doc = await inNamedWorkspace(opts, (tx, ws) => exportConfig(tx, ws));
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  if (opts.out) writeFileSync(opts.out, text);
  else process.stdout.write(text);
}

/**
 * `voronka config import FILE`: validated first, applied in one transaction. With `--create` a
 * workspace of that name that does not exist yet is made, with its first admin, from the document.
 */
export async function configImportCommand(
  file: string,
  opts: DbOptions & { workspace?: string; create?: boolean } & Partial<WorkspaceCreateOptions>,
): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new Error(say(`${file}: not valid JSON: ${(e as Error).message}`, `${file}: некорректный JSON: ${(e as Error).message}`));
  }
  const doc = parseConfigDoc(json);
  if (opts.create) {
    if (!opts.workspace || !opts.admin)
      throw new Error(say('--create needs --workspace NAME and --admin EMAIL', '--create требует --workspace ИМЯ и --admin EMAIL'));
    const exists = await withDb(opts, (db) => findWorkspace(db, opts.workspace as string));
    if (!exists) return workspaceCreateCommand(opts.workspace, { ...opts, admin: opts.admin }, doc);
  }
  const r = await inNamedWorkspace(opts, (tx, ws) => importConfig(tx, ws, doc, systemClock.now()));
  for (const [k, v] of Object.entries(r)) process.stdout.write(`  ${k.padEnd(22)} ${v}\n`);
}
