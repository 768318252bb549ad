-- One journey's scheduled entry (a recurring instant or an anniversary in this window): the
-- organizations that meet its condition at the instant.
-- relation: entry_triggers
-- grain: one row per entering organization
-- params: $journey_id, $condition
select
    $journey_id as journey_id,
    o.org_id,
    cast(null as date) as date_value
from organizations_at as o
where $condition
