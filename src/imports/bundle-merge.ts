import sql from 'sql-template-tag';
import { refreshDealsIn, syncVisitAttributesIn } from '../history/stage-history.ts';
import { analyzeChanged } from '../platform/db/maintenance.ts';
import type { Queryable } from '../platform/db/types.ts';
import type { ImportReport } from './bundle-format.ts';

/**
 * The merge of a checked bundle (imp_deals, imp_events, imp_map) into the real
 * tables: names found or created, changed deals updated, new deals inserted, new
 * entries appended, and visits and current state rebuilt for the deals touched.
 * Every time it writes is `now`, the injected clock's instant.
 */
export interface MergeTarget {
  ws: number;
  pipelineId: number;
  now: Date;
}

export async function mergeStaged(tx: Queryable, t: MergeTarget, report: ImportReport): Promise<void> {
  await ensureReferenceData(tx, t, report);
  await resolveDeals(tx);
  // The updated deals are kept: their visits carry copies of these attributes (appendEntries).
  await tx.exec('create temp table imp_updated (deal_id int8 primary key) on commit drop');
  await updateChangedDeals(tx, t, report);
  await insertNewDeals(tx, t, report);
  await appendEntries(tx, t, report);
  const [{ n: differs }] = await tx.query<{ n: number }>(sql`
    select count(*)::int8 as n from imp_resolved r join deals x on x.workspace_id = ${t.ws} and x.external_id = r.deal_id
     where x.created_at <> r.created_at`);
  report.created_at_differs_from_first_entry = differs;
}

/** Owners, segments, channels, companies found by name or created. */
async function ensureReferenceData(tx: Queryable, { ws, now }: MergeTarget, report: ImportReport) {
  report.new_owners = await ensureNamed(
    tx,
    ws,
    'owner',
    'users',
    sql`insert into users (workspace_id, name, role, created_at, updated_at) select ${ws}, n, 'manager', ${now}, ${now} from new_names`,
  );
  report.new_segments = await ensureNamed(
    tx,
    ws,
    'segment',
    'segments',
    sql`insert into segments (workspace_id, name, created_at, updated_at) select ${ws}, n, ${now}, ${now} from new_names`,
  );
  report.new_channels = await ensureNamed(
    tx,
    ws,
    'channel',
    'channels',
    sql`insert into channels (workspace_id, name, created_at, updated_at) select ${ws}, n, ${now}, ${now} from new_names`,
  );
  report.new_companies = (
    await ensureNamed(
      tx,
      ws,
      'company',
      'companies',
      sql`insert into companies (workspace_id, name, created_at, updated_at) select ${ws}, n, ${now}, ${now} from new_names`,
    )
  ).length;
}

/** Finds names of one kind used by the bundle that do not exist yet, creates them, and returns them. */
async function ensureNamed(
  tx: Queryable,
  ws: number,
  column: 'owner' | 'segment' | 'channel' | 'company',
  table: string,
  insert: ReturnType<typeof sql>,
): Promise<string[]> {
  await tx.exec(`drop table if exists new_names; create temp table new_names (n text) on commit drop;`);
  await tx.query(
    sql(
      [
        `insert into new_names select distinct on (lower(d.${column})) d.${column} from imp_deals d
           where d.${column} is not null
             and not exists (select 1 from ${table} t where t.workspace_id = `,
        ` and lower(t.name) = lower(d.${column}))
           order by lower(d.${column}), d.line`,
      ],
      ws,
    ),
  );
  const names = (await tx.query<{ n: string }>('select n from new_names order by n')).map((r) => r.n);
  if (names.length > 0) await tx.query(insert);
  return names;
}

/** imp_resolved: each deal of the bundle with the ids of its names and of the deal it updates, if any. */
async function resolveDeals(tx: Queryable) {
  await tx.exec(`
    create temp table imp_resolved on commit drop as
    with ws as (select current_setting('voronka.workspace_id')::int8 as id),
         u as (select distinct on (lower(name)) lower(name) as k, id from users where workspace_id = (select id from ws) order by lower(name), id),
         sg as (select lower(name) as k, id from segments where workspace_id = (select id from ws)),
         ch as (select lower(name) as k, id from channels where workspace_id = (select id from ws)),
         co as (select distinct on (lower(name)) lower(name) as k, id from companies where workspace_id = (select id from ws) order by lower(name), id)
    select d.line, d.deal_id, d.title, d.company, d.owner, d.segment, d.channel, d.region, d.amount_minor, d.created_at,
           m.existing_id, u.id as owner_id, sg.id as segment_id, ch.id as channel_id, co.id as company_id
      from imp_deals d join imp_map m on m.deal_id = d.deal_id
      left join u on u.k = lower(d.owner)
      left join sg on sg.k = lower(d.segment)
      left join ch on ch.k = lower(d.channel)
      left join co on co.k = lower(d.company);
    analyze imp_resolved;`);
}

