-- Every moving enrollment after this iteration: those that acted arrive at their target
-- (or complete at `end`); the others stay where they are. One held at its send step stays
-- there until its send window opens (its wake_at), and acts no more in this run.
-- target: walk_next
-- write: temp
-- grain: one row per moving enrollment
-- params: $window_end
select
    walk.enrollment_id,
    walk.journey_id,
    walk.journey_version,
    walk.org_id,
    walk.entered_at,
    case
        when walk_ready.enrollment_id is null or walk_ready.target_step_id = 'end' then walk.step_id
        else walk_ready.target_step_id
    end as step_id,
    case
        when walk_ready.enrollment_id is null or walk_ready.target_step_id = 'end'
            then walk.reached_at
        else $window_end
    end as reached_at,
    case
        when walk_ready.enrollment_id is null then walk.wake_at
        when walk_ready.target_step_id = 'end' then cast(null as timestamp)
        when walk_ready.hold_until is not null then walk_ready.hold_until
        else target_steps.wake_at
    end as wake_at,
    case
        when walk_ready.target_step_id = 'end' then 'completed'
        else walk.status
    end as status,
    coalesce(walk_ready.target_step_id <> 'end', false) as arrived_now,
    coalesce(walk_ready.target_step_id <> 'end' and walk_ready.hold_until is null, false)
        as may_act
from walk
left join walk_ready on walk_ready.enrollment_id = walk.enrollment_id
left join journey_steps as target_steps
    on target_steps.journey_id = walk.journey_id
    and target_steps.journey_version = walk.journey_version
    and target_steps.step_id = walk_ready.target_step_id
