-- Recompute the organization rollup for the (organization, type) pairs this window touched:
-- the activity of every contact that belongs to the organization as of the window end.
-- target: org_activity
-- write: upsert (org_id, activity_type)
-- grain: one row per organization and activity type
with touched as (
    select distinct
        memberships_at.org_id,
        window_activities.activity_type
    from window_activities
    inner join memberships_at on memberships_at.contact_id = window_activities.contact_id
)

select
    touched.org_id,
    touched.activity_type,
    min(contact_activity.first_at) as first_at,
    max(contact_activity.last_at) as last_at,
    sum(contact_activity.events) as events,
    count(*) as contacts
from touched
inner join memberships_at on memberships_at.org_id = touched.org_id
inner join contact_activity
    on contact_activity.contact_id = memberships_at.contact_id
    and contact_activity.activity_type = touched.activity_type
group by touched.org_id, touched.activity_type
