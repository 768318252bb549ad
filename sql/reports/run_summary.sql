-- What happened per journey in the windows ending in ($after, $through]: entries, messages,
-- suppressions and endings (`orgjourney run` prints it, the Dagster window asset records it).
-- grain: one row per journey with any of them, or that ran in the range
-- params: $after, $through
with entered as (
    select journey_id, count(*) as n
    from enrollments
    where entered_at > $after and entered_at <= $through
    group by journey_id
),

sent as (
    select journey_id, count(*) as n
    from sends
    where run_at > $after and run_at <= $through
    group by journey_id
),

suppressed as (
    select journey_id, count(*) as n
    from suppressions
    where run_at > $after and run_at <= $through
    group by journey_id
),

ended as (
    select
        journey_id,
        count(*) filter (where status = 'completed') as completed,
        count(*) filter (where status = 'exited') as exited
    from ended_enrollments
    where ended_at > $after and ended_at <= $through
    group by journey_id
),

journey_ids as (
    select journey_id from entered
    union
    select journey_id from sent
    union
    select journey_id from suppressed
    union
    select journey_id from ended
    union
    select journey_id from journey_runs
    where window_end > $after and window_end <= $through
)

select
    journey_ids.journey_id,
    coalesce(entered.n, 0) as entered,
    coalesce(sent.n, 0) as sent,
    coalesce(suppressed.n, 0) as suppressed,
    coalesce(ended.completed, 0) as completed,
    coalesce(ended.exited, 0) as exited
from journey_ids
left join entered using (journey_id)
left join sent using (journey_id)
left join suppressed using (journey_id)
left join ended using (journey_id)
order by journey_ids.journey_id
