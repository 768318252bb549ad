-- Send intents of the first send step for every entering organization, as if the steps before
-- it (a wait) were done: the preview addresses them now.
-- grain: one row per entering organization
-- params: $step_id
select
    enrollment_id,
    journey_id,
    journey_version,
    org_id,
    $step_id as step_id
from new_enrollments
