-- The per-contact activity rollup's two parts side by side (steps 20 to 22 of sql/window/
-- keep them): a contact and type may have a row in each, and the readers add them up (sum,
-- min, max combine).
-- grain: one row per part, contact and activity type
-- params: none
create or replace view contact_activity_parts as
select contact_id, activity_type, first_at, last_at, events from contact_activity
union all
select contact_id, activity_type, first_at, last_at, events from contact_activity_recent
