-- The organizations' plan: whether each is in the skewed tail, how many contacts it owns,
-- and the first position of its contacts in the (permuted) contact order.
-- grain: one row per organization (temp table org_plan)
-- params: $org_prime, $org_offset, $organizations, $seed, $base_skew, $base_max, $tail_orgs, $whale_weight, $tail_rank_offset, $tail_exponent, $contacts
create temp table org_plan as
with draws as (
    select
        j,
        (j * $org_prime + $org_offset) % $organizations + 1 as tail_rank,
        1 + floor(pow(sample_u($seed, 0, j, 101), $base_skew) * $base_max)::bigint
            as base_contacts
    from range(1, $organizations + 1) r(j)
),
weighted as (
    select
        j,
        tail_rank <= $tail_orgs as is_tail,
        base_contacts,
        case
            when tail_rank = 1 then $whale_weight
            when tail_rank <= $tail_orgs
                then floor(1e9 / pow(tail_rank + $tail_rank_offset, $tail_exponent))::bigint
            else 0
        end as weight
    from draws
),
cumulative as (
    select
        *,
        sum(weight) over (order by j) as cumulative_weight,
        $contacts - sum(base_contacts) over () as spare_contacts,
        sum(weight) over () as total_weight
    from weighted
),
sized as (
    select
        j,
        is_tail,
        base_contacts + (
            spare_contacts::hugeint * cumulative_weight // total_weight
            - spare_contacts::hugeint * (cumulative_weight - weight) // total_weight
        )::bigint as member_count
    from cumulative
)
select
    j,
    is_tail,
    member_count,
    (sum(member_count) over (order by j) - member_count)::bigint as first_position
from sized
order by j
