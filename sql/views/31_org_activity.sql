-- The per-contact rollup summed over the members of each organization as of the end of the
-- last processed window (a view: organizations whose members change are never stale).
-- grain: one row per organization and activity type that any of its members has
-- params: none
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
group by members.org_id, parts.activity_type
