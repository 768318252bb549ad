-- The benchmark's lower bound: the contacts unsubscribed, from everything (audience '*') or
-- from one audience (copied from the engine's view, not timed).
-- grain: one row per unsubscribed contact and audience
-- params: none
create or replace table bench_unsubscribed as
select contact_id, audience from unsubscribed_contacts
