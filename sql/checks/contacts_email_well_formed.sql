-- The contacts' email addresses, where set.
-- grain: one row per contact with an email
-- params: none
select contact_id, email from contacts where coalesce(email, '') <> ''
