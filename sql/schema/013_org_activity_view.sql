-- org_activity becomes a view: the per-contact rollup (contact_activity and
-- contact_activity_recent, maintained window by window) summed over the members of each
-- organization as of the end of the last processed window. Maintaining it as a table made
-- every window re-add all members' activity for every organization its events touched (at
-- scale l, a third of the window), and left organizations whose members changed without new
-- activity stale. Grain: one row per organization and activity type that any of its members
-- has.
drop table if exists org_activity;

-- The rollup's two parts side by side (steps 20 to 22 of sql/window/ keep them): a contact and
-- type may have a row in each, and the readers add them up (sum, min, max combine).
create or replace view contact_activity_parts as
select contact_id, activity_type, first_at, last_at, events from contact_activity
union all
select contact_id, activity_type, first_at, last_at, events from contact_activity_recent;

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
    parts.activity_type,
    min(parts.first_at) as first_at,
    max(parts.last_at) as last_at,
    cast(sum(parts.events) as bigint) as events,
    count(distinct parts.contact_id) as contacts
from contact_activity_parts as parts
inner join members on members.contact_id = parts.contact_id
group by members.org_id, parts.activity_type;
