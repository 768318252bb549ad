-- Memberships naming an organization that is not in the current state.
-- grain: one row per membership of an unknown organization
-- params: none
select memberships.contact_id, memberships.org_id
from memberships
anti join organizations using (org_id)
order by all
