-- The benchmark's lower bound: the contacts unsubscribed from everything (copied from the
-- engine's view, not timed).
-- grain: one row per unsubscribed contact
-- params: none
create or replace table bench_unsubscribed as
select contact_id from unsubscribed_contacts where audience = '*'
