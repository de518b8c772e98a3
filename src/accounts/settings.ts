import sql from 'sql-template-tag';
import { z } from 'zod';
import { audit } from '../platform/audit.ts';
import type { Queryable } from '../platform/db/types.ts';
import { versionConflict } from '../platform/errors.ts';
import { syncRenewalTasks } from './renewal-tasks.ts';

/** The workspace's account settings: gross margin for LTV (kpi.md, default 1) and the renewal notice in business days (default 30). */
export const accountSettingsSchema = z.object({
  gross_margin: z.number().gt(0).max(1).describe('A fraction in (0, 1]: LTV = MRR per account × gross margin / monthly churn'),
  renewal_notice_days: z.number().int().min(0).max(250).describe('Business days before a contract’s end its renewal task falls due'),
  version: z.number().int(),
});
export type AccountSettings = z.infer<typeof accountSettingsSchema>;

export async function readAccountSettings(tx: Queryable, ws: number): Promise<AccountSettings> {
  const [w] = await tx.query<AccountSettings>(
    sql`select gross_margin, renewal_notice_days, version from workspaces where workspace_id = ${ws}`,
  );
  return { gross_margin: Number(w.gross_margin), renewal_notice_days: Number(w.renewal_notice_days), version: Number(w.version) };
}

export async function saveAccountSettings(
  tx: Queryable,
  ws: number,
  input: Partial<Omit<AccountSettings, 'version'>> & { version: number },
  by: { userId: number | null; at: Date },
): Promise<AccountSettings> {
  await tx.query(sql`select 1 from workspaces where workspace_id = ${ws} for update`);
  const cur = await readAccountSettings(tx, ws);
  if (cur.version !== input.version)
    throw versionConflict({ en: 'workspace settings', ru: 'настройки пространства' }, ws, cur.version, input.version);
  const next = {
    gross_margin: input.gross_margin ?? cur.gross_margin,
    renewal_notice_days: input.renewal_notice_days ?? cur.renewal_notice_days,
  };
  if (next.gross_margin === cur.gross_margin && next.renewal_notice_days === cur.renewal_notice_days) return cur;
  await tx.query(sql`update workspaces set gross_margin = ${next.gross_margin}, renewal_notice_days = ${next.renewal_notice_days},
                            version = version + 1 where workspace_id = ${ws}`);
  await audit(tx, {
    workspaceId: ws,
    userId: by.userId,
    entity: 'workspaces',
    entityId: ws,
    action: 'update',
    at: by.at,
    changes: {
      ...(next.gross_margin !== cur.gross_margin ? { gross_margin: { from: cur.gross_margin, to: next.gross_margin } } : {}),
      ...(next.renewal_notice_days !== cur.renewal_notice_days
        ? { renewal_notice_days: { from: cur.renewal_notice_days, to: next.renewal_notice_days } }
        : {}),
    },
    version: cur.version + 1,
  });
  if (next.renewal_notice_days !== cur.renewal_notice_days) {
    const open = await tx.query<{ id: number }>(
      sql`select distinct contract_id as id from tasks where workspace_id = ${ws} and contract_id is not null and status = 'open'`,
    );
    if (open.length) await syncRenewalTasks(tx, ws, by.at, { contractIds: open.map((r) => Number(r.id)) });
  }
  return readAccountSettings(tx, ws);
}
