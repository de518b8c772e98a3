-- The funnel engine reads stage visits, not the raw history. Each visit carries
-- what the KPIs of kpi.md need so that a report is a set of range scans with no
-- window functions: its stage kind and position, the next entry, its duration,
-- the previous visit to the same stage (for "first visit in the period"), the
-- first later entry into a later stage (for "advanced"), the set of stages the
-- deal had visited so far (for stage win probabilities), the deal's creation,
-- and the deal's attributes used by filters and breakdowns.
-- stage_visits is derived data: it is rebuilt here from stage_events.

alter table users add column team text;
alter table stages add constraint stages_position_range check (position between 0 and 62);

drop table stage_visits;
create table stage_visits (
  workspace_id bigint not null,
  deal_id bigint not null,
  visit_no integer not null,
  pipeline_id bigint not null,
  stage_id bigint not null,
  stage_kind text not null,
  stage_pos integer not null,
  entered_at timestamptz not null,
  exited_at timestamptz,
  next_stage_id bigint,
  next_kind text,
  duration_s double precision,
  prev_same_stage_at timestamptz,
  advanced_at timestamptz,
  cum_mask bigint not null,
  created_at timestamptz not null,
  segment_id bigint,
  owner_id bigint,
  channel_id bigint,
  region text,
  amount_minor bigint not null,
  primary key (workspace_id, deal_id, visit_no),
  foreign key (workspace_id, deal_id) references deals (workspace_id, id),
  foreign key (workspace_id, pipeline_id, stage_id) references stages (workspace_id, pipeline_id, id)
);
create index stage_visits_period_idx on stage_visits (workspace_id, pipeline_id, entered_at);
create index stage_visits_duration_idx on stage_visits (workspace_id, pipeline_id, stage_id, duration_s) where exited_at is not null;
create index stage_visits_exit_idx on stage_visits (workspace_id, pipeline_id, stage_id, exited_at) where exited_at is not null;
create index stage_visits_current_idx on stage_visits (workspace_id, pipeline_id, stage_id) where exited_at is null;
create index stage_visits_closed_idx on stage_visits (workspace_id, pipeline_id, entered_at) where stage_kind <> 'open';

insert into stage_visits (workspace_id, deal_id, visit_no, pipeline_id, stage_id, stage_kind, stage_pos, entered_at, exited_at,
                          next_stage_id, next_kind, duration_s, prev_same_stage_at, advanced_at, cum_mask, created_at,
                          segment_id, owner_id, channel_id, region, amount_minor)
select e.workspace_id, e.deal_id, row_number() over w, e.pipeline_id, e.stage_id, s.kind, s.position, e.entered_at,
       lead(e.entered_at) over w, lead(e.stage_id) over w, lead(s.kind) over w,
       extract(epoch from lead(e.entered_at) over w - e.entered_at)::float8,
       lag(e.entered_at) over (partition by e.deal_id, e.stage_id order by e.entered_at, s.position, e.id),
       case when lead(s.kind) over w <> 'lost' and lead(s.position) over w > s.position then lead(e.entered_at) over w
            when lead(e.entered_at, 2) over w is not null then 'infinity'::timestamptz end,
       bit_or(1::int8 << s.position) over w,
       first_value(e.entered_at) over w,
       d.segment_id, d.owner_id, d.channel_id, d.region, d.amount_minor
  from stage_events e
  join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
  join deals d on d.workspace_id = e.workspace_id and d.id = e.deal_id
window w as (partition by e.workspace_id, e.deal_id order by e.entered_at, s.position, e.id);

update stage_visits v set advanced_at = (
  select min(x.entered_at) from stage_visits x
   where x.workspace_id = v.workspace_id and x.deal_id = v.deal_id and x.visit_no > v.visit_no
     and x.stage_kind <> 'lost' and x.stage_pos > v.stage_pos)
 where v.advanced_at = 'infinity';
