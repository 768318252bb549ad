-- The sends of the windows ending in the checked range, to have unique ids.
-- grain: one row per send
-- params: $since, $until
select send_id, run_at, journey_id, contact_id
from sends
where run_at > $since and run_at <= $until
order by send_id
