-- The organizations snapshot as of $snapshot_at: plan, tier, status, tags, time zone
-- ($timezone_choice, a CASE over the draw u_timezone) and typed custom fields (renewal dates
-- around the end, signup dates some on 29 February). Reads org_plan.
-- grain: one row per organization
-- params: $seed, $leap_share, $leap_days, $signup_from, $signup_span_days, $org_digits, $name_heads, $name_cores, $name_suffixes, $timezone_choice, $renewal_from, $renewal_span_days, $industries, $snapshot_at
with draws as (
    select
        j,
        is_tail,
        member_count,
        sample_u($seed, 0, j, 111) as u_plan,
        sample_u($seed, 0, j, 112) as u_tier,
        sample_u($seed, 0, j, 113) as u_status,
        sample_u($seed, 0, j, 114) as u_timezone,
        sample_u($seed, 0, j, 115) as u_signup,
        sample_u($seed, 0, j, 116) as u_leap,
        sample_u($seed, 0, j, 117) as u_seats,
        sample_u($seed, 0, j, 118) as u_renewal
    from org_plan
),
fields as (
    select
        *,
        case
            when is_tail then case when u_plan < 0.55 then 'enterprise' else 'pro' end
            when u_plan < 0.30 then 'free'
            when u_plan < 0.68 then 'starter'
            when u_plan < 0.95 then 'pro'
            else 'enterprise'
        end as plan,
        case
            when u_status < 0.66 then 'active'
            when u_status < 0.78 then 'trial'
            when u_status < 0.86 then 'churned'
            else 'renewed'
        end as status,
        case
            when u_leap < $leap_share then sample_pick($leap_days, u_signup)
            else $signup_from + floor(u_signup * $signup_span_days)::integer
        end as signup_date
    from draws
)
select
    'org-' || lpad(j::varchar, $org_digits, '0') as org_id,
    trim(
        sample_pick($name_heads, sample_u($seed, 0, j, 121)) || ' '
        || sample_pick($name_cores, sample_u($seed, 0, j, 122)) || ' '
        || sample_pick($name_suffixes, sample_u($seed, 0, j, 123))
    ) as name,
    list_filter(
        [
            case when sample_u($seed, 0, j, 131) < case when is_tail then 0.3 else 0.05 end
                then 'vip' end,
            case when sample_u($seed, 0, j, 132) < 0.06 then 'partner' end,
            case when status = 'trial' then 'trial' end,
            case when status = 'active' and sample_u($seed, 0, j, 133) < 0.12
                then 'churn-risk' end,
            case when plan = 'enterprise' then 'enterprise' end
        ],
        lambda tag: tag is not null
    ) as tags,
    $timezone_choice as timezone,
    signup_date + make_time(0, 0, 0) + to_seconds(floor(sample_u($seed, 0, j, 141) * 86400)::bigint)
        as created_at,
    case plan
        when 'free' then 'bronze'
        when 'starter' then case when u_tier < 0.5 then 'bronze' else 'silver' end
        when 'pro' then case when u_tier < 0.4 then 'silver' else 'gold' end
        else case when u_tier < 0.3 then 'gold' else 'platinum' end
    end as tier,
    plan,
    case when plan <> 'free'
        then $renewal_from + floor(u_renewal * $renewal_span_days)::integer
    end as renewal_date,
    signup_date,
    sample_pick($industries, sample_u($seed, 0, j, 151)) as industry,
    status,
    greatest(
        case plan
            when 'free' then 1 + floor(u_seats * 3)
            when 'starter' then 3 + floor(u_seats * 18)
            when 'pro' then 10 + floor(u_seats * 190)
            else 100 + floor(u_seats * 4900)
        end::integer,
        member_count
    )::integer as seats,
    $snapshot_at as snapshot_at
from fields
