-- The contacts' phone numbers, where set.
-- grain: one row per contact with a phone
-- params: none
select contact_id, phone from contacts where coalesce(phone, '') <> ''
