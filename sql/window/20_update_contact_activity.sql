-- Append this window's events, rolled up per contact and type, to the recent part of the
-- rollup. Rows of a pair from earlier windows stay as they are: readers add the rows up, and
-- the next compaction (21) merges them into contact_activity. Appending keeps the window's
-- cost to its own events; an upsert into contact_activity scanned that whole table twice.
-- target: contact_activity_recent
-- write: append
-- grain: one row per contact and activity type of the window's events
select
    contact_id,
    activity_type,
    min(occurred_at) as first_at,
    max(occurred_at) as last_at,
    count(*) as events
from window_activities
group by contact_id, activity_type
