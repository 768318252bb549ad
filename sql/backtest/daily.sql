-- What a backtest did per UTC day (of the instants the engine stamped: entered_at, run_at,
-- ended_at; a conversion's own converted_at): entries, sends, suppressions, exits,
-- completions and conversions.
-- grain: one row per UTC day with any of them
-- params: $journey_id
with outcomes as (
    select cast(entered_at as date) as day, 'entered' as kind
    from enrollments where journey_id = $journey_id
    union all
    select cast(run_at as date), 'sent' from sends where journey_id = $journey_id
    union all
    select cast(run_at as date), 'suppressed' from suppressions where journey_id = $journey_id
    union all
    select cast(ended_at as date), status
    from ended_enrollments where journey_id = $journey_id
    union all
    select cast(converted_at as date), 'converted'
    from conversions where journey_id = $journey_id
)

select
    day,
    count(*) filter (where kind = 'entered') as entered,
    count(*) filter (where kind = 'sent') as sent,
    count(*) filter (where kind = 'suppressed') as suppressed,
    count(*) filter (where kind = 'exited') as exited,
    count(*) filter (where kind = 'completed') as completed,
    count(*) filter (where kind = 'converted') as converted
from outcomes
group by day
order by day
