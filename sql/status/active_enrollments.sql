-- Active enrollments per journey.
-- grain: one row per journey with active enrollments
select journey_id, count(*) as active from active_enrollments group by journey_id order by 1
