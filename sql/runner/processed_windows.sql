-- The committed windows ending in a range, in order: when each ran, and whether its export
-- files are complete.
-- grain: one row per processed window
-- params: $since, $until
select
    runs.window_start,
    runs.window_end,
    runs.started_at,
    runs.finished_at,
    exists (
        select 1 from exported_windows where exported_windows.window_end = runs.window_end
    ) as exported
from runs
where runs.window_end > $since and runs.window_end <= $until
order by runs.window_end
