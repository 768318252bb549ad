-- The contacts' current state: the rows of the newest snapshot (custom columns added to
-- contact_versions appear here by themselves).
-- grain: one row per contact
-- params: none
create or replace view contacts as
select * exclude (valid_to, row_hash) from contact_versions where valid_to is null
