-- Whether a window's organizations overlay must take in updates the one of the window before
-- did not: those of its walk (their run_at is that window's end, the start of this one) and
-- any whose run_at falls in this window; `13_organizations_at_touched` computes the rows of
-- their organizations again.
-- grain: one row
-- params: $window_start, $window_end
select exists (
    select 1 from org_updates where run_at >= $window_start and run_at <= $window_end
) as updated
