-- Once a day (the window ending at midnight UTC) and in a warehouse's first window: merge the
-- recent part of the rollup into contact_activity, one row per contact and type; 22 empties
-- the recent part. The merge scans contact_activity, so it runs once a day, not every window.
-- target: contact_activity
-- write: upsert (contact_id, activity_type)
-- when: compact_activity
-- grain: one row per contact and activity type with recent events
with recent as (
    select
        contact_id,
        activity_type,
        min(first_at) as first_at,
        max(last_at) as last_at,
        sum(events) as events
    from contact_activity_recent
    group by contact_id, activity_type
)

select
    recent.contact_id,
    recent.activity_type,
    case
        when rolled.first_at is null or recent.first_at < rolled.first_at
            then recent.first_at
        else rolled.first_at
    end as first_at,
    case
        when rolled.last_at is null or recent.last_at > rolled.last_at
            then recent.last_at
        else rolled.last_at
    end as last_at,
    cast(recent.events + coalesce(rolled.events, 0) as bigint) as events
from recent
left join contact_activity as rolled
    on rolled.contact_id = recent.contact_id
    and rolled.activity_type = recent.activity_type
