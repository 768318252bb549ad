-- The report's line chart: per journey and UTC day, the enrollments that entered (by
-- `entered_at`), the messages sent (by `run_at`) and the conversions (by `converted_at`);
-- narrowed to one journey by the caller.
-- grain: one row per journey and day with an entry, a send or a conversion
-- params: none
with happened as (
    select journey_id, cast(entered_at as date) as day, 'entered' as what from enrollments
    union all
    select journey_id, cast(run_at as date), 'sent' from sends
    union all
    select journey_id, cast(converted_at as date), 'converted' from conversions
)

select
    journey_id,
    day,
    count(*) filter (where what = 'entered') as entered,
    count(*) filter (where what = 'sent') as sent,
    count(*) filter (where what = 'converted') as converted
from happened
group by journey_id, day
order by journey_id, day
