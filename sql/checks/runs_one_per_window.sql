-- The processed windows ending in the checked range, to be one row each.
-- grain: one row per runs row
-- params: $since, $until
select window_end, window_start, status
from runs
where window_end > $since and window_end <= $until
order by window_end
