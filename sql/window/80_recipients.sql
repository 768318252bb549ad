-- Everyone each executed send step addresses: the members of the organization as of the run
-- that pass the step's (or journey's) `send_to` filter, with the reason each is suppressed, if
-- any — global unsubscribe, audience unsubscribe, no address, no SMS opt-in, in that order.
-- The audience is that of the enrollment's version (an enrollment stays on the version it
-- entered, whatever the current version's `unsubscribe` says).
-- target: recipients
-- write: temp
-- grain: one row per send step executed and contact addressed
-- params: $window_key
select
    md5(
        addressed.enrollment_id || '|' || addressed.step_id || '|' || addressed.contact_id
        || '|' || $window_key
    ) as send_id,
    addressed.journey_id,
    addressed.journey_version,
    addressed.step_id,
    addressed.enrollment_id,
    addressed.org_id,
    addressed.contact_id,
    journey_steps.channel,
    case when journey_steps.channel = 'email' then addressed.email else addressed.phone end
        as address,
    journey_steps.template,
    case
        when global_unsubscribe.contact_id is not null then 'unsubscribed_global'
        when audience_unsubscribe.contact_id is not null then 'unsubscribed_audience'
        when journey_steps.channel = 'email' and coalesce(addressed.email, '') = '' then 'no_email'
        when journey_steps.channel = 'sms' and coalesce(addressed.phone, '') = '' then 'no_phone'
        when journey_steps.channel = 'sms' and not coalesce(addressed.sms_opt_in, false)
            then 'sms_not_opted_in'
    end as reason
from compiled.addressed_contacts as addressed
inner join journey_steps
    on journey_steps.journey_id = addressed.journey_id
    and journey_steps.journey_version = addressed.journey_version
    and journey_steps.step_id = addressed.step_id
left join unsubscribed_contacts as global_unsubscribe
    on global_unsubscribe.contact_id = addressed.contact_id
    and global_unsubscribe.audience = '*'
left join unsubscribed_contacts as audience_unsubscribe
    on audience_unsubscribe.contact_id = addressed.contact_id
    and audience_unsubscribe.audience = journey_steps.unsubscribe_audience
