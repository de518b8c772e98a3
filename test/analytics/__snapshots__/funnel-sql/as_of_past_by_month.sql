-- as_of_past_by_month: {"from":"2024-12-01","to":"2025-02-01","as_of":"2025-01-15","by":"month"}

-- 1. stuck_thresholds
select stage_id, sum(finished)::int8 as n from (
select $1::int8 as workspace_id, $2::int8 as pipeline_id, stage_id, segment_key, finished, won, closed, current_closed
  from (
    select stage_id, segment_key, finished, won, closed, current_closed
      from funnel_checkpoint_counters where workspace_id = $3 and pipeline_id = $4 and at = $5
    union all
    select v.stage_id, coalesce(v.segment_id, 0), count(*), 0, 0, 0
      from stage_visits v
     where v.workspace_id = $6 and v.pipeline_id = $7 and v.exited_at >= $8 and v.exited_at < $9 and v.stage_kind = 'open'
     group by 1, 2
    union all

select v.stage_id, coalesce(v.segment_id, 0), 0, 0, 0, $10::int8
  from stage_visits v where v.workspace_id = $11 and v.pipeline_id = $12 and v.stage_kind <> 'open' and v.entered_at >= $13 and v.entered_at < $14 and (v.exited_at is null or v.exited_at >= $15)
union all
select st.id, coalesce(v.segment_id, 0), 0, case when v.stage_kind = 'won' then $16::int8 else 0 end, $17::int8, 0
  from stage_visits v
  join stages st on st.workspace_id = v.workspace_id and st.pipeline_id = v.pipeline_id and st.kind = 'open'
                and (v.cum_mask & (1::int8 << st.position)) <> 0
 where v.workspace_id = $18 and v.pipeline_id = $19 and v.stage_kind <> 'open' and v.entered_at >= $20 and v.entered_at < $21 and (v.exited_at is null or v.exited_at >= $22)
    union all

select v.stage_id, coalesce(v.segment_id, 0), 0, 0, 0, $23::int8
  from stage_visits v where v.workspace_id = $24 and v.pipeline_id = $25 and v.stage_kind <> 'open' and v.exited_at >= $26 and v.exited_at < $27 and v.entered_at < $28
union all
select st.id, coalesce(v.segment_id, 0), 0, case when v.stage_kind = 'won' then $29::int8 else 0 end, $30::int8, 0
  from stage_visits v
  join stages st on st.workspace_id = v.workspace_id and st.pipeline_id = v.pipeline_id and st.kind = 'open'
                and (v.cum_mask & (1::int8 << st.position)) <> 0
 where v.workspace_id = $31 and v.pipeline_id = $32 and v.stage_kind <> 'open' and v.exited_at >= $33 and v.exited_at < $34 and v.entered_at < $35
  ) x (stage_id, segment_key, finished, won, closed, current_closed)) c
 where workspace_id = $36 and pipeline_id = $37 group by stage_id;
-- params: 1, 1, 1, 1, "2024-12-31T21:00:00.000Z", 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", 1, 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z", 1, 1, 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z", -1, 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2024-12-31T21:00:00.000Z", -1, -1, 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2024-12-31T21:00:00.000Z", 1, 1

