-- An instant from ISO-8601 text as a naive UTC timestamp; null when it is not one, or falls
-- outside the years 1 to 9999 once its offset is applied. Without an offset a time is UTC
-- (the connection's TimeZone is UTC: warehouse.connect); `t` and `z` may be lowercase.
-- grain: one value
-- params: $text, $pattern
select
    case
        when
            regexp_full_match(trim($text), $pattern)
            and year(try_cast(upper(trim($text)) as timestamptz) at time zone 'UTC')
            between 1 and 9999
            then try_cast(upper(trim($text)) as timestamptz) at time zone 'UTC'
    end as value
