-- The steps reached that are settled now: each non-waiting step as it acts (with what it did),
-- and each delay or wait_for as the enrollment arrives at it.
-- target: enrollment_steps
-- write: append
-- grain: one row per enrollment and step reached
-- params: $window_end, $walk_pass
select
    enrollment_id,
    journey_id,
    journey_version,
    org_id,
    step_id,
    $window_end as reached_at,
    outcome,
    $walk_pass as step_seq
from walk_ready
where not is_wait

union all

select
    walk.enrollment_id,
    walk.journey_id,
    walk.journey_version,
    walk.org_id,
    walk.step_id,
    $window_end as reached_at,
    'waiting' as outcome,
    $walk_pass as step_seq
from walk
inner join journey_steps
    on journey_steps.journey_id = walk.journey_id
    and journey_steps.journey_version = walk.journey_version
    and journey_steps.step_id = walk.step_id
where
    walk.arrived_now
    and journey_steps.is_wait
