-- The sends of one batch (window, journey, step and channel), as the providers get them.
-- grain: one row per send
-- params: $window_end, $journey_id, $step_id, $channel
select
    send_id,
    run_at,
    journey_id,
    journey_version,
    step_id,
    enrollment_id,
    org_id,
    contact_id,
    channel,
    address,
    template
from sends
where
    run_at = $window_end
    and journey_id = $journey_id
    and step_id = $step_id
    and channel = $channel
order by send_id
