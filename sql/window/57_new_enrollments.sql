-- The enrollments that start this run: candidates that exist, are not in the global holdout,
-- do not match the journey's exit filter, and that the journey's frequency admits (counted
-- across versions). An organization's holdout buckets are the first 32 bits of md5 of the
-- journey and organization (of the organization alone, for the global holdout) modulo
-- 10,000; below the threshold (the percent in hundredths) it is held out: in the journey's
-- control group (`is_holdout`), or, globally, entering no journey.
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
    $window_end as entered_at,
    cast(
        ('0x' || substr(md5(entry_candidates.journey_id || '|' || entry_candidates.org_id), 1, 8))
        as bigint
    ) % 10000 < coalesce(run_journeys.holdout_threshold, 0) as is_holdout
from entry_candidates
inner join run_journeys on run_journeys.journey_id = entry_candidates.journey_id
inner join organizations_at on organizations_at.org_id = entry_candidates.org_id
where
    run_journeys.state = 'published'
    and cast(('0x' || substr(md5(entry_candidates.org_id), 1, 8)) as bigint) % 10000
    >= coalesce((select max(global_holdout_threshold) from delivery_settings), 0)
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
