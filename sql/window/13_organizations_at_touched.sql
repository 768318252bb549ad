-- The organizations overlay kept from the window before, brought up to date for the
-- organizations updated since (a backtest, `windows.window.KEPT_STATE`): with the snapshot
-- unchanged, an organization's row depends on its own updates alone, so the rows of the
-- others stand and only these are computed again, by the same relation as
-- `13_organizations_at`. A live run never keeps the overlay, and never runs this.
-- target: organizations_at
-- write: upsert (org_id)
-- when: organizations_touched
-- grain: one row per organization updated in the window before or this one
-- params: $window_start, $window_end
select *
from compiled.organizations_at as o
where o.org_id in (
    select org_id from org_updates where run_at >= $window_start and run_at <= $window_end
)
