-- The processed windows, to be one row each.
-- grain: one row per runs row
-- params: none
select window_end, window_start, status from runs order by window_end
