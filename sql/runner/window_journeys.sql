-- What the window just computed did per journey: entries, sends and suppressions (read before
-- its commit, for a dry run's report).
-- grain: one row per journey with any of them
select
    journey_id,
    count(*) filter (where kind = 'entered') as entered,
    count(*) filter (where kind = 'sent') as sent,
    count(*) filter (where kind = 'suppressed') as suppressed
from (
    select journey_id, 'entered' as kind from new_enrollments
    union all
    select
        journey_id,
        case when reason is null then 'sent' else 'suppressed' end as kind
    from capped_recipients
) as outcomes
group by journey_id
order by journey_id
