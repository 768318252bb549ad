-- The benchmark's lower bound: a plain table of the contacts' addresses as of the window end
-- (copied from the engine's view, not timed).
-- grain: one row per contact
-- params: none
create or replace table bench_contacts as
select contact_id, email, phone, sms_opt_in from contacts_at
