-- Each contact an organization's enrollments sent to or suppressed by an instant: the send
-- (reason null) or the suppression with its reason.
-- grain: one row per send or suppression
-- params: $org_id, $journey_id, $at
select enrollment_id, step_id, run_at, contact_id, channel, address, template,
    cast(null as varchar) as reason
from sends
where org_id = $org_id and ($journey_id is null or journey_id = $journey_id) and run_at <= $at
union all
select enrollment_id, step_id, run_at, contact_id, channel, address, template, reason
from suppressions
where org_id = $org_id and ($journey_id is null or journey_id = $journey_id) and run_at <= $at
order by run_at, step_id, contact_id
