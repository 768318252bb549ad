-- The benchmark's lower bound: `memberships_at` on the bound's own connection: the plain
-- copy of the memberships as of the window end.
-- grain: one row per membership
-- params: none
create or replace temp view memberships_at as select * from bench_memberships
