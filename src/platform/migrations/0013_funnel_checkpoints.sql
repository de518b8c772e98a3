-- Past (as-of) funnel reports from monthly checkpoints (src/history/checkpoints.ts).
--
-- A report as of a past instant T needs, over the whole history before T, the counters that
-- funnel_counters keeps for now (finished visits per stage; over deals closed at T, which stages
-- they visited and how many were won) and the visits open at T. Neither can be found by an index
-- without reading one side of the history in full. So, for every month start in the workspace's
-- time zone from the month of a pipeline's first entry to its last entry, a checkpoint keeps the
-- counters as they stood at that instant and the list of visits open then; a report takes the
-- latest checkpoint at or before T and adds what happened between the two. They are derived data,
-- adjusted in the same transaction as every change of the visits (like funnel_counters) and
-- compared with a recount by `voronka check`.

create table funnel_checkpoints (
  workspace_id bigint not null,
  pipeline_id bigint not null,
  at timestamptz not null,
  primary key (workspace_id, pipeline_id, at),
  foreign key (workspace_id, pipeline_id) references pipelines (workspace_id, id)
);

-- funnel_counters' four columns as they stood at the checkpoint: `finished` counts visits of an
-- open stage exited before `at`; won/closed (on open stages) and current_closed (on won and lost
-- stages) count the deals closed at `at`.
create table funnel_checkpoint_counters (
  workspace_id bigint not null,
  pipeline_id bigint not null,
  at timestamptz not null,
  stage_id bigint not null,
  segment_key bigint not null, -- segment_id, or 0 for deals without a segment
  finished bigint not null default 0,
  won bigint not null default 0,
  closed bigint not null default 0,
  current_closed bigint not null default 0,
  primary key (workspace_id, pipeline_id, at, stage_id, segment_key),
  foreign key (workspace_id, pipeline_id, at) references funnel_checkpoints (workspace_id, pipeline_id, at) on delete cascade,
  foreign key (workspace_id, pipeline_id, stage_id) references stages (workspace_id, pipeline_id, id)
);

-- The visits of open stages running at the checkpoint (entered before `at`, not exited before it),
-- with what the open-deal figures, filters and breakdowns read; not their exit, so that a move
-- (an exit later than the checkpoint) leaves them alone. Written in bulk (an open deal is in every
-- month it stays open), so, like stage_visits, without per-row foreign keys.
create table funnel_checkpoint_open (
  workspace_id bigint not null,
  pipeline_id bigint not null,
  at timestamptz not null,
  deal_id bigint not null,
  visit_no integer not null,
  stage_id bigint not null,
  entered_at timestamptz not null,
  amount_minor bigint not null,
  segment_id bigint,
  owner_id bigint,
  channel_id bigint,
  region text,
  primary key (workspace_id, pipeline_id, at, deal_id)
);
-- A deal's rows, replaced whenever its visits are.
create index funnel_checkpoint_open_deal_idx on funnel_checkpoint_open (workspace_id, deal_id);

-- Exits in a range, with what a report adds to a checkpoint (finished visits per stage and
-- segment; the deals no longer open) read from the index alone: the heap fetches had been most of
-- a month's difference.
drop index stage_visits_exit_idx;
create index stage_visits_exit_idx on stage_visits (workspace_id, pipeline_id, exited_at) include (stage_id, stage_kind, segment_id, deal_id)
  where exited_at is not null;

-- Closing visits that were left again (a lost or won deal reopened): what a report adds to a
-- checkpoint for the deals no longer closed at its as-of. A few hundred rows per 300,000 deals.
create index stage_visits_reopened_idx on stage_visits (workspace_id, pipeline_id, exited_at)
  include (entered_at, stage_id, stage_kind, cum_mask, segment_id)
  where stage_kind <> 'open' and exited_at is not null;

do $$
declare
  t text;
