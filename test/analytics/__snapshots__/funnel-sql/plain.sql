-- plain: {"from":"2025-01-01","to":"2025-02-01"}

-- 1. stuck_thresholds
select stage_id, sum(finished)::int8 as n from funnel_counters c
 where workspace_id = $1 and pipeline_id = $2 group by stage_id;
-- params: 1, 1

-- 2. stage_win_probability
select 'total' as g, stage_id,
       sum(won)::int8 as won, sum(closed)::int8 as closed, sum(current_closed)::int8 as current_closed
  from funnel_counters c where workspace_id = $1 and pipeline_id = $2
 group by 1, 2;
-- params: 1, 1

-- 3. created
select 'total' as g, count(*)::int8 as n
  from stage_visits v where v.workspace_id = $1 and v.pipeline_id = $2 and v.visit_no = 1 and v.entered_at >= $3 and v.entered_at < $4 group by 1;
-- params: 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-31T21:00:00.000Z"

-- 4. closing
select 'total' as g,
       count(*) filter (where v.stage_kind = 'won')::int8 as won,
       count(*) filter (where v.stage_kind = 'lost')::int8 as lost,
       coalesce(sum(v.amount_minor) filter (where v.stage_kind = 'won'), 0)::int8 as amount,
       avg(extract(epoch from v.entered_at - v.created_at)::float8 / $1) filter (where v.stage_kind = 'won') as cmean,
       percentile_cont(array[0.5, 0.9]) within group (order by extract(epoch from v.entered_at - v.created_at)::float8 / $2)
         filter (where v.stage_kind = 'won') as cq
  from stage_visits v
 where v.workspace_id = $3 and v.pipeline_id = $4 and v.stage_kind <> 'open' and v.entered_at >= $5 and v.entered_at < $6 and v.exited_at is null
 group by 1;
-- params: 86400, 86400, 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-31T21:00:00.000Z"

-- 5. cohort
select 'total' as g, count(*)::int8 as n
  from stage_visits v where v.workspace_id = $1 and v.pipeline_id = $2 and v.stage_kind = 'won' and v.exited_at is null and v.created_at >= $3 and v.created_at < $4 group by 1;
-- params: 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-31T21:00:00.000Z"

-- 6. stages
select x.*
  from unnest($1::int8[]) as st(id),
  lateral (
    select g, st.id as stage_id,
           count(*) filter (where first)::int8 as entered,
           count(*) filter (where first and advanced)::int8 as advanced,
           count(*) filter (where first and lost_next)::int8 as lost,
           count(*) filter (where finished)::int8 as n,
           percentile_cont(array[0.5, 0.9]) within group (order by duration_s / $2) filter (where finished) as dq
      from (select 'total' as g, v.duration_s,
                   (v.prev_same_stage_at is null or v.prev_same_stage_at < $3::timestamptz) as first,
                   v.advanced_at < $4 as advanced, v.next_kind = 'lost' and v.exited_at < $5 as lost_next, v.exited_at is not null as finished
              from stage_visits v where v.workspace_id = $6 and v.pipeline_id = $7 and v.entered_at >= $8 and v.entered_at < $9 and v.stage_id = st.id) y
     group by g
  ) x;
-- params: [1,2], 86400, "2024-12-31T21:00:00.000Z", "2025-01-31T21:00:00.000Z", "2025-01-31T21:00:00.000Z", 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-31T21:00:00.000Z"

-- 7. open
select 'total' as g, v.stage_id,
       count(*)::int8 as n,
       coalesce(sum(v.amount_minor), 0)::int8 as amount,
       count(*) filter (where extract(epoch from $1::timestamptz - v.entered_at)::float8 > t.thr)::int8 as stuck
  from stage_visits v
  left join unnest($2::int8[], $3::float8[]) as t(stage_id, thr) on t.stage_id = v.stage_id
 where v.workspace_id = $4 and v.pipeline_id = $5 and v.stage_kind = 'open' and v.exited_at is null
 group by 1, 2;
-- params: "2025-01-31T21:00:00.000Z", [], [], 1, 1
