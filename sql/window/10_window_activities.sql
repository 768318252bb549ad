-- The events this window rolls up: its own, late arrivals loaded since the previous run, and
-- (in the first window ever) all history. `is_trigger` marks those that may trigger journeys:
-- events before the first window ever processed are history and trigger nothing.
-- target: window_activities
-- write: temp
-- grain: one row per event
-- params: $window_start, $window_end, $load_seq, $prev_load_seq, $first_window_start
select
    event_id,
    contact_id,
    activity_type,
    occurred_at,
    properties,
    occurred_at >= $first_window_start as is_trigger
from activities
where
    occurred_at < $window_end
    and load_seq <= $load_seq
    and (occurred_at >= $window_start or load_seq > $prev_load_seq)
