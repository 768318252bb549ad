-- An instant from ISO-8601 text as a naive UTC timestamp; null when it is not one, or falls
-- outside the years 1 to 9999 once its offset is applied. Without an offset a time is UTC
-- (the connection's TimeZone is UTC: warehouse.connect); `t` and `z` may be lowercase.
-- An offset moves an instant by under a day, so a text whose year is 0002 to 9998 cannot
-- leave the years 1 to 9999: only the other years cast twice to check (a third less time on
-- a CSV load's timestamps than checking every one).
-- grain: one value
-- params: $text, $pattern
select
    case
        when regexp_full_match(trim($text), $pattern)
            then case
                when left(trim($text), 4) between '0002' and '9998'
                    then try_cast(upper(trim($text)) as timestamptz) at time zone 'UTC'
                when year(try_cast(upper(trim($text)) as timestamptz) at time zone 'UTC')
                    between 1 and 9999
                    then try_cast(upper(trim($text)) as timestamptz) at time zone 'UTC'
            end
    end as value
