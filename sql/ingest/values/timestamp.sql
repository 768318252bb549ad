-- An instant from ISO-8601 text as a naive UTC timestamp; null when it is not one. Without
-- an offset a time is UTC (the connection's TimeZone is UTC: warehouse.connect).
-- grain: one value
-- params: $text, $pattern
select
    case
        when regexp_full_match(trim($text), $pattern)
            then try_cast(trim($text) as timestamptz) at time zone 'UTC'
    end as value
