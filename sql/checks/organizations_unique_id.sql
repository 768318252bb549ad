-- The organizations' ids, to be present, unique and not blank.
-- grain: one row per organization of the current state
-- params: none
select org_id, name from organizations
