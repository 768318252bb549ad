-- The report's funnel graph: per journey version, how many times enrollments went along each
-- edge. Consecutive steps reached by one enrollment (in `reached_at`, then walk-pass order)
-- are one traversal of the edge between them; its first step is the edge from the entry
-- (`from_step` null); a completed enrollment went from its last step to `end`. A send step
-- that a send window held is recorded again when it sends: that second row is no move.
-- grain: one row per journey version and edge traversed at least once
-- params: $held
with reached as (
    select
        journey_id,
        journey_version,
        step_id,
        outcome,
        lag(step_id) over visits as previous_step,
        lag(outcome) over visits as previous_outcome
    from enrollment_steps
    window visits as (partition by enrollment_id order by reached_at, step_seq)
),

moves as (
    select journey_id, journey_version, previous_step as from_step, step_id as to_step
    from reached
    where previous_step is distinct from step_id or previous_outcome is distinct from $held
    union all
    select journey_id, journey_version, current_step_id, 'end'
    from enrollments
    where status = 'completed' and end_reason = 'completed'
)

select journey_id, journey_version, from_step, to_step, count(*) as traversals
from moves
group by journey_id, journey_version, from_step, to_step
order by journey_id, journey_version, from_step nulls first, to_step
