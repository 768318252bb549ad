-- The subscriptions snapshot as of $snapshot_at: per audience, a few global `*` rows.
-- grain: one row per (contact, audience)
-- params: $audiences, $seed, $audience_shares, $contacts, $contact_digits, $snapshot_at
with chosen as (
    select
        k,
        unnest(list_filter(
            range(1, len($audiences) + 1),
            lambda a: sample_u($seed, a, k, 401) < $audience_shares[a]
        )) as a
    from range(1, $contacts + 1) r(k)
)
select
    'c-' || lpad(k::varchar, $contact_digits, '0') as contact_id,
    $audiences[a] as audience,
    case when sample_u($seed, a, k, 402) < case when $audiences[a] = '*' then 0.7 else 0.08 end
        then 'unsubscribed' else 'subscribed'
    end as status,
    $snapshot_at as snapshot_at
from chosen
