-- approaching_date triggers fired this run: once per organization and date value.
-- target: date_entries
-- write: append
-- grain: one row per journey, organization and date value
-- params: $window_end
select
    journey_id,
    org_id,
    date_value,
    $window_end as fired_at
from entry_candidates
where date_value is not null
