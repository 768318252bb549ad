-- The send batches of one window: one file each for the providers.
-- grain: one row per journey, step and channel that sent in the window
-- params: $window_end
select distinct journey_id, step_id, channel
from sends
where run_at = $window_end
order by all
