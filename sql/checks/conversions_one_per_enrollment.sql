-- The conversions of the windows ending in the checked range, to be one per enrollment.
-- grain: one row per conversion
-- params: $since, $until
select enrollment_id, journey_id, converted_at
from conversions
where run_at > $since and run_at <= $until