-- 2. stage_win_probability
select 'total' as g, stage_id,
       sum(won)::int8 as won, sum(closed)::int8 as closed, sum(current_closed)::int8 as current_closed
  from (
select $1::int8 as workspace_id, $2::int8 as pipeline_id, stage_id, segment_key, finished, won, closed, current_closed
  from (
    select stage_id, segment_key, finished, won, closed, current_closed
      from funnel_checkpoint_counters where workspace_id = $3 and pipeline_id = $4 and at = $5
    union all
    select v.stage_id, coalesce(v.segment_id, 0), count(*), 0, 0, 0
      from stage_visits v
     where v.workspace_id = $6 and v.pipeline_id = $7 and v.exited_at >= $8 and v.exited_at < $9 and v.stage_kind = 'open'
     group by 1, 2
    union all

select v.stage_id, coalesce(v.segment_id, 0), 0, 0, 0, $10::int8
  from stage_visits v where v.workspace_id = $11 and v.pipeline_id = $12 and v.stage_kind <> 'open' and v.entered_at >= $13 and v.entered_at < $14 and (v.exited_at is null or v.exited_at >= $15)
union all
select st.id, coalesce(v.segment_id, 0), 0, case when v.stage_kind = 'won' then $16::int8 else 0 end, $17::int8, 0
  from stage_visits v
  join stages st on st.workspace_id = v.workspace_id and st.pipeline_id = v.pipeline_id and st.kind = 'open'
                and (v.cum_mask & (1::int8 << st.position)) <> 0
 where v.workspace_id = $18 and v.pipeline_id = $19 and v.stage_kind <> 'open' and v.entered_at >= $20 and v.entered_at < $21 and (v.exited_at is null or v.exited_at >= $22)
    union all

select v.stage_id, coalesce(v.segment_id, 0), 0, 0, 0, $23::int8
  from stage_visits v where v.workspace_id = $24 and v.pipeline_id = $25 and v.stage_kind <> 'open' and v.exited_at >= $26 and v.exited_at < $27 and v.entered_at < $28
union all
select st.id, coalesce(v.segment_id, 0), 0, case when v.stage_kind = 'won' then $29::int8 else 0 end, $30::int8, 0
  from stage_visits v
  join stages st on st.workspace_id = v.workspace_id and st.pipeline_id = v.pipeline_id and st.kind = 'open'
                and (v.cum_mask & (1::int8 << st.position)) <> 0
 where v.workspace_id = $31 and v.pipeline_id = $32 and v.stage_kind <> 'open' and v.exited_at >= $33 and v.exited_at < $34 and v.entered_at < $35
  ) x (stage_id, segment_key, finished, won, closed, current_closed)) c where workspace_id = $36 and pipeline_id = $37
 group by 1, 2;
-- params: 1, 1, 1, 1, "2024-12-31T21:00:00.000Z", 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", 1, 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z", 1, 1, 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z", -1, 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2024-12-31T21:00:00.000Z", -1, -1, 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2024-12-31T21:00:00.000Z", 1, 1

-- 3. created
select 'total' as g, count(*)::int8 as n
  from stage_visits v where v.workspace_id = $1 and v.pipeline_id = $2 and v.visit_no = 1 and v.entered_at >= $3 and v.entered_at < $4 group by 1;
-- params: 1, 1, "2024-11-30T21:00:00.000Z", "2025-01-14T21:00:00.000Z"

-- 4. closing
select 'total' as g,
       count(*) filter (where v.stage_kind = 'won')::int8 as won,
       count(*) filter (where v.stage_kind = 'lost')::int8 as lost,
       coalesce(sum(v.amount_minor) filter (where v.stage_kind = 'won'), 0)::int8 as amount,
       avg(extract(epoch from v.entered_at - v.created_at)::float8 / $1) filter (where v.stage_kind = 'won') as cmean,
       percentile_cont(array[0.5, 0.9]) within group (order by extract(epoch from v.entered_at - v.created_at)::float8 / $2)
         filter (where v.stage_kind = 'won') as cq
  from stage_visits v
 where v.workspace_id = $3 and v.pipeline_id = $4 and v.stage_kind <> 'open' and v.entered_at >= $5 and v.entered_at < $6 and (v.exited_at is null or v.exited_at >= $7)
 group by 1;
-- params: 86400, 86400, 1, 1, "2024-11-30T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z"

-- 5. cohort
select 'total' as g, count(*)::int8 as n
  from stage_visits v where v.workspace_id = $1 and v.pipeline_id = $2 and v.stage_kind = 'won' and v.entered_at < $3 and (v.exited_at is null or v.exited_at >= $4) and v.created_at >= $5 and v.created_at < $6 group by 1;
