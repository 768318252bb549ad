-- The active set after this run: enrollments of journeys that did not move (paused, draft,
-- stopped) as they were, and the moving ones that are still active where they stopped.
-- target: active_enrollments
-- write: replace
-- grain: one row per active enrollment
select
    enrollment_id,
    journey_id,
    journey_version,
    org_id,
    entered_at,
    current_step_id,
    reached_at,
    wake_at
from active_enrollments
where
    enrollment_id not in (select enrollment_id from enrollment_exits)
    and journey_id not in (select journey_id from run_journeys where state = 'published')

union all

select
    enrollment_id,
    journey_id,
    journey_version,
    org_id,
    entered_at,
    step_id as current_step_id,
    reached_at,
    wake_at
from walk
where status = 'active'
