-- The report's summary: `journey_summary`, and the version each journey last ran with (else
-- its newest); narrowed to one journey by the caller.
-- grain: one row per journey
-- params: none
with newest as (
    select journey_id, max(version) as version from journeys group by journey_id
),

last_runs as (
    select journey_id, version
    from journey_runs
    qualify row_number() over (partition by journey_id order by window_end desc) = 1
)

select
    journey_id,
    journey_summary.name,
    journey_summary.state,
    journey_summary.entered,
    journey_summary.active,
    journey_summary.completed,
    journey_summary.exited,
    journey_summary.converted,
    journey_summary.conversion_rate,
    coalesce(last_runs.version, newest.version) as version
from journey_summary
left join newest using (journey_id)
left join last_runs using (journey_id)
order by journey_id
