-- The benchmark's lower bound: a plain table of the contacts as of the window end, with the
-- fields the `send_to` filters read (copied from the engine's view, not timed).
-- grain: one row per contact
-- params: none
create or replace table bench_contacts as
select * from contacts_at