-- params: 1, 1, "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2024-11-30T21:00:00.000Z", "2025-01-14T21:00:00.000Z"

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
                   v.advanced_at < $4 as advanced, v.next_kind = 'lost' and v.exited_at < $5 as lost_next, v.exited_at < $6 as finished
              from stage_visits v where v.workspace_id = $7 and v.pipeline_id = $8 and v.entered_at >= $9 and v.entered_at < $10 and v.stage_id = st.id) y
     group by g
  ) x;
-- params: [1,2], 86400, "2024-11-30T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z", 1, 1, "2024-11-30T21:00:00.000Z", "2025-01-14T21:00:00.000Z"

-- 7. open
select 'total' as g, v.stage_id,
       count(*)::int8 as n,
       coalesce(sum(v.amount_minor), 0)::int8 as amount,
       count(*) filter (where extract(epoch from $1::timestamptz - v.entered_at)::float8 > t.thr)::int8 as stuck
  from (
select o.workspace_id, o.pipeline_id, o.deal_id, o.visit_no, o.stage_id, 'open'::text as stage_kind, o.entered_at,
       null::timestamptz as exited_at, o.amount_minor, o.segment_id, o.owner_id, o.channel_id, o.region
  from funnel_checkpoint_open o
 where o.workspace_id = $2 and o.pipeline_id = $3 and o.at = $4
   and not exists (select 1 from stage_visits x where x.workspace_id = $5 and x.pipeline_id = $6
                      and x.exited_at >= $7 and x.exited_at < $8 and x.deal_id = o.deal_id)
union all
select v.workspace_id, v.pipeline_id, v.deal_id, v.visit_no, v.stage_id, v.stage_kind, v.entered_at, v.exited_at,
       v.amount_minor, v.segment_id, v.owner_id, v.channel_id, v.region
  from stage_visits v
 where v.workspace_id = $9 and v.pipeline_id = $10 and v.entered_at >= $11 and v.entered_at < $12 and v.stage_kind = 'open') v
  left join unnest($13::int8[], $14::float8[]) as t(stage_id, thr) on t.stage_id = v.stage_id
 where v.workspace_id = $15 and v.pipeline_id = $16 and v.stage_kind = 'open' and v.entered_at < $17 and (v.exited_at is null or v.exited_at >= $18)
 group by 1, 2;
-- params: "2025-01-14T21:00:00.000Z", 1, 1, "2024-12-31T21:00:00.000Z", 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", [], [], 1, 1, "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z"

-- 8. created
select to_char(v.entered_at at time zone $1, 'YYYY-MM') as g, count(*)::int8 as n
  from stage_visits v where v.workspace_id = $2 and v.pipeline_id = $3 and v.visit_no = 1 and v.entered_at >= $4 and v.entered_at < $5 group by 1;
-- params: "Europe/Moscow", 1, 1, "2024-11-30T21:00:00.000Z", "2025-01-14T21:00:00.000Z"

-- 9. closing
select to_char(v.entered_at at time zone $1, 'YYYY-MM') as g,
       count(*) filter (where v.stage_kind = 'won')::int8 as won,
       count(*) filter (where v.stage_kind = 'lost')::int8 as lost,
       coalesce(sum(v.amount_minor) filter (where v.stage_kind = 'won'), 0)::int8 as amount,
       avg(extract(epoch from v.entered_at - v.created_at)::float8 / $2) filter (where v.stage_kind = 'won') as cmean,
       percentile_cont(array[0.5, 0.9]) within group (order by extract(epoch from v.entered_at - v.created_at)::float8 / $3)
         filter (where v.stage_kind = 'won') as cq
  from stage_visits v
 where v.workspace_id = $4 and v.pipeline_id = $5 and v.stage_kind <> 'open' and v.entered_at >= $6 and v.entered_at < $7 and (v.exited_at is null or v.exited_at >= $8)
 group by 1;
-- params: "Europe/Moscow", 86400, 86400, 1, 1, "2024-11-30T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z"

