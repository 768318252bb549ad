-- The report's funnel graph: per journey version and step, the enrollments still active at
-- it and those that exited there (by reason), and per version the enrollments of its holdout
-- (`step_id` null); narrowed to one journey by the caller.
-- grain: one row per journey version, step (or none), status and end reason
-- params: none
select
    journey_id,
    journey_version,
    current_step_id as step_id,
    status,
    coalesce(end_reason, '') as end_reason,
    count(*) as enrollments
from enrollments
where status <> 'completed' or is_holdout
group by all
order by journey_id, journey_version, step_id nulls first, status, end_reason
