-- The report's journey definitions: every registered version with its stored definition and
-- the hourly windows it ran in while published (narrowed to one journey by the caller).
-- grain: one row per journey and version
-- params: none
with published_runs as (
    select
        journey_id,
        version,
        count(*) as windows,
        min(window_end) as first_window_end,
        max(window_end) as last_window_end
    from journey_runs
    where state = 'published'
    group by journey_id, version
)

select
    journey_id,
    version,
    journeys.definition,
    coalesce(published_runs.windows, 0) as windows,
    published_runs.first_window_end,
    published_runs.last_window_end
from journeys
left join published_runs using (journey_id, version)
order by journey_id, version
