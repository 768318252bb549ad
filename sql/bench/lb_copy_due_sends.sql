-- The benchmark's lower bound: the send steps due this window, as the engine found them, with
-- their channel, the audience of their version, and what the frequency caps rank them by
-- (copied, not timed).
-- grain: one row per due send step of an enrollment
-- params: none
create or replace table bench_due_sends as
select
    i.enrollment_id,
    i.journey_id,
    i.org_id,
    i.step_id,
    s.channel,
    s.unsubscribe_audience,
    s.priority,
    s.position,
    s.cap_exempt
from send_intents as i
inner join journey_steps as s
    on s.journey_id = i.journey_id and s.journey_version = i.journey_version
    and s.step_id = i.step_id
