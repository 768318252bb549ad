-- A backtest's funnel: per step of the journey, in its order, the enrollments that reached
-- it, the sends and suppressions it made and the conversions whose last step it was.
-- grain: one row per step
-- params: $journey_id
select step_id, reached, sent, suppressed, converted
from journey_funnel
where journey_id = $journey_id
order by position
