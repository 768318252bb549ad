-- Conversions recorded this run: for each enrollment without one, the first attribution
-- activity of its organization processed now with entered_at < occurred_at <= entered_at +
-- within_days (whatever the enrollment's status); with the last step reached and the last send
-- made at or before it (among one run's sends, the converting contact's, else the smallest id).
-- The span is added to the entry (a window end), never subtracted from an activity's instant,
-- which may be near year 1 (an overflow would fail the window).
-- An enrollment's steps and sends are never earlier than its entry: saying so lets DuckDB skip
-- the older parts of enrollment_steps and sends (appended in time order) instead of reading
-- the whole history every window.
-- target: new_conversions
-- write: temp
-- grain: one row per converting enrollment
-- params: $window_end
with matches as (
    select
        enrollments.enrollment_id,
        enrollments.journey_id,
        enrollments.journey_version,
        enrollments.org_id,
        enrollments.entered_at,
        activity.event_id,
        activity.contact_id,
        activity.occurred_at,
        activity.exits,
        row_number() over (
            partition by enrollments.enrollment_id
            order by activity.occurred_at, activity.event_id
        ) as rank
    from enrollments
    inner join compiled.conversion_activities as activity
        on activity.journey_id = enrollments.journey_id
        and activity.journey_version = enrollments.journey_version
        and activity.org_id = enrollments.org_id
    where
        activity.occurred_at > enrollments.entered_at
        and activity.occurred_at <= enrollments.entered_at + activity.within
        and not exists (
            select 1 from conversions
            where conversions.enrollment_id = enrollments.enrollment_id
        )
),

firsts as (
    select * exclude (rank) from matches where rank = 1
),

last_steps as (
    select enrollment_id, step_id
    from (
        select
            firsts.enrollment_id,
            enrollment_steps.step_id,
            row_number() over (
                partition by firsts.enrollment_id
                order by enrollment_steps.reached_at desc, enrollment_steps.step_seq desc
            ) as recency
        from firsts
        inner join enrollment_steps
            on enrollment_steps.enrollment_id = firsts.enrollment_id
            and enrollment_steps.reached_at >= firsts.entered_at
            and enrollment_steps.reached_at <= firsts.occurred_at
    ) as ranked
    where recency = 1
),

last_sends as (
    select enrollment_id, send_id
    from (
        select
            firsts.enrollment_id,
            sends.send_id,
            row_number() over (
                partition by firsts.enrollment_id
                order by
                    sends.run_at desc,
                    sends.contact_id = firsts.contact_id desc,
                    sends.send_id
            ) as recency
        from firsts
        inner join sends
            on sends.enrollment_id = firsts.enrollment_id
            and sends.run_at >= firsts.entered_at
            and sends.run_at <= firsts.occurred_at
    ) as ranked
    where recency = 1
)

select
    firsts.enrollment_id,
    firsts.journey_id,
    firsts.journey_version,
    firsts.org_id,
    firsts.event_id,
    firsts.contact_id,
    firsts.occurred_at as converted_at,
    last_steps.step_id as last_step_id,
    last_sends.send_id as last_send_id,
    $window_end as run_at,
    firsts.exits
from firsts
left join last_steps on last_steps.enrollment_id = firsts.enrollment_id
left join last_sends on last_sends.enrollment_id = firsts.enrollment_id
