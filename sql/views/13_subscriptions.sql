-- The subscriptions' current state: the rows of the newest snapshot.
-- grain: one row per contact and audience
-- params: none
create or replace view subscriptions as
select * exclude (valid_to, row_hash) from subscription_versions where valid_to is null
