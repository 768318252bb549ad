-- The end of the last processed window (null before the first).
-- grain: one row
select max(window_end) as window_end from runs