/** Existing deals whose data changed are updated (version bumped) and noted in imp_updated. */
async function updateChangedDeals(tx: Queryable, { ws, now }: MergeTarget, report: ImportReport) {
  report.deals_updated = await tx.run(sql`
    with u as (
      update deals x set title = r.title, amount_minor = r.amount_minor, owner_id = r.owner_id, segment_id = r.segment_id,
                         channel_id = r.channel_id, company_id = r.company_id, region = r.region,
                         version = x.version + 1, updated_at = ${now}
        from imp_resolved r
       where x.workspace_id = ${ws} and x.id = r.existing_id
         and (x.title, x.amount_minor, x.owner_id, x.segment_id, x.channel_id, x.company_id, x.region)
             is distinct from (r.title, r.amount_minor, r.owner_id, r.segment_id, r.channel_id, r.company_id, r.region)
      returning x.id)
    insert into imp_updated select id from u`);
  const [{ n: existingInFile }] = await tx.query<{ n: number }>(
    sql`select count(*)::int8 as n from imp_resolved where existing_id is not null`,
  );
  report.deals_unchanged = existingInFile - report.deals_updated;
}

/** New deals inserted on a placeholder stage; refreshDealsIn sets stage and times from the history right after. */
async function insertNewDeals(tx: Queryable, { ws, pipelineId, now }: MergeTarget, report: ImportReport) {
  const [{ n: newCount }] = await tx.query<{ n: number }>(sql`select count(*)::int8 as n from imp_resolved where existing_id is null`);
  if (newCount === 0) return;
  const [{ currency }] = await tx.query<{ currency: string }>(sql`select currency from workspaces where workspace_id = ${ws}`);
  const [first] = await tx.query<{ id: number; kind: string }>(
    sql`select id, kind from stages where workspace_id = ${ws} and pipeline_id = ${pipelineId} order by position limit 1`,
  );
  report.deals_created = await tx.run(sql`
    insert into deals (workspace_id, external_id, title, pipeline_id, stage_id, status, stage_entered_at, amount_minor, currency,
                       company_id, owner_id, segment_id, channel_id, region, created_at, updated_at)
    select ${ws}, r.deal_id, r.title, ${pipelineId}, ${first.id}, ${first.kind}, r.created_at, r.amount_minor, ${currency},
           r.company_id, r.owner_id, r.segment_id, r.channel_id, r.region, r.created_at, ${now}
      from imp_resolved r where r.existing_id is null order by r.line`);
  await tx.exec(`
    update imp_map m set existing_id = x.id from deals x
     where m.existing_id is null and x.workspace_id = current_setting('voronka.workspace_id')::int8 and x.external_id = m.deal_id;`);
  // The steps below join deals by the thousand: the planner must know how many there are now
  // (statistics from when the table was small chose a nested loop: 60,000 deals took 4 minutes).
  await analyzeChanged(tx, ['deals'], report.deals_created);
}

/** The new stage entries appended; visits and current state rebuilt for the deals they touch. */
async function appendEntries(tx: Queryable, { ws, pipelineId, now }: MergeTarget, report: ImportReport) {
  report.stage_entries_added = await tx.run(sql`
    insert into stage_events (workspace_id, deal_id, pipeline_id, stage_id, entered_at, recorded_at, source)
    select ${ws}, m.existing_id, ${pipelineId}, e.stage_id, e.entered_at, ${now}, 'import'
      from imp_events e join imp_map m on m.deal_id = e.deal_id
     order by m.existing_id, e.entered_at`);
  await analyzeChanged(tx, ['stage_events'], report.stage_entries_added);
  await tx.exec(`
    create temp table imp_touched on commit drop as
      select distinct m.existing_id as deal_id from imp_events e join imp_map m on m.deal_id = e.deal_id;
    analyze imp_touched;`);
  await refreshDealsIn(tx, ws, 'imp_touched');
  // Updated deals without new entries keep their visits: only the copied attributes move.
  await tx.exec(`
    delete from imp_updated u using imp_touched t where t.deal_id = u.deal_id;
    analyze imp_updated;`);
  await syncVisitAttributesIn(tx, ws, 'imp_updated');
}
