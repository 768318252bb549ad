-- One members roll-up: each organization's members as of the run (its memberships of contacts
-- the CRM has) and how many of them match one contact filter.
-- relation: member_rollups
-- grain: one row per organization with members
-- params: $rollup_key, $contact_filter
select
    $rollup_key as rollup_key,
    member.org_id,
    count(*) as members,
    count_if(member.is_match) as matching
from (
    select
        m.org_id,
        $contact_filter as is_match
    from memberships_at as m
    inner join contacts_at as c on c.contact_id = m.contact_id
) as member
group by member.org_id
