-- The benchmark's lower bound, part 3: one journey's entry condition over the organizations
-- (a branch of `lb_entries`).
-- grain: one row per matching organization
-- params: $journey_id, $condition
select $journey_id as journey_id, o.org_id
from organizations_at as o
where $condition
