-- Enrollments that ended this run: exits (before the steps) and completions (in the walk).
-- target: ended_enrollments
-- write: append
-- grain: one row per ended enrollment
-- params: $window_end
select
    enrollment_id,
    journey_id,
    journey_version,
    org_id,
    entered_at,
    'exited' as status,
    current_step_id,
    $window_end as ended_at,
    end_reason
from enrollment_exits

union all

select
    enrollment_id,
    journey_id,
    journey_version,
    org_id,
    entered_at,
    'completed' as status,
    step_id as current_step_id,
    $window_end as ended_at,
    'completed' as end_reason
from walk
where status = 'completed'
