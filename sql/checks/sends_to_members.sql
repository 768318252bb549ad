-- Sends to a contact that was not a member of the enrolled organization as of the send's run
-- (or whose enrollment is unknown, or names another organization).
-- grain: one row per send outside its organization
-- params: $since, $until
with scoped_sends as (
    select send_id, run_at, journey_id, enrollment_id, org_id, contact_id
    from sends
    where run_at > $since and run_at <= $until
)

select
    scoped_sends.send_id,
    scoped_sends.run_at,
    scoped_sends.journey_id,
    scoped_sends.org_id,
    scoped_sends.contact_id,
    enrollments.org_id as enrolled_org_id
from scoped_sends
left join enrollments on enrollments.enrollment_id = scoped_sends.enrollment_id
where
    enrollments.org_id is distinct from scoped_sends.org_id
    or not exists (
        select 1
        from membership_versions
        where
            membership_versions.contact_id = scoped_sends.contact_id
            and membership_versions.org_id = scoped_sends.org_id
            and membership_versions.valid_from <= scoped_sends.run_at
            and (
                membership_versions.valid_to is null
                or membership_versions.valid_to > scoped_sends.run_at
            )
    )
order by scoped_sends.run_at, scoped_sends.send_id
