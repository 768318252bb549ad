-- Committed windows whose export files are not yet complete (a crash left them out).
-- grain: one row per window to export
-- params: none
select window_end
from runs
where window_end not in (select window_end from exported_windows)
order by window_end
