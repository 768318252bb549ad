-- What one window wrote, in the user-facing terms of `runs.counts` (SPEC section 4): read
-- from the rows the window wrote (those stamped with its end), just before its ledger row.
-- The one home of the mapping from tables to counts; the same statement on every engine.
-- grain: one row
-- params: $window_end
select
    (select count(*) from new_enrollments) as entered,
    (select count(*) from new_enrollments where is_holdout) as held_out,
    (
        select count(*) from ended_enrollments
        where ended_at = $window_end and status = 'exited'
    ) as exited,
    (
        select count(*) from ended_enrollments
        where ended_at = $window_end and status = 'completed' and not is_holdout
    ) as completed,
    (select count(*) from sends where run_at = $window_end) as sends,
    (select count(*) from suppressions where run_at = $window_end) as suppressions,
    (
        select count(*) from suppressions
        where run_at = $window_end and reason = 'frequency_capped'
    ) as frequency_capped,
    (select count(*) from conversions where run_at = $window_end) as conversions,
    (select count(*) from org_updates where run_at = $window_end) as org_updates,
    (select count(*) from unsubscribes where run_at = $window_end) as unsubscribes
