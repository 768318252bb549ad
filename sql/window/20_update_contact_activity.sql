-- Add this window's events to the per-contact rollup (the touched contact and type pairs only).
-- target: contact_activity
-- write: upsert (contact_id, activity_type)
-- grain: one row per contact and activity type
with window_rollup as (
    select
        contact_id,
        activity_type,
        min(occurred_at) as first_at,
        max(occurred_at) as last_at,
        count(*) as events
    from window_activities
    group by contact_id, activity_type
)

select
    window_rollup.contact_id,
    window_rollup.activity_type,
    case
        when rolled.first_at is null or window_rollup.first_at < rolled.first_at
            then window_rollup.first_at
        else rolled.first_at
    end as first_at,
    case
        when rolled.last_at is null or window_rollup.last_at > rolled.last_at
            then window_rollup.last_at
        else rolled.last_at
    end as last_at,
    window_rollup.events + coalesce(rolled.events, 0) as events
from window_rollup
left join contact_activity as rolled
    on rolled.contact_id = window_rollup.contact_id
    and rolled.activity_type = window_rollup.activity_type
