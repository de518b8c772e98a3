import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sql from 'sql-template-tag';
import { csvData } from '../platform/csv-export.ts';
import type { Db, Queryable } from '../platform/db/types.ts';
import { scopeTo } from '../platform/db/workspace-scope.ts';
import { AppError, fieldIssue, validationError } from '../platform/errors.ts';
import { minorToDecimal } from '../platform/money.ts';
import { findWorkspace, type WorkspaceRow } from '../platform/workspaces.ts';

/** `workspace rename OLD NEW`: the name is unique (whatever the case); the id, and so every row, stays. */
export async function renameWorkspace(db: Db, ws: WorkspaceRow, name: string): Promise<void> {
  const next = name.trim();
  if (!next) throw validationError([fieldIssue('name', 'a workspace needs a name', 'у пространства должно быть имя', 'required')]);
  await db.transaction(async (tx) => {
    const taken = await findWorkspace(tx, next);
    if (taken && taken.workspace_id !== ws.workspace_id) {
      throw validationError([fieldIssue('name', `a workspace named "${next}" already exists`, `пространство «${next}» уже есть`, 'taken')]);
    }
    await scopeTo(tx, ws.workspace_id);
    await tx.query(sql`update workspaces set name = ${next} where workspace_id = ${ws.workspace_id}`);
  });
}

/**
 * The workspace's rows, table by table, children before the tables they reference, so no delete
 * trips a foreign key. Read from the catalogue: a table a later migration adds is covered without
 * this code knowing it. Where references go round (a lead names its deal, the deal its lead), the
 * nullable side is cleared first.
 */
async function purgeWorkspaceRows(tx: Queryable, ws: number): Promise<Record<string, number>> {
  const tables = (
    await tx.query<{ t: string }>(sql`
      select c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = current_schema() and c.relkind in ('r', 'p') and c.relname <> 'workspaces'
         and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'workspace_id' and not a.attisdropped)`)
  ).map((r) => r.t);
  let edges = await tx.query<{ child: string; parent: string; cols: string[]; nullable: boolean }>(sql`
    select ch.relname as child, pa.relname as parent,
           array(select a.attname::text from unnest(k.conkey) c join pg_attribute a on a.attrelid = k.conrelid and a.attnum = c
                  where a.attname <> 'workspace_id' order by a.attname) as cols,
           not exists (select 1 from unnest(k.conkey) c join pg_attribute a on a.attrelid = k.conrelid and a.attnum = c
                        where a.attname <> 'workspace_id' and a.attnotnull) as nullable
      from pg_constraint k join pg_class ch on ch.oid = k.conrelid join pg_class pa on pa.oid = k.confrelid
     where k.contype = 'f' and ch.oid <> pa.oid`);
  const removed: Record<string, number> = {};
  const pending = new Set(tables);
  while (pending.size > 0) {
    // A table goes once no pending table references it.
    const next = [...pending].filter((t) => !edges.some((e) => e.parent === t && pending.has(e.child)));
    if (next.length === 0) {
      const breakable = edges.filter((e) => pending.has(e.child) && pending.has(e.parent) && e.nullable && e.cols.length > 0);
      if (breakable.length === 0) throw new Error(`workspace delete: a cycle of foreign keys among ${[...pending].join(', ')}`);
      for (const e of breakable) {
        await tx.query(`update ${e.child} set ${e.cols.map((c) => `${c} = null`).join(', ')} where workspace_id = $1`, [ws]);
      }
      edges = edges.filter((e) => !breakable.includes(e));
      continue;
    }
    for (const t of next.sort()) {
      const rows = await tx.query<{ n: number }>(
        `with d as (delete from ${t} where workspace_id = $1 returning 1) select count(*)::int as n from d`,
        [ws],
      );
      if (rows[0].n > 0) removed[t] = rows[0].n;
      pending.delete(t);
    }
  }
  return removed;
}

/**
 * `workspace delete NAME --confirm NAME`: every row of the workspace, in every table, and the
 * workspace itself, in one transaction (the stage history too, which is otherwise append-only).
 * Returns the rows removed per table. Other workspaces are not touched.
 */
