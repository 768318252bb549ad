-- The report's summary: `journey_summary` (narrowed to one journey by the caller).
-- grain: one row per journey
-- params: none
select journey_id, name, state, entered, active, completed, exited, converted, conversion_rate
from journey_summary
order by journey_id
