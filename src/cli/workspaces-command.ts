import { listWorkspaces } from '../platform/workspaces.ts';
import { type DbOptions, withDb } from './cli-support.ts';

/** `voronka workspaces`: one line each — id, name, currency, time zone. */
export async function workspacesCommand(opts: DbOptions): Promise<void> {
  await withDb(opts, async (db) => {
    for (const w of await listWorkspaces(db)) process.stdout.write(`${w.workspace_id}\t${w.name}\t${w.currency}\t${w.timezone}\n`);
  });
}
