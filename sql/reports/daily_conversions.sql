-- The report's conversions over time, per UTC day of `converted_at` (narrowed to one journey
-- by the caller).
-- grain: one row per journey and day with a conversion
-- params: none
select journey_id, cast(converted_at as date) as day, count(*) as conversions
from conversions
group by all
order by journey_id, day
