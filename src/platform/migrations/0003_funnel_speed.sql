-- Speed for the funnel engine at a million deals.
--
-- funnel_counters holds, per stage (and segment), what the "live" report (as-of
-- after the last stage entry) would otherwise scan the whole history for: the
-- number of finished visits (the rank for the stuck threshold's p90) and, over
-- deals closed now, how many visited the stage and how many of those were won
-- (stage win probabilities). It is adjusted in the same transaction as every
-- change of the visits, and checked against a full recount by the tests.
create table funnel_counters (
  workspace_id bigint not null,
  pipeline_id bigint not null,
  stage_id bigint not null,
  segment_key bigint not null, -- segment_id, or 0 for deals without a segment
  finished bigint not null default 0,
  won bigint not null default 0,
  closed bigint not null default 0,
  -- On a won or lost stage: deals closed there now (the share won among closed deals).
  current_closed bigint not null default 0,
  primary key (workspace_id, pipeline_id, stage_id, segment_key),
  foreign key (workspace_id, pipeline_id, stage_id) references stages (workspace_id, pipeline_id, id)
);

insert into funnel_counters (workspace_id, pipeline_id, stage_id, segment_key, finished, won, closed, current_closed)
select workspace_id, pipeline_id, stage_id, seg, sum(finished), sum(won), sum(closed), sum(current_closed)
  from (
    select v.workspace_id, v.pipeline_id, v.stage_id, coalesce(v.segment_id, 0) as seg, count(*) as finished, 0 as won, 0 as closed, 0 as current_closed
      from stage_visits v where v.stage_kind = 'open' and v.exited_at is not null group by 1, 2, 3, 4
    union all
    select c.workspace_id, c.pipeline_id, s.id, coalesce(c.segment_id, 0), 0, count(*) filter (where c.stage_kind = 'won'), count(*), 0
      from stage_visits c
      join stages s on s.workspace_id = c.workspace_id and s.pipeline_id = c.pipeline_id and s.kind = 'open'
                   and (c.cum_mask & (1::int8 << s.position)) <> 0
     where c.exited_at is null and c.stage_kind <> 'open'
     group by 1, 2, 3, 4
    union all
    select c.workspace_id, c.pipeline_id, c.stage_id, coalesce(c.segment_id, 0), 0, 0, 0, count(*)
      from stage_visits c where c.exited_at is null and c.stage_kind <> 'open' group by 1, 2, 3, 4
  ) x
 group by 1, 2, 3, 4;

-- Order statistics for the stuck threshold: walk the durations from the top.
drop index stage_visits_duration_idx;
create index stage_visits_duration_idx on stage_visits (workspace_id, pipeline_id, stage_id, duration_s) include (exited_at)
  where exited_at is not null;
-- Exits at or after an as-of: the complement of "finished before as-of", and whether a report is live.
drop index stage_visits_exit_idx;
create index stage_visits_exit_idx on stage_visits (workspace_id, pipeline_id, exited_at) include (stage_id)
  where exited_at is not null;
-- Deals open now, by stage.
drop index stage_visits_current_idx;
create index stage_visits_open_now_idx on stage_visits (workspace_id, pipeline_id, stage_id) include (amount_minor, entered_at, segment_id, owner_id, channel_id, region)
  where exited_at is null and stage_kind = 'open';
-- Deal creations (first visits) and won deals by creation: deals_created, cohort_win_rate.
create index stage_visits_created_idx on stage_visits (workspace_id, pipeline_id, entered_at) include (segment_id, owner_id, channel_id, region)
  where visit_no = 1;
create index stage_visits_won_cohort_idx on stage_visits (workspace_id, pipeline_id, created_at) include (entered_at, exited_at, segment_id, owner_id, channel_id, region)
  where stage_kind = 'won';
-- Visits of a stage in a period, with what stage_conversion and stage_duration_days read.
create index stage_visits_stage_period_idx on stage_visits (workspace_id, pipeline_id, stage_id, entered_at)
  include (prev_same_stage_at, advanced_at, next_kind, exited_at, duration_s, segment_id, owner_id, channel_id, region);
-- Closings in a period: deals_won, deals_lost, won_amount, cycle_days.
drop index stage_visits_closed_idx;
create index stage_visits_closed_idx on stage_visits (workspace_id, pipeline_id, entered_at)
  include (stage_kind, exited_at, amount_minor, created_at, cum_mask, segment_id, owner_id, channel_id, region)
  where stage_kind <> 'open';

-- The history and its derived visits are written in bulk (millions of rows per
-- import); a foreign-key check costs a per-row trigger and an index probe with a
-- row lock on the referenced deal or stage, about 4 s per million rows each. Their
-- only writers are the history module and the importer, which insert deals and
-- stages first; the integrity is asserted by the tests and by `voronka check`.
alter table stage_events drop constraint stage_events_workspace_id_deal_id_fkey;
alter table stage_events drop constraint stage_events_workspace_id_pipeline_id_stage_id_fkey;
alter table stage_events drop constraint stage_events_workspace_id_user_id_fkey;
alter table stage_visits drop constraint stage_visits_workspace_id_deal_id_fkey;
alter table stage_visits drop constraint stage_visits_workspace_id_pipeline_id_stage_id_fkey;
