-- Per journey (all versions): its name (of the newest version), its state (the one it last
-- ran with, `stopped` included; else its newest version's), enrollments by status, those
-- held out (a holdout enrollment is completed at entry: it counts in `completed` too),
-- conversions and the conversion rate.
-- grain: one row per journey
-- params: none
create or replace view journey_summary as
with ids as (
    select journey_id, name, state
    from journeys
    qualify row_number() over (partition by journey_id order by version desc) = 1
),
last_runs as (
    select journey_id, state
    from journey_runs
    qualify row_number() over (partition by journey_id order by window_end desc) = 1
),
counts as (
    select
        journey_id,
        count(*) as entered,
        count(*) filter (where status = 'active') as active,
        count(*) filter (where status = 'completed') as completed,
        count(*) filter (where status = 'exited') as exited,
        count(*) filter (where is_holdout) as held_out
    from enrollments
    group by journey_id
),
converted as (
    select journey_id, count(*) as converted from conversions group by journey_id
)
select
    ids.journey_id,
    ids.name,
    coalesce(last_runs.state, ids.state) as state,
    coalesce(counts.entered, 0) as entered,
    coalesce(counts.active, 0) as active,
    coalesce(counts.completed, 0) as completed,
    coalesce(counts.exited, 0) as exited,
    coalesce(counts.held_out, 0) as held_out,
    coalesce(converted.converted, 0) as converted,
    case
        when coalesce(counts.entered, 0) = 0 then null
        else round(coalesce(converted.converted, 0) / counts.entered, 4)
    end as conversion_rate
from ids
left join last_runs using (journey_id)
left join counts using (journey_id)
left join converted using (journey_id)
