-- Event ids loaded more than once (ingest ignores duplicates, so there should be none).
-- grain: one row per duplicated event id
-- params: none
select event_id, count(*) as copies
from activities
group by event_id
having count(*) > 1
order by event_id
