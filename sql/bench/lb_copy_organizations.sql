-- The benchmark's lower bound: a plain table of the organizations as of the window end
-- (copied from the engine's view, not timed).
-- grain: one row per organization
-- params: none
create or replace table bench_orgs as select * from org_snapshot_at
