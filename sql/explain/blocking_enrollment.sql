-- The enrollment that a journey's frequency rule lets block an organization's next entry:
-- for `once` any enrollment ever, for `once_at_a_time` an active one (`every_time`: none).
-- grain: at most one row
-- params: $org_id, $journey_id, $frequency
select enrollment_id, entered_at, status
from enrollments
where
    org_id = $org_id
    and journey_id = $journey_id
    and ($frequency = 'once' or ($frequency = 'once_at_a_time' and status = 'active'))
order by entered_at desc
limit 1
