-- Activity rows. Each segment is one hour with a run of row numbers [first, first + events);
-- its rows get increasing times spread over the hour. Rows of segments that are not `own`
-- (the previous day's last hours) are only the few delivered again. The type is
-- $activity_type_choice, a CASE over the draw u_type; properties are JSON text per type.
-- grain: one row per activity row written (an event, or its re-delivery)
-- params: $hour_us, $firsts, $counts, $owns, $seed, $stream, $redelivered_share, $active_share, $contacts, $activity_prime, $activity_offset, $activity_type_choice, $id_prefix, $id_digits, $contact_digits, $urls, $email_templates, $bounces, $sms_templates, $forms, $skus, $renewal_plans, $webinars, $products, $unsubscribe_sources
with segments as (
    select
        unnest($hour_us) as hour_us,
        unnest($firsts) as first,
        unnest($counts) as events,
        unnest($owns) as own
),
rows as (
    select hour_us, first, events, i
    from (
        select *, unnest(range(first, first + events)) as i from segments where events > 0
    )
    where own or sample_u($seed, $stream, i, 901) < $redelivered_share
),
draws as (
    select
        i,
        hour_us + floor((i - first + sample_u($seed, $stream, i, 902)) * 3600 / events)::bigint
            * 1000000 as occurred_us,
        (
            case when sample_u($seed, $stream, i, 903) < $active_share
                then floor($contacts * pow(sample_u($seed, $stream, i, 904), 2))
                else floor($contacts * sample_u($seed, $stream, i, 904))
            end::bigint * $activity_prime + $activity_offset
        ) % $contacts + 1 as contact_index,
        sample_u($seed, $stream, i, 905) as u_type,
        sample_u($seed, $stream, i, 906) as u_a,
        sample_u($seed, $stream, i, 907) as u_b
    from rows
),
typed as (
    select *, $activity_type_choice as activity_type from draws
)
select
    $id_prefix || lpad(i::varchar, $id_digits, '0') as event_id,
    'c-' || lpad(contact_index::varchar, $contact_digits, '0') as contact_id,
    activity_type,
    make_timestamp(occurred_us) as occurred_at,
    case activity_type
        when 'page_viewed' then
            '{"url":"' || sample_pick($urls, u_a) || '","duration_s":'
            || floor(u_b * 300)::bigint::varchar || '}'
        when 'email_clicked' then
            '{"template":"' || sample_pick($email_templates, u_a) || '","url":"'
            || sample_pick($urls, u_b) || '"}'
        when 'email_bounced' then
            '{"template":"' || sample_pick($email_templates, u_a) || '","bounce":"'
            || sample_pick($bounces, u_b) || '"}'
        when 'sms_sent' then '{"template":"' || sample_pick($sms_templates, u_a) || '"}'
        when 'form_submitted' then '{"form":"' || sample_pick($forms, u_a) || '"}'
        when 'purchase' then
            '{"value":' || format('{:.2f}', 5 + floor(u_b * 49500) / 100)
            || ',"currency":"USD","sku":"' || sample_pick($skus, u_a) || '"}'
        when 'renewal_paid' then
            '{"value":' || format('{:.2f}', 500 + floor(u_b * 4950000) / 100)
            || ',"currency":"USD","plan":"' || sample_pick($renewal_plans, u_a) || '"}'
        when 'webinar_attended' then
            '{"webinar":"' || sample_pick($webinars, u_a) || '","minutes":'
            || floor(u_b * 90)::bigint::varchar || '}'
        when 'demo_requested' then
            '{"form":"demo-request","product":"' || sample_pick($products, u_a) || '"}'
        when 'unsubscribed' then
            '{"source":"' || sample_pick($unsubscribe_sources, u_a) || '"}'
        else '{"template":"' || sample_pick($email_templates, u_a) || '"}'
    end as properties
from typed
