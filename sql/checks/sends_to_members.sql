-- Sends to a contact that was not a member of the enrolled organization as of the send's run
-- (or whose enrollment is unknown, or names another organization). A run saw the memberships
-- loaded by then: where a memberships snapshot in effect at the run was loaded after it
-- (history rewritten by a late file), today's history is not what the run saw, and the
-- membership of its sends is not judged.
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
        from runs
        inner join snapshot_files
            on
                snapshot_files.kind = 'memberships'
                and snapshot_files.snapshot_at <= runs.window_end
                and snapshot_files.load_seq > runs.load_seq_through
        where runs.window_end = scoped_sends.run_at
    )
    and not exists (
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
