-- What one window wrote, in the user-facing terms of `runs.counts` (SPEC section 4): read
-- from the rows the window wrote (those stamped with its end), just before its ledger row.
-- The one home of the mapping from tables to counts; the same statement on every engine.
-- One row per count, in the order of `runs.counts`: as one row of ten scalar subqueries,
-- DuckDB's join-order optimizer spent about 25 ms a window on their cross products.
-- grain: one row per count (count_name)
-- params: $window_end
select 'entered' as count_name, count(*) as n from new_enrollments
union all
select 'held_out', count(*) from new_enrollments where is_holdout
union all
select 'exited', count(*) from ended_enrollments
where ended_at = $window_end and status = 'exited'
union all
select 'completed', count(*) from ended_enrollments
where ended_at = $window_end and status = 'completed' and not is_holdout
union all
select 'sends', count(*) from sends where run_at = $window_end
union all
select 'suppressions', count(*) from suppressions where run_at = $window_end
union all
select 'frequency_capped', count(*) from suppressions
where run_at = $window_end and reason = 'frequency_capped'
union all
select 'conversions', count(*) from conversions where run_at = $window_end
union all
select 'org_updates', count(*) from org_updates where run_at = $window_end
union all
select 'unsubscribes', count(*) from unsubscribes where run_at = $window_end
