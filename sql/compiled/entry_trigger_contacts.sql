-- One activity journey's triggering contacts this window: the members whose activity of the
-- entry's type (and `where`) processed in this window makes their organization enter; kept
-- for journeys that send to `triggering_contacts`.
-- relation: entry_trigger_contacts
-- grain: one row per organization and triggering contact
-- params: $journey_id, $activity_type, $properties_match
select distinct
    $journey_id as journey_id,
    a.org_id,
    a.contact_id
from trigger_activity_orgs as a
where
    a.activity_type = $activity_type
    and $properties_match
