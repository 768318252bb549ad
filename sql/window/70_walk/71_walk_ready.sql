-- The enrollments that can act now, and where each goes: a step that does not wait acts at
-- once; a waiting step when due (`wake_at`), or, if it waits for an activity, on a matching
-- organization activity processed after it was reached (which beats its timeout); a step
-- that chooses a branch takes its choice (a condition's first matching branch in
-- `condition_choices`, a split's bucket in `split_choices`); a step that ends goes to `end`. Only enrollments that
-- may act are looked at: one that did not act in a pass waits on a step whose readiness
-- cannot change within the window, so it cannot act in a later pass either. A waiting step
-- that falls due goes to its `else_step_id` (a wait_for's timeout), else to its next step.
-- A send step that its journey's send window holds (`send_holds`: closed now, not due)
-- stays where it is: the pass that reaches it records it as held (`held_outcome`) until the
-- window opens (`hold_until`, its wake_at); one already held does not act until then.
-- The columns of journey_steps say what a step does; nothing here names a kind of step.
-- target: walk_ready
-- write: temp
-- grain: one row per enrollment acting in this iteration
-- params: $window_end
with first_condition_choice as (
    select enrollment_id, step_id, target_step_id
    from (
        select
            choices.enrollment_id,
            choices.step_id,
            choices.target_step_id,
            row_number() over (
                partition by choices.enrollment_id
                order by choices.branch_no
            ) as preference
        from compiled.condition_choices as choices
    ) as ranked
    where preference = 1
),

acting as (
    select
        walk.enrollment_id,
        walk.journey_id,
        walk.journey_version,
        walk.org_id,
        walk.step_id,
        journey_steps.is_wait,
        journey_steps.is_send,
        journey_steps.chooses_branch,
        journey_steps.waits_for_activity
        and wait_matches.org_id is not null
        and walk.reached_at < $window_end as activity_arrived,
        journey_steps.ends,
        journey_steps.next_step_id,
        journey_steps.then_step_id,
        journey_steps.else_step_id,
        journey_steps.outcome,
        journey_steps.activity_outcome,
        walk.wake_at,
        coalesce(condition_choice.target_step_id, split_choice.target_step_id)
            as chosen_step_id,
        send_holds.enrollment_id is not null and walk.wake_at is null as holds_now,
        send_holds.enrollment_id is not null and walk.wake_at is not null as stays_held,
        send_holds.opens_at,
        journey_steps.held_outcome
    from walk
    inner join journey_steps
        on journey_steps.journey_id = walk.journey_id
        and journey_steps.journey_version = walk.journey_version
        and journey_steps.step_id = walk.step_id
    left join wait_matches
        on wait_matches.journey_id = walk.journey_id
        and wait_matches.journey_version = walk.journey_version
        and wait_matches.step_id = walk.step_id
        and wait_matches.org_id = walk.org_id
    left join first_condition_choice as condition_choice
        on condition_choice.enrollment_id = walk.enrollment_id
        and condition_choice.step_id = walk.step_id
    left join compiled.split_choices as split_choice
        on split_choice.enrollment_id = walk.enrollment_id
        and split_choice.step_id = walk.step_id
    left join compiled.send_holds as send_holds
        on send_holds.enrollment_id = walk.enrollment_id
        and send_holds.step_id = walk.step_id
    where walk.status = 'active' and walk.may_act
),

moves as (
    select
        *,
        case
            when holds_now then step_id
            when ends then 'end'
            when chooses_branch then chosen_step_id
            when activity_arrived then then_step_id
            when is_wait then coalesce(else_step_id, next_step_id)
            else next_step_id
        end as target_step_id
    from acting
    where (not is_wait or wake_at <= $window_end or activity_arrived) and not stays_held
)

select
    enrollment_id,
    journey_id,
    journey_version,
    org_id,
    step_id,
    is_wait,
    is_send and not holds_now as is_send,
    coalesce(target_step_id, 'end') as target_step_id,
    case when holds_now then opens_at end as hold_until,
    case
        when holds_now then held_outcome
        when activity_arrived then activity_outcome
        when chooses_branch then outcome || coalesce(target_step_id, 'end')
        else outcome
    end as outcome
from moves
