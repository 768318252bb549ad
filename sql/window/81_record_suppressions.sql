-- Contacts a send step addressed but must not receive it, with the reason.
-- target: suppressions
-- write: append
-- grain: one row per send step executed and suppressed contact
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
    reason
from capped_recipients
where reason is not null
