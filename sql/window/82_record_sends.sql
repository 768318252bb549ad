-- The send batch: one message per recipient of each executed send step (after the caps).
-- target: sends
-- write: append
-- grain: one row per message
-- params: $window_end
select
    send_id,
    $window_end as run_at,
    journey_id,
    journey_version,
    step_id,
    enrollment_id,
    org_id,
    contact_id,
    channel,
    address,
    template,
    counts_toward_caps
from capped_recipients
where reason is null
