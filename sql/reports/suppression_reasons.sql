-- The report's suppressions: per journey, how many messages each reason kept from being sent
-- (narrowed to one journey by the caller).
-- grain: one row per journey and reason
-- params: none
select journey_id, reason, count(*) as suppressed
from suppressions
group by journey_id, reason
order by journey_id, suppressed desc, reason
