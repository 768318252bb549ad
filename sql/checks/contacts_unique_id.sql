-- The contacts' ids, to be present, unique and not blank.
-- grain: one row per contact of the current state
-- params: none
select contact_id, email from contacts
