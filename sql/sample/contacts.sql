-- The contacts snapshot as of $snapshot_at, with gaps (no email, no phone).
-- grain: one row per contact
-- params: $first_names, $seed, $last_names, $contacts, $contact_digits, $domains, $dial_codes, $roles, $snapshot_at
with draws as (
    select
        k,
        sample_pick($first_names, sample_u($seed, 0, k, 201)) as first_name,
        sample_pick($last_names, sample_u($seed, 0, k, 202)) as last_name,
        sample_u($seed, 0, k, 203) as u_email,
        sample_u($seed, 0, k, 204) as u_phone
    from range(1, $contacts + 1) r(k)
)
select
    'c-' || lpad(k::varchar, $contact_digits, '0') as contact_id,
    case when u_email >= 0.04 then
        regexp_replace(strip_accents(lower(first_name || '.' || last_name)), '[^a-z.]', '', 'g')
        || '.' || k::varchar || '@' || sample_pick($domains, sample_u($seed, 0, k, 205))
    end as email,
    case when u_phone >= 0.25 then
        sample_pick($dial_codes, sample_u($seed, 0, k, 206))
        || lpad(floor(sample_u($seed, 0, k, 207) * 1e9)::bigint::varchar, 9, '0')
    end as phone,
    first_name,
    last_name,
    list_filter(
        [
            case when sample_u($seed, 0, k, 211) < 0.12 then 'decision-maker' end,
            case when sample_u($seed, 0, k, 212) < 0.08 then 'champion' end,
            case when sample_u($seed, 0, k, 213) < 0.15 then 'newsletter' end,
            case when sample_u($seed, 0, k, 214) < 0.05 then 'billing-contact' end,
            case when sample_u($seed, 0, k, 215) < 0.20 then 'technical' end
        ],
        lambda tag: tag is not null
    ) as tags,
    sample_u($seed, 0, k, 221) < case when u_phone >= 0.25 then 0.55 else 0.03 end as sms_opt_in,
    sample_pick($roles, sample_u($seed, 0, k, 222)) as role,
    floor(sample_u($seed, 0, k, 223) * 101)::integer as lead_score,
    $snapshot_at as snapshot_at
from draws
