-- The recipients with the frequency caps applied (SPEC section 3, Delivery rules): the run's
-- would-be sends (no other reason to suppress them) of journeys not exempt compete per contact
-- and channel, in the order journey priority (higher first), journey id, step position,
-- send_id; each cap of the channel allows its `max_sends` less the sends that already counted
-- in its period (the calendar day or week of the run, `period_start` onwards), so the first
-- sends up to the smallest allowance are made and the rest are `frequency_capped`.
-- `counts_toward_caps`: whether a send counts against later ones (not for exempt journeys).
-- target: capped_recipients
-- write: temp
-- grain: one row per send step executed and contact addressed
with candidates as (
    select
        recipients.send_id,
        recipients.contact_id,
        recipients.channel,
        row_number() over (
            partition by recipients.contact_id, recipients.channel
            order by
                journey_steps.priority desc,
                recipients.journey_id,
                journey_steps.position,
                recipients.send_id
        ) as competing_rank
    from recipients
    inner join journey_steps
        on journey_steps.journey_id = recipients.journey_id
        and journey_steps.journey_version = recipients.journey_version
        and journey_steps.step_id = recipients.step_id
    where
        recipients.reason is null
        and not journey_steps.cap_exempt
        and recipients.channel in (select channel from delivery_caps)
),

earlier as (
    select
        sends.contact_id,
        delivery_caps.cap_no,
        count(*) as sent
    from delivery_caps
    inner join sends
        on sends.channel = delivery_caps.channel
        and sends.run_at >= delivery_caps.period_start
    where
        sends.counts_toward_caps
        and sends.contact_id in (select contact_id from candidates)
    group by sends.contact_id, delivery_caps.cap_no
),

allowances as (
    select
        competing.contact_id,
        competing.channel,
        min(delivery_caps.max_sends - coalesce(earlier.sent, 0)) as allowance
    from (select distinct contact_id, channel from candidates) as competing
    inner join delivery_caps on delivery_caps.channel = competing.channel
    left join earlier
        on earlier.contact_id = competing.contact_id
        and earlier.cap_no = delivery_caps.cap_no
    group by competing.contact_id, competing.channel
),

capped as (
    select candidates.send_id
    from candidates
    inner join allowances
        on allowances.contact_id = candidates.contact_id
        and allowances.channel = candidates.channel
    where candidates.competing_rank > allowances.allowance
)

select
    recipients.send_id,
    recipients.journey_id,
    recipients.journey_version,
    recipients.step_id,
    recipients.enrollment_id,
    recipients.org_id,
    recipients.contact_id,
    recipients.channel,
    recipients.address,
    recipients.template,
    case
        when recipients.reason is not null then recipients.reason
        when capped.send_id is not null then 'frequency_capped'
    end as reason,
    not journey_steps.cap_exempt as counts_toward_caps
from recipients
inner join journey_steps
    on journey_steps.journey_id = recipients.journey_id
    and journey_steps.journey_version = recipients.journey_version
    and journey_steps.step_id = recipients.step_id
left join capped on capped.send_id = recipients.send_id
