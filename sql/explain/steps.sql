-- The steps an organization's enrollments reached by an instant, with their outcome (the
-- branch taken, the wait's result), in the order reached.
-- grain: one row per step reached
-- params: $org_id, $journey_id, $at
select enrollment_id, step_id, reached_at, outcome
from enrollment_steps
where
    org_id = $org_id
    and ($journey_id is null or journey_id = $journey_id)
    and reached_at <= $at
order by reached_at, step_seq