begin
  foreach t in array array['funnel_checkpoints', 'funnel_checkpoint_counters', 'funnel_checkpoint_open'] loop
    execute format('grant select, insert, update, delete on %I to voronka_app', t);
    execute format('alter table %I enable row level security', t);
    execute format(
      'create policy workspace_isolation on %I to voronka_app
         using (workspace_id = nullif(current_setting(''voronka.workspace_id'', true), '''')::bigint)
         with check (workspace_id = nullif(current_setting(''voronka.workspace_id'', true), '''')::bigint)',
      t);
  end loop;
end $$;

-- The checkpoints of the histories already there, counted from scratch as `voronka check` does:
-- every month start (workspace time zone) from the month of a pipeline's first entry to its last.
insert into funnel_checkpoints (workspace_id, pipeline_id, at)
select p.workspace_id, p.pipeline_id, m at time zone w.timezone
  from (select workspace_id, pipeline_id, min(entered_at) as first, max(entered_at) as last
          from stage_visits group by 1, 2) p
  join workspaces w on w.workspace_id = p.workspace_id
  cross join lateral generate_series(date_trunc('month', p.first at time zone w.timezone), p.last at time zone w.timezone,
                                     interval '1 month') m;

-- Per pipeline, its checkpoints as one sorted array: width_bucket(t, ats) is the number of them at
-- or before t, so a visit runs at checkpoints lo..hi and is finished from hi + 1 on; the counters
-- are sums of +1 where a range starts and -1 after it ends (as src/history/checkpoints.ts counts).
create temp table cp_arrays on commit drop as
  select workspace_id, pipeline_id, array_agg(at order by at) as ats, count(*)::int as n from funnel_checkpoints group by 1, 2;
create temp table cp_ranges on commit drop as
  select v.workspace_id, v.pipeline_id, v.deal_id, v.visit_no, v.stage_id, v.stage_kind, v.cum_mask, v.entered_at, v.exited_at,
         v.amount_minor, v.segment_id, v.owner_id, v.channel_id, v.region, c.n,
         width_bucket(v.entered_at, c.ats) + 1 as lo,
         case when v.exited_at is null then c.n else width_bucket(v.exited_at, c.ats) end as hi
    from stage_visits v join cp_arrays c on c.workspace_id = v.workspace_id and c.pipeline_id = v.pipeline_id;

insert into funnel_checkpoint_counters (workspace_id, pipeline_id, at, stage_id, segment_key, finished, won, closed, current_closed)
with we as (
  select r.*, e.i, e.s from cp_ranges r cross join lateral (values (r.lo, 1), (r.hi + 1, -1)) e (i, s)
   where r.stage_kind <> 'open' and r.lo <= r.hi and e.i <= r.n),
d as (
  select workspace_id, pipeline_id, stage_id, coalesce(segment_id, 0) as seg, hi + 1 as i, 1 as finished, 0 as won, 0 as closed, 0 as current_closed
    from cp_ranges where stage_kind = 'open' and exited_at is not null and hi + 1 <= n
  union all
  select workspace_id, pipeline_id, stage_id, coalesce(segment_id, 0), i, 0, 0, 0, s from we
  union all
  select we.workspace_id, we.pipeline_id, st.id, coalesce(we.segment_id, 0), we.i, 0, case when we.stage_kind = 'won' then we.s else 0 end, we.s, 0
    from we join stages st on st.workspace_id = we.workspace_id and st.pipeline_id = we.pipeline_id and st.kind = 'open'
                          and (we.cum_mask & (1::int8 << st.position)) <> 0),
g as (select workspace_id, pipeline_id, stage_id, seg, i, sum(finished) as finished, sum(won) as won, sum(closed) as closed,
             sum(current_closed) as current_closed from d group by 1, 2, 3, 4, 5)
select c.workspace_id, c.pipeline_id, c.ats[x.i], g.stage_id, g.seg, sum(g.finished), sum(g.won), sum(g.closed), sum(g.current_closed)
  from cp_arrays c cross join lateral generate_series(1, c.n) x (i)
  join g on g.workspace_id = c.workspace_id and g.pipeline_id = c.pipeline_id and g.i <= x.i
 group by 1, 2, 3, 4, 5
having (sum(g.finished), sum(g.won), sum(g.closed), sum(g.current_closed)) <> (0, 0, 0, 0);

insert into funnel_checkpoint_open (workspace_id, pipeline_id, at, deal_id, visit_no, stage_id, entered_at, amount_minor,
                                    segment_id, owner_id, channel_id, region)
select r.workspace_id, r.pipeline_id, c.ats[x.i], r.deal_id, r.visit_no, r.stage_id, r.entered_at, r.amount_minor,
       r.segment_id, r.owner_id, r.channel_id, r.region
  from cp_ranges r join cp_arrays c on c.workspace_id = r.workspace_id and c.pipeline_id = r.pipeline_id
  cross join lateral generate_series(r.lo, r.hi) x (i)
 where r.stage_kind = 'open'
 order by 1, 2, 3, 4;
