-- An empty list of the send steps executed this run; the walk appends to it.
-- target: send_intents
-- write: temp
-- grain: one row per enrollment and send step executed this run
select
    enrollment_id,
    journey_id,
    journey_version,
    org_id,
    step_id
from walk
where false
