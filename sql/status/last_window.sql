-- The last processed window: when it ended, and how many windows were processed in all.
-- grain: one row
select max(window_end) as last_window_end, count(*) as windows from runs
