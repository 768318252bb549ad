-- The memberships snapshot as of $snapshot_at. Each organization owns a run of positions; a
-- position is a contact through a permutation, so the members of a large organization are
-- spread over the contact ids. A few contacts also belong to a second organization.
-- Reads org_plan.
-- grain: one row per (contact, organization)
-- params: $contact_prime, $contact_offset, $contacts, $seed, $organizations, $second_org_share, $contact_digits, $org_digits, $snapshot_at
with owned as (
    select
        j as org_index,
        (position * $contact_prime + $contact_offset) % $contacts + 1 as contact_index
    from (
        select j, unnest(range(first_position, first_position + member_count)) as position
        from org_plan
    )
),
second as (
    select
        1 + floor(sample_u($seed, 0, contact_index, 302) * $organizations)::bigint as org_index,
        contact_index,
        org_index as first_org_index
    from owned
    where sample_u($seed, 0, contact_index, 301) < $second_org_share
),
members as (
    select org_index, contact_index from owned
    union all
    select org_index, contact_index from second where org_index <> first_org_index
)
select
    'c-' || lpad(contact_index::varchar, $contact_digits, '0') as contact_id,
    'org-' || lpad(org_index::varchar, $org_digits, '0') as org_id,
    $snapshot_at as snapshot_at
from (select * from members order by org_index, contact_index)
