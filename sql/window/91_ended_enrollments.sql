-- Enrollments that ended this run: exits (before the steps), completions (in the walk), and
-- the new enrollments in their journey's holdout, completed at once (reason `holdout`).
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
    end_reason,
    false as is_holdout
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
    'completed' as end_reason,
    false as is_holdout
from walk
where status = 'completed'

union all

select
    enrollment_id,
    journey_id,
    journey_version,
    org_id,
    entered_at,
    'completed' as status,
    cast(null as varchar) as current_step_id,
    $window_end as ended_at,
    'holdout' as end_reason,
    true as is_holdout
from new_enrollments
where is_holdout
