-- The period a report covers: the hourly windows processed, the first one's start and the
-- last one's end.
-- grain: one row
-- params: none
select count(*) as windows, min(window_start) as first_start, max(window_end) as last_end
from runs
