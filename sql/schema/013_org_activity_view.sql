-- org_activity becomes a view: the per-contact rollup (contact_activity, maintained window by
-- window) summed over the members of each organization as of the end of the last processed
-- window. Maintaining it as a table made every window re-add all members' activity for every
-- organization its events touched (at scale l, a third of the window), and left organizations
-- whose members changed without new activity stale. Grain: one row per organization and
-- activity type that any of its members has.
drop table if exists org_activity;

create or replace view org_activity as
with last_window as (
    select max(window_end) as window_end from runs
),

members as (
    select membership_versions.contact_id, membership_versions.org_id
    from membership_versions
    cross join last_window
    where
        membership_versions.valid_from <= last_window.window_end
        and (
            membership_versions.valid_to is null
            or membership_versions.valid_to > last_window.window_end
        )
)

select
    members.org_id,
    contact_activity.activity_type,
    min(contact_activity.first_at) as first_at,
    max(contact_activity.last_at) as last_at,
    cast(sum(contact_activity.events) as bigint) as events,
    count(*) as contacts
from contact_activity
inner join members on members.contact_id = contact_activity.contact_id
group by members.org_id, contact_activity.activity_type;
