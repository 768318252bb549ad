-- An organization's conversions by an instant: the converting event and contact, and the last
-- step and send before it.
-- grain: one row per conversion
-- params: $org_id, $journey_id, $at
select enrollment_id, event_id, contact_id, converted_at, last_step_id, last_send_id
from conversions
where
    org_id = $org_id
    and ($journey_id is null or journey_id = $journey_id)
    and converted_at <= $at
order by converted_at
