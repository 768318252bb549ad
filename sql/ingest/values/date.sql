-- A date from `YYYY-MM-DD` text; null when it is not one.
-- grain: one value
-- params: $text, $pattern
select
    case when regexp_full_match(trim($text), $pattern) then try_cast(trim($text) as date) end
        as value
