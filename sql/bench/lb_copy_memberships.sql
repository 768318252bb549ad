-- The benchmark's lower bound: a plain table of the memberships as of the window end
-- (copied from the engine's view, not timed).
-- grain: one row per membership
-- params: none
create or replace table bench_memberships as select * from memberships_at
