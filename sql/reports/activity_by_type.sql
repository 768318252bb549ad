-- The demo's rollup: events and organizations per activity type, over org_activity.
-- grain: one row per activity type
-- params: none
select
    activity_type,
    sum(events) as events,
    count(*) as organizations
from org_activity
group by activity_type
order by events desc
