-- One wait_for step's matches: the organizations any of whose contacts has an activity of
-- the step's type (and `where`) processed in this window.
-- relation: wait_matches
-- grain: one row per organization
-- params: $journey_id, $journey_version, $step_id, $activity_type, $properties_match
select distinct
    $journey_id as journey_id,
    $journey_version as journey_version,
    $step_id as step_id,
    a.org_id
from trigger_activity_orgs as a
where
    a.activity_type = $activity_type
    and $properties_match
