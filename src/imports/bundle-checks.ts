import sql from 'sql-template-tag';
import type { Queryable } from '../platform/db/types.ts';
import type { ImportReport } from './bundle-format.ts';
import type { StagedBundle } from './bundle-stage.ts';
import { rowError } from './import-errors.ts';

/**
 * Cross-row checks over the staged rows (imp_deals, imp_events), in this order:
 * conflicting repeats, orphan entries, deals without entries, then — once the
 * bundle is mapped to the deals already imported (imp_map) — history rewrites.
 * Identical repeats and entries already in the history are dropped and counted.
 * The first failed check stops the import.
 */
export async function checkStaged(tx: Queryable, ws: number, report: ImportReport, files: StagedBundle): Promise<void> {
  await tx.exec(`
    create index on imp_deals (deal_id, line);
    create index on imp_events (deal_id);
    analyze imp_deals; analyze imp_events;`);
  await refuseConflictingRepeats(tx, files);
  report.identical_duplicate_deal_rows = await tx.run(
    sql`delete from imp_deals a using imp_deals b where a.deal_id = b.deal_id and a.line > b.line`,
  );
  await refuseOrphanEntries(tx, ws, files);
  await refuseDealsWithoutEntries(tx, ws, files);
  report.identical_duplicate_stage_rows = await tx.run(
    sql`delete from imp_events a using imp_events b
         where a.deal_id = b.deal_id and a.stage_id = b.stage_id and a.entered_at = b.entered_at and a.line > b.line`,
  );
  await mapToExistingDeals(tx);
  report.stage_entries_already_present = await tx.run(sql`
    delete from imp_events e using imp_map m, stage_events s
     where m.deal_id = e.deal_id and m.existing_id is not null
       and s.workspace_id = ${ws} and s.deal_id = m.existing_id and s.stage_id = e.stage_id and s.entered_at = e.entered_at`);
  await refuseHistoryRewrites(tx, ws, files);
}

async function firstRow<T>(tx: Queryable, q: ReturnType<typeof sql>): Promise<T | undefined> {
  const rows = await tx.query<T>(q);
  return rows[0];
}

/** The same deal_id twice with different data is ambiguous: stop. (Identical repeats are merged.) */
async function refuseConflictingRepeats(tx: Queryable, files: StagedBundle) {
  const conflict = await firstRow<{ deal_id: string; a: number; b: number }>(
    tx,
    sql`select a.deal_id, a.line as a, b.line as b from imp_deals a join imp_deals b on b.deal_id = a.deal_id and b.line > a.line
         where (a.title, a.company, a.owner, a.segment, a.channel, a.region, a.amount_minor, a.created_at)
               is distinct from (b.title, b.company, b.owner, b.segment, b.channel, b.region, b.amount_minor, b.created_at)
         order by b.line limit 1`,
  );
  if (!conflict) return;
  throw rowError({
    file: 'deals.csv',
    line: await files.deals.lineOf(conflict.b),
    column: 'deal_id',
    value: conflict.deal_id,
    reason: {
      en: `deal_id repeats line ${await files.deals.lineOf(conflict.a)} with different data`,
      ru: `deal_id повторяет строку ${await files.deals.lineOf(conflict.a)} с другими данными`,
    },
  });
}

/** Every stage entry belongs to a deal of the bundle or one already imported. */
async function refuseOrphanEntries(tx: Queryable, ws: number, files: StagedBundle) {
  const orphan = await firstRow<{ line: number; deal_id: string }>(
    tx,
    sql`select e.line, e.deal_id from imp_events e
         where not exists (select 1 from imp_deals d where d.deal_id = e.deal_id)
           and not exists (select 1 from deals x where x.workspace_id = ${ws} and x.external_id = e.deal_id)
         order by e.line limit 1`,
  );
  if (!orphan) return;
  throw rowError({
    file: 'stage_events.csv',
    line: await files.events.lineOf(orphan.line),
    column: 'deal_id',
    value: orphan.deal_id,
    reason: { en: 'no such deal in deals.csv', ru: 'такой сделки нет в deals.csv' },
  });
}

/** Every new deal has at least one stage entry: the first one is its creation. */
async function refuseDealsWithoutEntries(tx: Queryable, ws: number, files: StagedBundle) {
  const bare = await firstRow<{ line: number; deal_id: string }>(
    tx,
    sql`select d.line, d.deal_id from imp_deals d
         where not exists (select 1 from imp_events e where e.deal_id = d.deal_id)
           and not exists (select 1 from deals x where x.workspace_id = ${ws} and x.external_id = d.deal_id)
         order by d.line limit 1`,
  );
  if (!bare) return;
  throw rowError({
    file: 'deals.csv',
    line: await files.deals.lineOf(bare.line),
    column: 'deal_id',
    value: bare.deal_id,
    reason: { en: 'the deal has no row in stage_events.csv', ru: 'у сделки нет ни одной строки в stage_events.csv' },
  });
}

/** imp_map: each deal_id of the bundle (deals.csv or stage_events.csv) and the id of the deal already imported under it, if any. */
async function mapToExistingDeals(tx: Queryable) {
  await tx.exec(`
    create temp table imp_map on commit drop as
      select d.deal_id, x.id as existing_id from imp_deals d
        left join deals x on x.workspace_id = current_setting('voronka.workspace_id')::int8 and x.external_id = d.deal_id;
    create unique index on imp_map (deal_id);
    insert into imp_map (deal_id, existing_id)
      select distinct e.deal_id, x.id from imp_events e
        join deals x on x.workspace_id = current_setting('voronka.workspace_id')::int8 and x.external_id = e.deal_id
       where not exists (select 1 from imp_map m where m.deal_id = e.deal_id);
    analyze imp_map;`);
}

/** New entries of an existing deal may only extend its history, never rewrite the past. */
async function refuseHistoryRewrites(tx: Queryable, ws: number, files: StagedBundle) {
  const rewrite = await firstRow<{ line: number; deal_id: string; last: Date }>(
    tx,
    sql`select e.line, e.deal_id, x.stage_entered_at as last from imp_events e
          join imp_map m on m.deal_id = e.deal_id
          join deals x on x.workspace_id = ${ws} and x.id = m.existing_id
         where e.entered_at < x.stage_entered_at order by e.line limit 1`,
  );
  if (!rewrite) return;
  throw rowError({
    file: 'stage_events.csv',
    line: await files.events.lineOf(rewrite.line),
    column: 'entered_at',
    value: rewrite.deal_id,
    reason: {
      en: `the deal's history already runs to ${rewrite.last.toISOString()}; an earlier entry would rewrite it (history is append-only)`,
      ru: `история сделки уже доходит до ${rewrite.last.toISOString()}; более ранняя запись переписала бы её (история только дополняется)`,
    },
  });
}
