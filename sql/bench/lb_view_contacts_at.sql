-- The benchmark's lower bound: `contacts_at` on the bound's own connection: the plain
-- copy of the contacts as of the window end.
-- grain: one row per contact
-- params: none
create or replace temp view contacts_at as select * from bench_contacts
