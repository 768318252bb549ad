-- Memberships naming a contact that is not in the current state.
-- grain: one row per membership of an unknown contact
-- params: none
select memberships.contact_id, memberships.org_id
from memberships
anti join contacts using (contact_id)
order by all
