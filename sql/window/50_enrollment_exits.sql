-- Active enrollments that end before any step runs, in the contract's order: deleted
-- organizations, archived journeys, exit filters, conversions recorded this run (when the
-- version exits on conversion). Paused, draft and stopped journeys keep theirs.
-- target: enrollment_exits
-- write: temp
-- grain: one row per exiting enrollment
select
    active_enrollments.enrollment_id,
    active_enrollments.journey_id,
    active_enrollments.journey_version,
    active_enrollments.org_id,
    active_enrollments.entered_at,
    active_enrollments.current_step_id,
    case
        when organizations_at.org_id is null then 'org_deleted'
        when run_journeys.state = 'archived' then 'archived'
        when exit_matches.enrollment_id is not null then 'exit_criteria'
        else 'converted'
    end as end_reason
from active_enrollments
inner join run_journeys on run_journeys.journey_id = active_enrollments.journey_id
left join organizations_at on organizations_at.org_id = active_enrollments.org_id
left join compiled.exit_matches as exit_matches
    on exit_matches.enrollment_id = active_enrollments.enrollment_id
left join new_conversions
    on new_conversions.enrollment_id = active_enrollments.enrollment_id
    and new_conversions.exits
where
    run_journeys.state = 'archived'
    or (
        run_journeys.state = 'published'
        and (
            organizations_at.org_id is null
            or exit_matches.enrollment_id is not null
            or new_conversions.enrollment_id is not null
        )
    )