export async function deleteWorkspace(db: Db, ws: WorkspaceRow, confirm: string): Promise<Record<string, number>> {
  if (confirm.trim().toLowerCase() !== ws.name.toLowerCase()) {
    throw new AppError('VALIDATION_FAILED', {
      en: `to delete workspace "${ws.name}", repeat its name: --confirm "${ws.name}"`,
      ru: `чтобы удалить пространство «${ws.name}», повторите его имя: --confirm "${ws.name}"`,
    });
  }
  return db.transaction(async (tx) => {
    await scopeTo(tx, ws.workspace_id);
    await tx.query(sql`select set_config('voronka.allow_history_purge', 'on', true)`);
    const removed = await purgeWorkspaceRows(tx, ws.workspace_id);
    await tx.query(sql`delete from workspaces where workspace_id = ${ws.workspace_id}`);
    return removed;
  });
}

/**
 * `workspace export NAME DIR [--pipeline P]`: a pipeline's deals and their whole stage history as
 * the canonical bundle (pipeline.json, deals.csv, stage_events.csv) that `import` reads back — the
 * same deals, amounts and history. deal_id is the deal's external id where it came from an import,
 * else its id here.
 */
export async function exportWorkspaceBundle(
  db: Db,
  ws: WorkspaceRow,
  dir: string,
  pipeline?: string,
): Promise<{ pipeline: string; deals: number; stage_entries: number }> {
  return db.transaction(async (tx) => {
    await scopeTo(tx, ws.workspace_id);
    const [p] = await tx.query<{ id: number; name: string }>(
      pipeline
        ? sql`select id, name from pipelines where workspace_id = ${ws.workspace_id} and (lower(name) = lower(${pipeline}) or id::text = ${pipeline})`
        : sql`select id, name from pipelines where workspace_id = ${ws.workspace_id} order by position, id limit 1`,
    );
    if (!p) {
      throw new AppError('NOT_FOUND', {
        en: pipeline ? `no pipeline "${pipeline}" in workspace "${ws.name}"` : `workspace "${ws.name}" has no pipeline`,
        ru: pipeline ? `в пространстве «${ws.name}» нет воронки «${pipeline}»` : `в пространстве «${ws.name}» нет ни одной воронки`,
      });
    }
    const stages = await tx.query<{ name: string; kind: string }>(
      sql`select name, kind from stages where workspace_id = ${ws.workspace_id} and pipeline_id = ${p.id} order by position`,
    );
    const deals = await tx.query<{
      deal_id: string;
      title: string | null;
      company: string | null;
      owner: string | null;
      segment: string | null;
      channel: string | null;
      region: string | null;
      amount_minor: string;
      created_at: Date;
    }>(sql`
      select coalesce(d.external_id, d.id::text) as deal_id, d.title, c.name as company, u.name as owner, s.name as segment,
             ch.name as channel, d.region, d.amount_minor::text as amount_minor, d.created_at
        from deals d
        left join companies c on c.id = d.company_id
        left join users u on u.id = d.owner_id
        left join segments s on s.id = d.segment_id
        left join channels ch on ch.id = d.channel_id
       where d.workspace_id = ${ws.workspace_id} and d.pipeline_id = ${p.id}
       order by d.id`);
    const events = await tx.query<{ deal_id: string; stage: string; entered_at: Date }>(sql`
      select coalesce(d.external_id, d.id::text) as deal_id, st.name as stage, e.entered_at
        from stage_events e join deals d on d.id = e.deal_id join stages st on st.id = e.stage_id
       where e.workspace_id = ${ws.workspace_id} and d.pipeline_id = ${p.id}
       order by d.id, e.entered_at, e.id`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'pipeline.json'),
      `${JSON.stringify({ name: p.name, currency: ws.currency, timezone: ws.timezone, stages }, null, 2)}\n`,
    );
    // A data file for import, not a sheet for people: UTF-8, commas, values as they are.
    const csv = (header: string[], rows: (string | null)[][]) => csvData(rows, header);
    writeFileSync(
      join(dir, 'deals.csv'),
      csv(
        ['deal_id', 'title', 'company', 'owner', 'segment', 'channel', 'region', 'amount', 'created_at'],
        deals.map((d) => [
          d.deal_id,
          d.title,
          d.company,
          d.owner,
          d.segment,
          d.channel,
          d.region,
          minorToDecimal(Number(d.amount_minor), ws.currency),
          d.created_at.toISOString(),
        ]),
      ),
    );
    writeFileSync(
      join(dir, 'stage_events.csv'),
      csv(
        ['deal_id', 'stage', 'entered_at'],
        events.map((e) => [e.deal_id, e.stage, e.entered_at.toISOString()]),
      ),
    );
    return { pipeline: p.name, deals: deals.length, stage_entries: events.length };
  });
}
