-- Conversions at or before their enrollment's entry (or of an unknown enrollment).
-- grain: one row per early conversion
-- params: $since, $until
select
    conversions.enrollment_id,
    conversions.journey_id,
    conversions.org_id,
    conversions.converted_at,
    enrollments.entered_at
from conversions
left join enrollments on enrollments.enrollment_id = conversions.enrollment_id
where
    conversions.run_at > $since and conversions.run_at <= $until
    and (enrollments.entered_at is null or conversions.converted_at <= enrollments.entered_at)
order by conversions.converted_at, conversions.enrollment_id
