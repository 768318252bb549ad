-- One filter or tags journey's entry level: the organizations that match its entry condition
-- now (its rising edges enter).
-- relation: entry_levels
-- grain: one row per matching organization
-- params: $journey_id, $condition
select
    $journey_id as journey_id,
    o.org_id
from organizations_at as o
where $condition
