-- Which state and version each journey ran with in this window.
-- target: journey_runs
-- write: append
-- grain: one row per journey
-- params: $window_end
select
    $window_end as window_end,
    journey_id,
    version,
    state
from run_journeys
