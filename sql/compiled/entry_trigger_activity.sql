-- One activity journey's entry trigger: the organizations any of whose contacts has an
-- activity of the entry's type (and `where`) processed in this window, once each.
-- relation: entry_triggers
-- grain: one row per entering organization
-- params: $journey_id, $activity_type, $properties_match, $entry_filter
select distinct
    $journey_id as journey_id,
    o.org_id,
    cast(null as date) as date_value
from trigger_activity_orgs as a
inner join organizations_at as o on o.org_id = a.org_id
where
    a.activity_type = $activity_type
    and $properties_match
    and $entry_filter
