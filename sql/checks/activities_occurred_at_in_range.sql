-- The hours that activities occurred in, with their counts: checked per hour, so the rows
-- stay few however long the history.
-- grain: one row per hour of occurred_at
-- params: none
select
    date_trunc('hour', occurred_at) as hour,
    count(*) as events,
    min(event_id) as example_event_id
from activities
group by 1
order by 1
