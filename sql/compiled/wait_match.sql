-- One wait_for step's matches: the organizations any of whose contacts has an activity of
-- the step's type (and `where`) processed in this window.
-- relation: wait_matches
-- grain: one row per organization
-- params: $journey_id, $journey_version, $step_id, $activity_type, $properties_match
select distinct
    $journey_id as journey_id,
    $journey_version as journey_version,
    $step_id as step_id,
    m.org_id
from window_activities as a
inner join memberships_at as m on m.contact_id = a.contact_id
where
    a.is_trigger
    and a.activity_type = $activity_type
    and $properties_match
