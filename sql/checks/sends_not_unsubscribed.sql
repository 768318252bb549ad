-- Sends to a contact unsubscribed when its run decided it: globally ('*'), or from the
-- audience of the journey version the send's enrollment is on (`sends.journey_version`: an
-- enrollment stays on the version it entered, as sql/window/80_recipients.sql). The rule of
-- sql/window/36_unsubscribed_contacts.sql over history: an unsubscribe counts if it occurred
-- before the send's run and was processed by that run or an earlier one; the CRM's rows are
-- those as of the run; per contact and audience the later of the two wins. A run saw the
-- subscriptions loaded by then: where a subscriptions snapshot in effect at the run was
-- loaded after it (history rewritten by a late file), today's history is not what the run
-- saw, and its sends are not judged (as `sends_to_members.sql` does with memberships).
-- grain: one row per send and audience it was unsubscribed from
-- params: $since, $until
with scoped_sends as (
    select send_id, run_at, journey_id, journey_version, contact_id
    from sends
    where
        run_at > $since and run_at <= $until
        and not exists (
            select 1
            from runs
            inner join snapshot_files
                on
                    snapshot_files.kind = 'subscriptions'
                    and snapshot_files.snapshot_at <= runs.window_end
                    and snapshot_files.load_seq > runs.load_seq_through
            where runs.window_end = sends.run_at
        )
),

send_audiences as (
    select send_id, run_at, journey_id, contact_id, '*' as audience
    from scoped_sends
    union all
    select
        scoped_sends.send_id,
        scoped_sends.run_at,
        scoped_sends.journey_id,
        scoped_sends.contact_id,
        json_extract_string(journeys.definition, '$.unsubscribe.audience') as audience
    from scoped_sends
    inner join journeys
        on journeys.journey_id = scoped_sends.journey_id
        and journeys.version = scoped_sends.journey_version
    where json_extract_string(journeys.definition, '$.unsubscribe.audience') is not null
),

latest_unsubscribe as (
    select
        send_audiences.send_id,
        send_audiences.audience,
        max(unsubscribes.unsubscribed_at) as unsubscribed_at
    from send_audiences
    inner join unsubscribes
        on unsubscribes.contact_id = send_audiences.contact_id
        and unsubscribes.audience = send_audiences.audience
        and unsubscribes.unsubscribed_at < send_audiences.run_at
        and unsubscribes.run_at <= send_audiences.run_at
    group by all
),

snapshot_in_effect as (
    select run_ats.run_at, max(snapshot_files.snapshot_at) as snapshot_at
    from (select distinct run_at from scoped_sends) as run_ats
    inner join snapshot_files
        on snapshot_files.kind = 'subscriptions' and snapshot_files.snapshot_at <= run_ats.run_at
    group by all
),

crm_rows as (
    select
        send_audiences.send_id,
        send_audiences.audience,
        subscription_versions.status,
        snapshot_in_effect.snapshot_at
    from send_audiences
    inner join snapshot_in_effect on snapshot_in_effect.run_at = send_audiences.run_at
    inner join subscription_versions
        on subscription_versions.contact_id = send_audiences.contact_id
        and subscription_versions.audience = send_audiences.audience
        and subscription_versions.valid_from <= send_audiences.run_at
        and (
            subscription_versions.valid_to is null
            or subscription_versions.valid_to > send_audiences.run_at
        )
)

select
    send_audiences.send_id,
    send_audiences.run_at,
    send_audiences.journey_id,
    send_audiences.contact_id,
    send_audiences.audience,
    latest_unsubscribe.unsubscribed_at,
    crm_rows.status as crm_status
from send_audiences
left join latest_unsubscribe
    on latest_unsubscribe.send_id = send_audiences.send_id
    and latest_unsubscribe.audience = send_audiences.audience
left join crm_rows
    on crm_rows.send_id = send_audiences.send_id and crm_rows.audience = send_audiences.audience
where
    (
        latest_unsubscribe.unsubscribed_at is not null
        and (
            crm_rows.status is null
            or crm_rows.status = 'unsubscribed'
            or latest_unsubscribe.unsubscribed_at > crm_rows.snapshot_at
        )
    )
    or (latest_unsubscribe.unsubscribed_at is null and crm_rows.status = 'unsubscribed')
order by send_audiences.run_at, send_audiences.send_id
