-- The start of the first and the end of the last processed window (nulls before the first).
-- grain: one row
select min(window_start) as first_start, max(window_end) as last_end from runs
