-- The send steps that acted in this iteration; recipients are expanded after the walk.
-- target: send_intents
-- write: append
-- grain: one row per enrollment and send step
select enrollment_id, journey_id, journey_version, org_id, step_id
from walk_ready
where is_send
