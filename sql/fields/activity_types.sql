-- The activity types seen in the loaded activities, with how many events of each.
-- grain: one row per activity type
select activity_type, count(*) as events, max(occurred_at) as last_at
from activities
group by activity_type
order by events desc, activity_type
