-- The enrollments that start this run: candidates that exist, do not match the journey's exit
-- filter, and that the journey's frequency admits (counted across versions).
-- target: new_enrollments
-- write: temp
-- grain: one row per new enrollment
-- params: $window_end, $window_key
select
    md5(entry_candidates.journey_id || '|' || entry_candidates.org_id || '|' || $window_key)
        as enrollment_id,
    entry_candidates.journey_id,
    run_journeys.version as journey_version,
    entry_candidates.org_id,
    $window_end as entered_at
from entry_candidates
inner join run_journeys on run_journeys.journey_id = entry_candidates.journey_id
inner join organizations_at on organizations_at.org_id = entry_candidates.org_id
where
    run_journeys.state = 'published'
    and not exists (
        select 1
        from compiled.exit_blocked as exit_blocked
        where exit_blocked.journey_id = entry_candidates.journey_id
            and exit_blocked.org_id = entry_candidates.org_id
    )
    and (
        run_journeys.frequency = 'every_time'
        or (
            run_journeys.frequency = 'once_at_a_time'
            and not exists (
                select 1
                from active_enrollments
                where active_enrollments.journey_id = entry_candidates.journey_id
                    and active_enrollments.org_id = entry_candidates.org_id
                    and active_enrollments.enrollment_id not in (
                        select enrollment_id from enrollment_exits
                    )
            )
        )
        or (
            run_journeys.frequency = 'once'
            and not exists (
                select 1
                from active_enrollments
                where active_enrollments.journey_id = entry_candidates.journey_id
                    and active_enrollments.org_id = entry_candidates.org_id
            )
            and not exists (
                select 1
                from ended_enrollments
                where ended_enrollments.journey_id = entry_candidates.journey_id
                    and ended_enrollments.org_id = entry_candidates.org_id
            )
        )
    )
