-- The benchmark's lower bound, part 2 (`triggers`): the rollup joined to the journeys'
-- activity triggers: entries (any organization) and, through the active enrollments,
-- wait_for steps and attribution.
-- grain: one row per triggered journey and organization (and enrollment)
-- params: none
create or replace temp table lb_triggered as
select t.journey_id, r.org_id, cast(null as varchar) as enrollment_id
from lb_rollup as r
inner join lb_triggers as t on t.activity_type = r.activity_type and t.kind = 'entry'
union all
select e.journey_id, e.org_id, e.enrollment_id
from active_enrollments as e
inner join lb_triggers as t on t.journey_id = e.journey_id and t.kind = 'enrollment'
inner join lb_rollup as r on r.org_id = e.org_id and r.activity_type = t.activity_type
