-- The enrollments that move this run: the active ones of published journeys that did not just
-- exit, and the new ones but the holdouts (they end at once), placed at their journey
-- version's first step. Each may act in the
-- walk's first pass (`may_act`); after it, only those that moved in the pass before.
-- target: walk
-- write: temp
-- grain: one row per moving enrollment
-- params: $window_end
select
    active_enrollments.enrollment_id,
    active_enrollments.journey_id,
    active_enrollments.journey_version,
    active_enrollments.org_id,
    active_enrollments.entered_at,
    active_enrollments.current_step_id as step_id,
    active_enrollments.reached_at,
    active_enrollments.wake_at,
    'active' as status,
    false as arrived_now,
    true as may_act
from active_enrollments
inner join run_journeys on run_journeys.journey_id = active_enrollments.journey_id
where
    run_journeys.state = 'published'
    and active_enrollments.enrollment_id not in (select enrollment_id from enrollment_exits)

union all

select
    new_enrollments.enrollment_id,
    new_enrollments.journey_id,
    new_enrollments.journey_version,
    new_enrollments.org_id,
    new_enrollments.entered_at,
    first_steps.step_id,
    $window_end as reached_at,
    first_steps.wake_at,
    case when first_steps.step_id is null then 'completed' else 'active' end as status,
    first_steps.step_id is not null as arrived_now,
    true as may_act
from new_enrollments
left join journey_steps as first_steps
    on first_steps.journey_id = new_enrollments.journey_id
    and first_steps.journey_version = new_enrollments.journey_version
    and first_steps.position = 1
where not new_enrollments.is_holdout
