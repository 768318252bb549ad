-- What one row of `runs` is, as the warehouse's comment on the table
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one table comment
comment on table runs is 'One row per committed hourly window [window_start, window_end): when it ran, its status and its counts (JSON: entered, held_out, exited, completed, sends, suppressions, frequency_capped, conversions, org_updates, unsubscribes).'