-- 10. cohort
select to_char(v.created_at at time zone $1, 'YYYY-MM') as g, count(*)::int8 as n
  from stage_visits v where v.workspace_id = $2 and v.pipeline_id = $3 and v.stage_kind = 'won' and v.entered_at < $4 and (v.exited_at is null or v.exited_at >= $5) and v.created_at >= $6 and v.created_at < $7 group by 1;
-- params: "Europe/Moscow", 1, 1, "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2024-11-30T21:00:00.000Z", "2025-01-14T21:00:00.000Z"

-- 11. stages
select x.*
  from unnest($1::int8[]) as st(id),
  lateral (
    select g, st.id as stage_id,
           count(*) filter (where first)::int8 as entered,
           count(*) filter (where first and advanced)::int8 as advanced,
           count(*) filter (where first and lost_next)::int8 as lost,
           count(*) filter (where finished)::int8 as n,
           percentile_cont(array[0.5, 0.9]) within group (order by duration_s / $2) filter (where finished) as dq
      from (select to_char(v.entered_at at time zone $3, 'YYYY-MM') as g, v.duration_s,
                   (v.prev_same_stage_at is null or v.prev_same_stage_at < greatest($4::timestamptz, date_trunc('month', v.entered_at, $5))) as first,
                   v.advanced_at < $6 as advanced, v.next_kind = 'lost' and v.exited_at < $7 as lost_next, v.exited_at < $8 as finished
              from stage_visits v where v.workspace_id = $9 and v.pipeline_id = $10 and v.entered_at >= $11 and v.entered_at < $12 and v.stage_id = st.id) y
     group by g
  ) x;
-- params: [1,2], 86400, "Europe/Moscow", "2024-11-30T21:00:00.000Z", "Europe/Moscow", "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z", 1, 1, "2024-11-30T21:00:00.000Z", "2025-01-14T21:00:00.000Z"

-- 12. open
select 'total' as g, v.stage_id,
       count(*)::int8 as n,
       coalesce(sum(v.amount_minor), 0)::int8 as amount,
       count(*) filter (where extract(epoch from $1::timestamptz - v.entered_at)::float8 > t.thr)::int8 as stuck
  from (
select o.workspace_id, o.pipeline_id, o.deal_id, o.visit_no, o.stage_id, 'open'::text as stage_kind, o.entered_at,
       null::timestamptz as exited_at, o.amount_minor, o.segment_id, o.owner_id, o.channel_id, o.region
  from funnel_checkpoint_open o
 where o.workspace_id = $2 and o.pipeline_id = $3 and o.at = $4
   and not exists (select 1 from stage_visits x where x.workspace_id = $5 and x.pipeline_id = $6
                      and x.exited_at >= $7 and x.exited_at < $8 and x.deal_id = o.deal_id)
union all
select v.workspace_id, v.pipeline_id, v.deal_id, v.visit_no, v.stage_id, v.stage_kind, v.entered_at, v.exited_at,
       v.amount_minor, v.segment_id, v.owner_id, v.channel_id, v.region
  from stage_visits v
 where v.workspace_id = $9 and v.pipeline_id = $10 and v.entered_at >= $11 and v.entered_at < $12 and v.stage_kind = 'open') v
  left join unnest($13::int8[], $14::float8[]) as t(stage_id, thr) on t.stage_id = v.stage_id
 where v.workspace_id = $15 and v.pipeline_id = $16 and v.stage_kind = 'open' and v.entered_at < $17 and (v.exited_at is null or v.exited_at >= $18)
 group by 1, 2;
-- params: "2025-01-14T21:00:00.000Z", 1, 1, "2024-12-31T21:00:00.000Z", 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", 1, 1, "2024-12-31T21:00:00.000Z", "2025-01-14T21:00:00.000Z", [], [], 1, 1, "2025-01-14T21:00:00.000Z", "2025-01-14T21:00:00.000Z"
