-- Organization updates made by tag_org and update_org steps in this iteration; later steps
-- and filters see them through `organizations_live`.
-- target: org_updates
-- write: append
-- grain: one row per tag added or removed, or field set
-- params: $window_end, $walk_pass
select
    $window_end as run_at,
    walk_ready.org_id,
    walk_ready.journey_id,
    walk_ready.enrollment_id,
    walk_ready.step_id,
    step_updates.kind,
    step_updates.name,
    step_updates.value,
    step_updates.seq,
    $walk_pass as step_seq
from walk_ready
inner join step_updates
    on step_updates.journey_id = walk_ready.journey_id
    and step_updates.journey_version = walk_ready.journey_version
    and step_updates.step_id = walk_ready.step_id
