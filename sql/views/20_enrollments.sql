-- Every enrollment: the active ones (as of the last processed window) and the ended ones;
-- `is_holdout`: in its journey's control group (ended at once, reason `holdout`).
-- grain: one row per enrollment
-- params: none
create or replace view enrollments as
select
    enrollment_id, journey_id, journey_version, org_id, entered_at,
    'active' as status, current_step_id, wake_at,
    cast(null as timestamp) as ended_at, cast(null as varchar) as end_reason,
    false as is_holdout
from active_enrollments
union all
select
    enrollment_id, journey_id, journey_version, org_id, entered_at,
    status, current_step_id, cast(null as timestamp) as wake_at, ended_at, end_reason,
    coalesce(is_holdout, false) as is_holdout
from ended_enrollments
