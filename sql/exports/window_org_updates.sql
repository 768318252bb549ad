-- One window's organization updates for CRM writeback, in the order they were made, so that
-- applying them in file order gives the final state.
-- grain: one row per update
-- params: $window_end
select run_at, org_id, journey_id, enrollment_id, step_id, kind, name, value
from org_updates
where run_at = $window_end
order by step_seq, enrollment_id, seq, run_at
