-- Activities missing a required value: event_id, contact_id, activity_type or occurred_at.
-- grain: one row per activity missing a value (the first thousand)
-- params: none
select event_id, contact_id, activity_type, occurred_at
from activities
where
    coalesce(trim(event_id), '') = ''
    or coalesce(trim(contact_id), '') = ''
    or coalesce(trim(activity_type), '') = ''
    or occurred_at is null
order by event_id
limit 1000
