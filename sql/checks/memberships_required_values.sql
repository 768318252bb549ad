-- The memberships' contact and organization ids, to be present and not blank.
-- grain: one row per membership of the current state
-- params: none
select contact_id, org_id from memberships
