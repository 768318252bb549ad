-- One journey version's exit matches: its active enrollments whose organization meets the
-- exit filter now.
-- relation: exit_matches
-- grain: one row per exiting enrollment
-- params: $journey_id, $journey_version, $exit_filter
select a.enrollment_id
from active_enrollments as a
inner join organizations_at as o on o.org_id = a.org_id
where
    a.journey_id = $journey_id
    and a.journey_version = $journey_version
    and $exit_filter
