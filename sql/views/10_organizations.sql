-- The organizations' current state: the rows of the newest snapshot (custom columns added to
-- organization_versions appear here by themselves).
-- grain: one row per organization
-- params: none
create or replace view organizations as
select * exclude (valid_to, row_hash) from organization_versions where valid_to is null
