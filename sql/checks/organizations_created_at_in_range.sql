-- The organizations' creation instants.
-- grain: one row per organization of the current state
-- params: none
select org_id, created_at from organizations
