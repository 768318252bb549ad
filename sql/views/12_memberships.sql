-- The memberships' current state: the rows of the newest snapshot.
-- grain: one row per contact and organization
-- params: none
create or replace view memberships as
select * exclude (valid_to, row_hash) from membership_versions where valid_to is null
