-- The report's funnels: `journey_funnel` in each journey's step order (narrowed to one
-- journey by the caller).
-- grain: one row per journey, version and step
-- params: none
select journey_id, journey_version, position, step_id, reached, sent, suppressed, converted
from journey_funnel
order by journey_id, journey_version, position
