-- One activity journey's triggering contacts this window: the members whose activity of the
-- entry's type (and `where`) processed in this window makes their organization enter; kept
-- for journeys that send to `triggering_contacts`.
-- relation: entry_trigger_contacts
-- grain: one row per organization and triggering contact
-- params: $journey_id, $activity_type, $properties_match
select distinct
    $journey_id as journey_id,
    m.org_id,
    a.contact_id
from window_activities as a
inner join memberships_at as m on m.contact_id = a.contact_id
where
    a.is_trigger
    and a.activity_type = $activity_type
    and $properties_match
