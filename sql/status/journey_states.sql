-- Each journey with the version and state it ran with in the last window it ran in, and the
-- file its newest registered version was read from (to find why a stopped one stopped).
-- grain: one row per journey
with last_runs as (
    select journey_id, version, state, window_end as last_run_at
    from journey_runs
    qualify row_number() over (partition by journey_id order by window_end desc) = 1
),

files as (
    select journey_id, file
    from journeys
    qualify row_number() over (partition by journey_id order by version desc) = 1
)

select last_runs.journey_id, last_runs.version, last_runs.state, last_runs.last_run_at, files.file
from last_runs
left join files on files.journey_id = last_runs.journey_id
order by last_runs.journey_id
