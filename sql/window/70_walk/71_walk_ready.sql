-- The enrollments that can act now, and where each goes: every non-waiting step acts at once;
-- a delay when due; a wait_for on a matching organization activity processed after it was
-- reached (which beats its timeout), else at its timeout; conditions take the first matching
-- branch, splits the branch their hash falls in. Only enrollments that may act are looked at:
-- one that did not act in a pass waits on a delay or a wait_for whose readiness cannot change
-- within the window, so it cannot act in a later pass either.
-- target: walk_ready
-- write: temp
-- grain: one row per enrollment acting in this iteration
-- params: $window_end
with condition_choice as (
    select enrollment_id, step_id, target_step_id
    from (
        select
            condition_matches.enrollment_id,
            condition_matches.step_id,
            condition_matches.target_step_id,
            row_number() over (
                partition by condition_matches.enrollment_id
                order by condition_matches.branch_no
            ) as preference
        from compiled.condition_matches as condition_matches
    ) as ranked
    where preference = 1
),

split_choice as (
    select
        walk.enrollment_id,
        step_branches.target_step_id
    from walk
    inner join step_branches
        on step_branches.journey_id = walk.journey_id
        and step_branches.journey_version = walk.journey_version
        and step_branches.step_id = walk.step_id
    where
        walk.may_act
        and step_branches.percent_low is not null
        and cast(('0x' || substr(md5(walk.enrollment_id || '|' || walk.step_id), 1, 8)) as bigint)
        % 100 >= step_branches.percent_low
        and cast(('0x' || substr(md5(walk.enrollment_id || '|' || walk.step_id), 1, 8)) as bigint)
        % 100 < step_branches.percent_high
),

acting as (
    select
        walk.enrollment_id,
        walk.journey_id,
        walk.journey_version,
        walk.org_id,
        walk.step_id,
        journey_steps.action,
        case
            when journey_steps.action = 'exit' then 'end'
            when journey_steps.action = 'condition' then condition_choice.target_step_id
            when journey_steps.action = 'split' then split_choice.target_step_id
            when journey_steps.action = 'wait_for' and wait_matches.org_id is not null
                and walk.reached_at < $window_end then journey_steps.then_step_id
            when journey_steps.action = 'wait_for' then journey_steps.else_step_id
            else journey_steps.next_step_id
        end as target_step_id,
        case
            when journey_steps.action = 'wait_for' and wait_matches.org_id is not null
                and walk.reached_at < $window_end then 'activity'
            when journey_steps.action = 'wait_for' then 'timeout'
            when journey_steps.action = 'delay' then 'due'
            when journey_steps.action = 'exit' then 'completed'
            when journey_steps.action in ('condition', 'split') then 'branch'
            when journey_steps.action in ('send_email', 'send_sms') then 'sent'
            else 'done'
        end as outcome
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
    left join condition_choice
        on condition_choice.enrollment_id = walk.enrollment_id
        and condition_choice.step_id = walk.step_id
    left join split_choice on split_choice.enrollment_id = walk.enrollment_id
    where
        walk.status = 'active'
        and walk.may_act
        and (
            journey_steps.action not in ('delay', 'wait_for')
            or walk.wake_at <= $window_end
            or (
                journey_steps.action = 'wait_for'
                and wait_matches.org_id is not null
                and walk.reached_at < $window_end
            )
        )
)

select
    enrollment_id,
    journey_id,
    journey_version,
    org_id,
    step_id,
    action,
    coalesce(target_step_id, 'end') as target_step_id,
    case
        when outcome = 'branch' then 'goto:' || coalesce(target_step_id, 'end')
        else outcome
    end as outcome
from acting
