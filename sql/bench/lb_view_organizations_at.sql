-- The benchmark's lower bound: `organizations_at` on the bound's own connection: the plain
-- copy of the organizations as of the window end.
-- grain: one row per organization
-- params: none
create or replace temp view organizations_at as select * from bench_orgs
