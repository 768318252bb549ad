-- How many organization updates one window made (a window with none writes no file).
-- grain: one row
-- params: $window_end
select count(*) as org_updates from org_updates where run_at = $window_end
