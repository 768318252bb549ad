-- A number as text the way people write it: 5 rather than 5.0.
-- grain: one value
-- params: $number
select
    case
        when $number = trunc($number) and abs($number) < 1e15
            then cast(cast($number as bigint) as varchar)
        else cast($number as varchar)
    end as value
