import { checkAccounts } from '../accounts/check-accounts.ts';
import { checkHistory } from '../history/check-history.ts';
import { checkMarketing } from '../marketing/check-marketing.ts';
import { systemClock } from '../platform/clock.ts';
import { inWorkspace } from '../platform/db/workspace-scope.ts';
import { listWorkspaces, resolveWorkspace } from '../platform/workspaces.ts';
import { type DbOptions, say, withDb } from './cli-support.ts';

/** `voronka check`: every derived copy against its source, per workspace; a problem exits 1. */
export async function checkCommand(opts: DbOptions & { workspace?: string }): Promise<void> {
  await withDb(opts, async (db) => {
    const all = opts.workspace ? [await resolveWorkspace(db, opts.workspace)] : await listWorkspaces(db);
    let bad = 0;
    for (const w of all) {
      const results = await inWorkspace(db, w.workspace_id, async (tx) => [
        ...(await checkHistory(tx, w.workspace_id)),
        ...(await checkMarketing(tx, w.workspace_id)),
        ...(await checkAccounts(tx, w.workspace_id, systemClock.now())),
      ]);
      for (const r of results) {
        bad += r.problems;
        const more = r.problems > r.examples.length ? ', …' : '';
        process.stdout.write(
          `${r.problems === 0 ? 'ok  ' : 'FAIL'}  ${w.name}: ${say(r.check, r.check_ru)}${r.problems ? ` — ${r.problems} (${r.examples.join(', ')}${more})` : ''}\n`,
        );
      }
    }
    if (bad > 0) process.exitCode = 1;
  });
}
