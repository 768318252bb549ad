-- One journey version's attribution activities: the activities of the attribution type (and
-- `where`) processed this window, with their organization, the span they convert within and
-- whether they exit the enrollment. Recorded whatever the journey's state.
-- relation: conversion_activities
-- grain: one row per activity and organization of its contact
-- params: $journey_id, $journey_version, $within, $exits, $activity_type, $properties_match
select
    $journey_id as journey_id,
    $journey_version as journey_version,
    a.org_id,
    a.event_id,
    a.contact_id,
    a.occurred_at,
    $within as within,
    $exits as exits
from trigger_activity_orgs as a
where
    a.activity_type = $activity_type
    and $properties_match
